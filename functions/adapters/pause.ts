import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EKSClient } from '@aws-sdk/client-eks';
import { DescribeExecutionCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { type Pause, pauseRefusal } from '../domain/pause.ts';
import { pauseLease, readLease, resumeLease } from './lock-table.ts';
import { resolveNodeGroup } from './node-group.ts';

export interface PauseClients {
  sfn: SFNClient;
  eks: EKSClient;
  autoScaling: AutoScalingClient;
  ec2: EC2Client;
  dynamoDb: DynamoDBClient;
}

export type PauseOutcome = { done: true } | { done: false; message: string };

/** The lock's key of a running execution's node group: its input names the group, as the rollout resolves it. */
async function lockOf(
  clients: PauseClients,
  executionArn: string,
): Promise<
  { refusal: string } | { groupId: string; target: { clusterName: string; nodeGroupName: string } }
> {
  const { status, input } = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
  if (status !== 'RUNNING')
    return { refusal: `Execution ${executionArn} is ${status}: nothing to pause or resume.` };
  const { clusterName, nodeGroupName } = JSON.parse(input ?? '{}') as Record<string, unknown>;
  if (typeof clusterName !== 'string' || typeof nodeGroupName !== 'string')
    return { refusal: `Execution ${executionArn} names no clusterName and nodeGroupName: it is no rollout.` };
  const group = await resolveNodeGroup(
    clients.eks,
    clients.autoScaling,
    clients.ec2,
    clusterName,
    nodeGroupName,
  );
  return { groupId: group.arn, target: { clusterName, nodeGroupName } };
}

/**
 * Pauses a rollout where its lock is (the node group's item in the lock table): the execution starts
 * no next batch, nor its first change, until resumed. Only the execution holding the lock is paused.
 */
export async function pauseRollout(
  clients: PauseClients,
  table: string,
  executionArn: string,
  pause: Pause,
): Promise<PauseOutcome> {
  const lock = await lockOf(clients, executionArn);
  if ('refusal' in lock) return { done: false, message: lock.refusal };
  if (await pauseLease(clients.dynamoDb, table, lock.groupId, executionArn, pause)) return { done: true };
  const lease = await readLease(clients.dynamoDb, table, lock.groupId);
  return { done: false, message: pauseRefusal('pause', executionArn, lease, lock.target) };
}

/**
 * Lifts the pause; if the execution already waits on its task token, answers it so it goes on at
 * once (a token no longer waited on means it looks again by itself, and finds no pause).
 */
export async function resumeRollout(
  clients: PauseClients,
  table: string,
  executionArn: string,
  resumedBy: string,
): Promise<PauseOutcome> {
  const lock = await lockOf(clients, executionArn);
  if ('refusal' in lock) return { done: false, message: lock.refusal };
  const resumed = await resumeLease(clients.dynamoDb, table, lock.groupId, executionArn);
  if (resumed === undefined) {
    const lease = await readLease(clients.dynamoDb, table, lock.groupId);
    return { done: false, message: pauseRefusal('resume', executionArn, lease, lock.target) };
  }
  if (resumed.taskToken !== undefined) {
    try {
      await clients.sfn.send(
        new SendTaskSuccessCommand({ taskToken: resumed.taskToken, output: JSON.stringify({ resumedBy }) }),
      );
    } catch (error) {
      const name = (error as Error).name;
      if (name !== 'TaskTimedOut' && name !== 'TaskDoesNotExist') throw error;
    }
  }
  return { done: true };
}
