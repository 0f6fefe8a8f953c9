import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { RolloutLaunch } from '../domain/targets.ts';

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
