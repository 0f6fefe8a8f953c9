import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { Notification } from '../adapters/notifications.ts';
import { describeIssues } from '../commons/handler.ts';
import { rolloutInputSchema } from '../commons/rollout-input.ts';
import { answerCommands } from './approval.ts';
import { pollSpacing, secondsUntil } from './polling.ts';
import type { RolloutLaunch, SkippedTarget } from './targets.ts';

const day = 86_400;

/** One wave of the deployment parameter `waves`: the node groups it rolls, then its bake. */
export const waveConfigSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1-40 letters, digits, - or _'),
  clusters: z.array(rolloutInputSchema.shape.clusterName).min(1, 'must name at least one cluster'),
  /** Only these node groups of the wave's clusters (e.g. a canary group); every enrolled group without it. */
  nodeGroups: z.array(rolloutInputSchema.shape.nodeGroupName).min(1).optional(),
  /** Seconds after the wave's rollouts all succeeded before the next wave starts. */
  bakeSeconds: z
    .int()
    .min(0)
    .max(30 * day)
    .default(0),
  /** CloudWatch alarms (names or ARNs) that must not be in ALARM during the bake. */
  alarms: z.array(z.string().min(1)).max(100).default([]),
  /** A person approves (`approve|reject PROMOTION_EXECUTION`) before this wave starts. */
  approval: z.boolean().default(false),
  /** How long the approval waits for an answer: then the promotion ends with ApprovalTimedOut. */
  approvalTimeoutSeconds: z
    .int()
    .min(60)
    .max(7 * day)
    .default(day),
  /** How long the promotion waits for the wave's rollouts to end (windows and pauses count). */
  timeoutSeconds: z
    .int()
    .min(3600)
    .max(60 * day)
    .default(14 * day),
});
export type WaveConfig = z.output<typeof waveConfigSchema>;

/**
 * What every wave's deadline and bake may add up to: below the promotion state machine's
 * TimeoutSeconds (a year, Step Functions' most), so the promotion ends by its own deadlines.
 */
export const promotionBudgetSeconds = 360 * day;

const wavesSchema = z.array(waveConfigSchema).max(20, 'at most 20 waves');

const example = '[{"name":"dev","clusters":["dev"],"bakeSeconds":86400},{"name":"prod","clusters":["prod"]}]';

/**
 * The deployment parameter `waves` (env `WAVES`): empty or `[]` = no waves, every cluster at once.
 * A bad value fails at cold start with the field and the fix, like `clusterNames`.
 */
export function parseWaves(text: string, clusterNames: readonly string[]): WaveConfig[] {
  if (text.trim() === '') return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `WAVES (deployment parameter waves) is not JSON (${(error as Error).message}): set it to a list like ${example}, or to [] for none.`,
    );
  }
  const parsed = wavesSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `WAVES (deployment parameter waves) is invalid: ${describeIssues(parsed.error)}. Example: ${example}.`,
    );
  }
  const problems: string[] = [];
  const names = new Set<string>();
  parsed.data.forEach((wave, index) => {
    if (names.has(wave.name)) problems.push(`${index}.name: ${wave.name} names an earlier wave too`);
    names.add(wave.name);
    wave.clusters.forEach((cluster, position) => {
      if (!clusterNames.includes(cluster))
        problems.push(
          `${index}.clusters.${position}: ${cluster} is not in clusterNames (${clusterNames.join(', ')}): add it there or remove it here`,
        );
    });
  });
  const total = parsed.data.reduce(
    (sum, wave) =>
      sum + wave.timeoutSeconds + wave.bakeSeconds + (wave.approval ? wave.approvalTimeoutSeconds : 0),
    0,
  );
  if (total > promotionBudgetSeconds)
    problems.push(
      `the waves' timeoutSeconds, bakeSeconds and approvalTimeoutSeconds add up to ${total} s, over the ${promotionBudgetSeconds} s a promotion may last: lower them, or use fewer waves`,
    );
  if (problems.length > 0)
    throw new Error(`WAVES (deployment parameter waves) is invalid: ${problems.join('; ')}.`);
  return parsed.data;
}

/** A wave as the promotion runs it: its settings and the rollouts it starts. */
export const waveSchema = z.object({
  name: z.string(),
  bakeSeconds: z.int().min(0),
  alarms: z.array(z.string()),
  timeoutSeconds: z.int().min(1),
  approval: z.boolean(),
  approvalTimeoutSeconds: z.int().min(1),
  launches: z.array(
    z.object({
      clusterName: z.string(),
      nodeGroupName: z.string(),
      amiId: z.string(),
      executionName: z.string(),
      input: z.record(z.string(), z.unknown()),
    }),
  ),
});
export type Wave = z.infer<typeof waveSchema>;

/** The promotion execution's input: what it rolls, in order. */
export interface PromotionInput {
  /** What is rolled out, for people: `image <name> (<ami>)`. */
  rolls: string;
  waves: Wave[];
}

const selects = (wave: WaveConfig, launch: RolloutLaunch) =>
  wave.clusters.includes(launch.clusterName) &&
  (wave.nodeGroups === undefined || wave.nodeGroups.includes(launch.nodeGroupName));

/**
 * Puts each launch in the first wave that selects it (so `prod` with `nodeGroups: [canary]` first and
 * `prod` again later rolls the canary group, then the rest). A launch in no wave is skipped; a wave
 * with nothing to roll is left out (a bake after nothing would prove nothing).
 */
export function assignWaves(
  launches: readonly RolloutLaunch[],
  waves: readonly WaveConfig[],
): { waves: Wave[]; skipped: SkippedTarget[] } {
  const byWave = waves.map((): RolloutLaunch[] => []);
  const skipped: SkippedTarget[] = [];
  for (const launch of launches) {
    const index = waves.findIndex((wave) => selects(wave, launch));
    if (index === -1) {
      skipped.push({
        clusterName: launch.clusterName,
        nodeGroupName: launch.nodeGroupName,
        reason:
          'In no wave of the deployment parameter waves: add its cluster (or the node group) to a wave.',
      });
    } else byWave[index]?.push(launch);
  }
  const planned = waves.flatMap(({ clusters: _, nodeGroups: __, ...settings }, index) => {
    const chosen = byWave[index] ?? [];
    return chosen.length === 0 ? [] : [{ ...settings, launches: chosen.map((launch) => ({ ...launch })) }];
  });
  return { waves: planned, skipped };
}

/** One promotion per set of rollouts: the same on every delivery of the same event, so Step Functions refuses a second. */
export function promotionName(waves: readonly Wave[]): string {
  const names = waves.flatMap((wave) => wave.launches.map((launch) => launch.executionName));
  const digest = createHash('sha256').update(JSON.stringify(names)).digest('hex').slice(0, 16);
  const ami = waves[0]?.launches[0]?.amiId.replace(/[^0-9A-Za-z_-]/g, '-') ?? 'none';
  return `promotion-${ami}-${digest}`;
}

/** A rollout of the wave as DescribeExecution tells it, after following its continuations. */
export interface RolloutStatus {
  executionName: string;
  status: string;
  error?: string | undefined;
  cause?: string | undefined;
}

/** The first look at a wave: a rollout takes at least minutes. */
export const waveFirstLookSeconds = 300;
/** The longest time between two looks, so a wave of weeks keeps the promotion's history small. */
export const waveMostSecondsBetweenLooks = 1800;

export type WaveVerdict =
  | { kind: 'running'; seconds: number }
  | { kind: 'succeeded' }
  | { kind: 'failed'; failures: RolloutStatus[] }
  | { kind: 'timedOut'; running: string[] };

/**
 * Where a wave stands: failed as soon as one rollout ended other than SUCCEEDED (the others run to
 * their end, each safe on its own), succeeded when all did; running until its deadline, looked at
 * again after a tenth of the time waited (at most every 30 minutes, never past the deadline).
 */
export function waveVerdict(
  statuses: readonly RolloutStatus[],
  wave: { startedAt: number; deadline: number },
  now: number,
): WaveVerdict {
  const failures = statuses.filter((rollout) => !['RUNNING', 'SUCCEEDED'].includes(rollout.status));
  if (failures.length > 0) return { kind: 'failed', failures };
  const running = statuses.filter((rollout) => rollout.status === 'RUNNING').map((r) => r.executionName);
  if (running.length === 0) return { kind: 'succeeded' };
  const left = secondsUntil(wave.deadline, now);
  if (left <= 0) return { kind: 'timedOut', running };
  const spacing = pollSpacing((now - wave.startedAt) / 1000, waveFirstLookSeconds);
  return { kind: 'running', seconds: Math.min(spacing, waveMostSecondsBetweenLooks, left) };
}

/** The sentence WaveFailed carries: which rollouts ended how, and what was not started. */
export function waveFailedCause(
  wave: string,
  failures: readonly RolloutStatus[],
  later: readonly string[],
): string {
  const ended = failures.map(
    (rollout) =>
      `${rollout.executionName} ended ${rollout.status}${rollout.error ? ` (${rollout.error}: ${(rollout.cause ?? '').slice(0, 200)})` : ''}`,
  );
  const notStarted = later.length > 0 ? `waves ${later.join(', ')} not started` : 'it was the last wave';
  return (
    `Wave ${wave}: ${ended.join('; ')}. The promotion stopped (${notStarted}). Fix the cause, roll the ` +
    'failed node groups again (docs/operating.md), then start the promotion state machine with the remaining waves.'
  );
}

/** The cause WaveTimedOut carries. */
export function waveTimedOutCause(wave: string, timeoutSeconds: number, running: readonly string[]): string {
  return (
    `Wave ${wave}: ${running.join(', ')} still running after ${timeoutSeconds} s (the wave's timeoutSeconds). ` +
    "The promotion stopped; the rollouts go on. Raise the wave's timeoutSeconds if its windows are that far apart."
  );
}

/** The wave the promotion starts next, and whether a person approves it first (`$.cursor`). */
export const cursorSchema = z.object({
  index: z.int().min(0),
  approval: z.boolean(),
  approvalTimeoutSeconds: z.int().min(1),
});
export type Cursor = z.infer<typeof cursorSchema>;

/** The cursor of wave `index`, or null when there is none. */
export function cursorOf(waves: readonly Wave[], index: number): Cursor | null {
  const wave = waves[index];
  return wave === undefined
    ? null
    : { index, approval: wave.approval, approvalTimeoutSeconds: wave.approvalTimeoutSeconds };
}

/** The promotion's state of the wave it is on (`$.wave`). */
export const waveStateSchema = z.object({
  index: z.int().min(0),
  name: z.string(),
  /** No wave after this one. */
  last: z.boolean(),
  /** The rollouts' first execution names (a rollout may continue in more). */
  executions: z.array(z.string()),
  bakeSeconds: z.int().min(0),
  alarms: z.array(z.string()),
  timeoutSeconds: z.int().min(1),
  /** Epoch milliseconds. */
  startedAt: z.number(),
  deadline: z.number(),
  /** Every rollout SUCCEEDED. */
  done: z.boolean(),
  /** Seconds to the next look. */
  seconds: z.int().min(1),
  bake: z
    .object({ done: z.boolean(), seconds: z.int().min(1), since: z.number(), until: z.number() })
    .nullable(),
  /** Names of the waves after this one, for the failure's cause. */
  later: z.array(z.string()),
  /** The wave to start next, with its approval (the state machine's `$.cursor`); null after the last. */
  next: cursorSchema.nullable(),
});
export type WaveState = z.infer<typeof waveStateSchema>;

/** The promotion's state as it starts wave `index`. */
export function waveStarted(waves: readonly Wave[], index: number, now: number): WaveState {
  const wave = waves[index];
  if (wave === undefined) throw new Error(`The promotion has no wave ${index} (it has ${waves.length}).`);
  return {
    index,
    name: wave.name,
    last: index === waves.length - 1,
    executions: wave.launches.map((launch) => launch.executionName),
    bakeSeconds: wave.bakeSeconds,
    alarms: wave.alarms,
    timeoutSeconds: wave.timeoutSeconds,
    startedAt: now,
    deadline: now + wave.timeoutSeconds * 1000,
    done: false,
    seconds: waveFirstLookSeconds,
    bake: null,
    later: waves.slice(index + 1).map((later) => later.name),
    next: cursorOf(waves, index + 1),
  };
}

/** The message that asks a person whether the next wave may start, and how to answer. */
export function waveApprovalNotification(request: {
  rolls: string;
  wave: Wave;
  done: readonly string[];
  executionArn: string;
  consoleUrl: string;
  deadline: number;
}): Notification {
  const { wave } = request;
  const groups = wave.launches.map((launch) => `${launch.clusterName}/${launch.nodeGroupName}`);
  return {
    subject: `[ApprovalRequested] EKS Windows promotion: wave ${wave.name}`,
    body: [
      `May wave ${wave.name} of the promotion of ${request.rolls} begin?`,
      '',
      request.done.length > 0
        ? `- Waves ${request.done.join(', ')}: every rollout SUCCEEDED and baked with their alarms quiet.`
        : '- No wave has rolled yet.',
      `- Wave ${wave.name} rolls ${groups.join(', ')}.`,
      '',
      'Answer with one of:',
      ...answerCommands(request.executionArn).map((command) => `  ${command}`),
      '',
      `Without an answer by ${new Date(request.deadline).toISOString()} the promotion ends with ApprovalTimedOut (wave ${wave.name} not started).`,
      `Execution: ${request.consoleUrl}`,
    ].join('\n'),
    attributes: { outcome: 'ApprovalRequested', wave: wave.name },
  };
}
