import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { RolloutLaunch } from '../domain/targets.ts';
import type { PromotionInput, RolloutStatus } from '../domain/waves.ts';

type LaunchSummary = Omit<RolloutLaunch, 'input'>;

export interface StartedRollout extends LaunchSummary {
  executionArn: string;
}

/** A rollout whose execution name was already taken: the same event delivered again. */
export interface DuplicateRollout extends LaunchSummary {
  reason: string;
}

export interface FailedStart extends LaunchSummary {
  error: Error;
}

/** Some executions could not be started; a retry of the event starts them (the others are duplicates then). */
export class RolloutsNotStarted extends Error {
  override readonly name = 'RolloutsNotStarted';
}

/** Slack between the Lambda's clock and Step Functions' when telling a new execution from a running one. */
const clockSlackMs = 1_000;

const summaryOf = ({ clusterName, nodeGroupName, amiId, executionName }: RolloutLaunch): LaunchSummary => ({
  clusterName,
  nodeGroupName,
  amiId,
  executionName,
});

/**
 * Starts one execution per launch, in order. A taken name is a duplicate, not an error: Step Functions
 * refuses it (ExecutionAlreadyExists), or, while that execution still runs with the same input, answers
 * with it (a start date before our call). Other failures are collected so the rest still start.
 */
export async function startExecutions(
  sfn: SFNClient,
  stateMachineArn: string,
  launches: readonly RolloutLaunch[],
  now: () => number,
): Promise<{ started: StartedRollout[]; duplicates: DuplicateRollout[]; failed: FailedStart[] }> {
  const started: StartedRollout[] = [];
  const duplicates: DuplicateRollout[] = [];
  const failed: FailedStart[] = [];
  for (const launch of launches) {
    const calledAt = now();
    try {
      const { executionArn, startDate } = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn,
          name: launch.executionName,
          input: JSON.stringify(launch.input),
        }),
      );
      if (startDate !== undefined && startDate.getTime() < calledAt - clockSlackMs) {
        duplicates.push({
          ...summaryOf(launch),
          reason: `Execution already running since ${startDate.toISOString()}.`,
        });
      } else {
        started.push({ ...summaryOf(launch), executionArn: executionArn ?? '' });
      }
    } catch (error) {
      if ((error as Error).name === 'ExecutionAlreadyExists') {
        duplicates.push({
          ...summaryOf(launch),
          reason: `Execution name already used: ${(error as Error).message}`,
        });
      } else {
        failed.push({
          ...summaryOf(launch),
          error: error instanceof Error ? error : new Error(String(error)),
        });
      }
    }
  }
  return { started, duplicates, failed };
}

/** `arn:aws:states:r:a:stateMachine:M` and a name → `arn:aws:states:r:a:execution:M:name` */
export const executionArnOf = (stateMachineArn: string, name: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

const continuedAsOf = ({ status, output }: Described): string | undefined => {
  if (status !== 'SUCCEEDED' || output === undefined) return undefined;
  const parsed: unknown = JSON.parse(output);
  const next = (parsed as { continuedAs?: unknown } | null | undefined)?.continuedAs;
  return typeof next === 'string' ? next : undefined;
};

interface Described {
  status: string;
  output?: string | undefined;
  error?: string | undefined;
  cause?: string | undefined;
}

async function describe(sfn: SFNClient, executionArn: string): Promise<Described> {
  try {
    const { status, output, error, cause } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return { status: status ?? 'GONE', output, error, cause };
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') return { status: 'GONE' };
    throw error;
  }
}

/**
 * How each rollout stands, following the executions a large rollout continued in (the output's
 * `continuedAs`): the last one tells. An execution Step Functions does not know is `GONE`.
 */
export async function describeRollouts(
  sfn: SFNClient,
  stateMachineArn: string,
  names: readonly string[],
): Promise<RolloutStatus[]> {
  const statuses: RolloutStatus[] = [];
  for (const executionName of names) {
    let described = await describe(sfn, executionArnOf(stateMachineArn, executionName));
    for (let next = continuedAsOf(described); next !== undefined; next = continuedAsOf(described))
      described = await describe(sfn, executionArnOf(stateMachineArn, next));
    const { status, error, cause } = described;
    statuses.push({ executionName, status, error, cause });
  }
  return statuses;
}

/** The promotion started for a new image (or found already started: the same event delivered again). */
export interface StartedPromotion {
  executionName: string;
  executionArn: string;
  waves: string[];
  duplicate: boolean;
}

/** Starts the promotion execution; its name is fixed by its rollouts, so a repeated event finds it taken. */
export async function startPromotion(
  sfn: SFNClient,
  stateMachineArn: string,
  executionName: string,
  input: PromotionInput,
): Promise<StartedPromotion> {
  const waves = input.waves.map((wave) => wave.name);
  try {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: executionName, input: JSON.stringify(input) }),
    );
    return { executionName, executionArn: executionArn ?? '', waves, duplicate: false };
  } catch (error) {
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    return {
      executionName,
      executionArn: executionArnOf(stateMachineArn, executionName),
      waves,
      duplicate: true,
    };
  }
}
