import type { RolloutInput } from '../functions/commons/rollout-input.ts';
import type { Plan, Verified } from '../functions/commons/state.ts';
import { consoleUrl } from '../functions/domain/notification.ts';
import { peakSurge } from '../functions/domain/plan.ts';
import type { ControlSpan } from '../report/control.ts';
import { formatDuration } from '../report/duration.ts';
import { currentBatch, type ExecutionRun, lastStep, nodesReplaced } from '../report/history.ts';
import { targetOf, titleOf } from '../report/timeline.ts';

const list = (title: string, lines: string[]) =>
  lines.length > 0 ? ['', `${title}:`, ...lines.map((line) => `  - ${line}`)] : [];

/** How far ahead replacements boot, and the most instances above the group's size that takes. */
function surgeLine(input: RolloutInput, plan: Plan): string {
  const ahead = plan.surgeBatches;
  const peak = peakSurge(ahead, input.maxUnavailable, plan.nodesToReplace);
  return (
    `Replacements boot ${ahead === 1 ? 'one batch' : `${ahead} batches`} ahead (surgeBatches ${ahead}${input.surgeBatches === undefined ? ', the default for this group' : ''}): ` +
    `at most ${peak} instances above the group's size.`
  );
}

export function formatPlan(input: RolloutInput, verified: Verified, plan: Plan): string {
  const { group, ami } = verified;
  const width = Math.max(...verified.checks.map((c) => c.check.length));
  const batches = plan.batches.length;
  return [
    `Plan: ${input.clusterName}/${input.nodeGroupName} to ${ami.amiId} (${ami.name})`,
    `Auto Scaling group ${group.asgName}: ${group.desired} instances (min ${group.minSize}, max ${group.maxSize}), ` +
      `Windows ${group.windowsBuild || 'unknown'}, launch template ${group.launchTemplateId} version ${group.launchTemplateVersion}`,
    '',
    'AMI checks:',
    ...verified.checks.map((c) => `  ${c.ok ? '✓' : '✗'} ${c.check.padEnd(width)}  ${c.detail}`),
    '',
    batches === 0
      ? `Nothing to replace: all ${plan.nodesOnTarget} nodes already run ${ami.amiId}.`
      : `${plan.nodesToReplace} nodes to replace (${plan.nodesOnTarget} already on the AMI), ` +
        `in ${batches} batch${batches === 1 ? '' : 'es'} of at most ${input.maxUnavailable}:`,
    ...plan.batches.map(
      (batch) =>
        `  batch ${batch.index + 1}${batch.removal ? " (an earlier run's surplus: drained and removed, not replaced)" : ''}: ` +
        batch.nodes.map((n) => `${n.nodeName || '(no node)'} (${n.instanceId})`).join(', '),
    ),
    ...list(
      plan.refused
        ? 'Blockers (the rollout would be refused with DrainBlocked)'
        : 'Blockers (with overridePdbAfterTimeout these pods are deleted at the drain deadline)',
      plan.blockers,
    ),
    ...list('Warnings', plan.warnings),
    '',
    ...(batches > 0 && !verified.group.managed ? [surgeLine(input, plan)] : []),
    `Estimated duration: ${formatDuration(plan.estimatedSeconds)}.`,
    '',
  ].join('\n');
}

const isoOf = (ms: number) => new Date(ms).toISOString();

const controlLabel = (span: Pick<ControlSpan, 'kind' | 'batch'>): string =>
  ({
    window: 'waited for the maintenance window',
    bake: `baked${span.batch === undefined ? '' : ` after batch ${span.batch + 1}`}`,
    approval: 'waited for an approval',
    pause: 'paused',
    fastLaunch: "waited for the AMI's Fast Launch to be enabled",
  })[span.kind];

/** What the running execution stands still for, and what answers it. */
function standingStill(executionArn: string, span: ControlSpan): string {
  const until = span.until === undefined ? '' : ` until ${isoOf(span.until)}`;
  switch (span.kind) {
    case 'pause':
      return `Paused since ${isoOf(span.start)}: no next batch starts until 'npx eks-windows-patcher resume ${executionArn}'.`;
    case 'window':
      return `Waiting for its maintenance window${until}.`;
    case 'approval':
      return `Waiting since ${isoOf(span.start)} for an approval: 'npx eks-windows-patcher approve|reject ${executionArn}'.`;
    case 'bake':
      return `Baking${span.batch === undefined ? '' : ` batch ${span.batch + 1}`}${until}, watching its alarms.`;
    case 'fastLaunch':
      return `Waiting since ${isoOf(span.start)} for the AMI's EC2 Fast Launch to be enabled, before any change; next look${until}.`;
  }
}

const executionName = (executionArn: string) => executionArn.slice(executionArn.lastIndexOf(':') + 1);

export function progressBar(done: number, total: number, width = 20): string {
  const filled = total > 0 ? Math.round((Math.min(done, total) / total) * width) : 0;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** Where the execution stands, as data for `--json`. */
export function statusSummary(executionArn: string, run: ExecutionRun) {
  const batch = currentBatch(run);
  return {
    executionArn,
    status: run.status,
    input: run.input,
    startedAt: run.startedAt === undefined ? null : new Date(run.startedAt).toISOString(),
    stoppedAt: run.stoppedAt === undefined ? null : new Date(run.stoppedAt).toISOString(),
    nodesReplaced: nodesReplaced(run),
    nodesToReplace: run.plan?.nodesToReplace ?? null,
    batches: run.plan?.batches.length ?? null,
    currentBatch: batch ? { number: batch.index + 1, step: lastStep(batch) ?? null } : null,
    currentState: run.currentState ?? null,
    drainBlockers: batch && lastStep(batch) === 'drain' && !batch.drained ? batch.drainBlockers : [],
    controls: run.controls.map((span) => ({
      kind: span.kind,
      batch: span.batch === undefined ? null : span.batch + 1,
      start: isoOf(span.start),
      end: span.end === undefined ? null : isoOf(span.end),
      until: span.until === undefined ? null : isoOf(span.until),
    })),
    error: run.error ?? null,
    consoleUrl: consoleUrl(executionArn),
  };
}

const stepLabel = (summary: ReturnType<typeof statusSummary>) =>
  summary.currentBatch
    ? `batch ${summary.currentBatch.number} of ${summary.batches ?? '?'}: ${summary.currentBatch.step ?? 'starting'}`
    : (summary.currentState ?? 'starting');

/** The live line while following an execution; with `now`, the time it has run. */
export function progressLine(executionArn: string, run: ExecutionRun, now?: number): string {
  const summary = statusSummary(executionArn, run);
  const total = summary.nodesToReplace ?? 0;
  const elapsed =
    run.startedAt === undefined || now === undefined
      ? ''
      : ` · ${formatDuration((now - run.startedAt) / 1000)}`;
  const blocked =
    summary.drainBlockers.length > 0 ? ` · drain waits on ${summary.drainBlockers.length} pod(s)` : '';
  return `${progressBar(summary.nodesReplaced, total)} ${summary.nodesReplaced}/${summary.nodesToReplace ?? '?'} nodes · ${stepLabel(summary)}${elapsed}${blocked}`;
}

/** `console: false` for a simulated execution, which has no page in the console. */
export function formatStatus(
  executionArn: string,
  run: ExecutionRun,
  now: number,
  { console = true } = {},
): string {
  const summary = statusSummary(executionArn, run);
  const started = run.startedAt ?? now;
  const timing =
    run.stoppedAt === undefined
      ? `running for ${formatDuration((now - started) / 1000)}`
      : `ran for ${formatDuration((run.stoppedAt - started) / 1000)}`;
  const total = summary.nodesToReplace;
  const still = run.controls.at(-1)?.end === undefined ? run.controls.at(-1) : undefined;
  return [
    `Execution ${executionName(executionArn)}: ${run.status} (${timing})`,
    titleOf(targetOf(run.input)),
    total === null
      ? 'Nodes replaced: not planned yet'
      : `Nodes replaced: ${summary.nodesReplaced} of ${total} ${progressBar(summary.nodesReplaced, total)}`,
    ...(run.status === 'RUNNING'
      ? [`Now ${stepLabel(summary)} (state ${summary.currentState ?? '-'})`]
      : summary.currentBatch
        ? [`Stopped in ${stepLabel(summary)}`]
        : []),
    ...(run.status === 'RUNNING' && still !== undefined ? [standingStill(executionArn, still)] : []),
    ...list(
      'Stood still',
      run.controls.map(
        (span) =>
          `${controlLabel(span)}: ${isoOf(span.start)} to ${span.end === undefined ? 'now' : isoOf(span.end)} ` +
          `(${formatDuration(((span.end ?? now) - span.start) / 1000)})`,
      ),
    ),
    ...list(run.status === 'RUNNING' ? 'Drain waits on' : 'Drain was held by', summary.drainBlockers),
    ...(run.error ? ['', `${run.error.name}: ${run.error.cause}`] : []),
    ...(console ? ['', `Console: ${summary.consoleUrl}`] : []),
    '',
  ].join('\n');
}
