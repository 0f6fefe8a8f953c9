import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { describeGroup, resumeAfterRollout, untagGroup, updateGroup } from './adapters/autoscaling.ts';
import { describeInstances } from './adapters/ec2.ts';
import { putRolloutEvents } from './adapters/events.ts';
import { startExecutions } from './adapters/executions.ts';
import { releaseLease } from './adapters/lock-table.ts';
import { publish } from './adapters/notifications.ts';
import { stateMachineArnOf } from './adapters/running-rollouts.ts';
import {
  autoScalingClient,
  dynamoDbClient,
  ec2Client,
  eventBridgeClient,
  sfnClient,
  snsClient,
} from './commons/clients.ts';
import { requireEnv } from './commons/config.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { lambdaHandler } from './commons/handler.ts';
import { metrics } from './commons/powertools.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { executionSchema, lockSchema, planSchema, rolloutGroupSchema } from './commons/state.ts';
import { continuationName, goesOn } from './domain/continuation.ts';
import { rolloutEvent } from './domain/events.ts';
import { originalSizeTag } from './domain/group-size.ts';
import { listText } from './domain/limits.ts';
import { consoleUrl, rolloutNotification } from './domain/notification.ts';
import { resumeOutcome } from './domain/processes.ts';

const event = z.object({
  input: rolloutInputSchema,
  execution: executionSchema,
  lock: lockSchema,
  group: rolloutGroupSchema,
  plan: planSchema,
  /** Per batch, the pods overridePdbAfterTimeout deleted and those force left Terminating (the Map's results). */
  drained: z
    .array(z.object({ forced: z.array(z.string()), leftTerminating: z.array(z.string()) }))
    .default([]),
});

export interface RolloutReport {
  status: 'SUCCEEDED';
  clusterName: string;
  nodeGroupName: string;
  amiId: string;
  launchTemplate: { id: string; previousVersion: string; version: string };
  nodesReplaced: number;
  nodesAlreadyOnTarget: number;
  batches: number;
  durationSeconds: number;
  warnings: string[];
  /** Pods deleted at a drain deadline because of overridePdbAfterTimeout, as namespace/name. */
  podsDeleted: string[];
  /** With force: pods still Terminating past their grace period at a drain deadline, not waited for. */
  podsLeftTerminating: string[];
  /** A managed node group: the EKS update that rolled it (`launchTemplate` versions are then EKS releases when it has no template). */
  managedUpdate?: { nodegroupName: string; updateId: string };
  /** The execution that replaces the rest of the group, when this one took only its first batches. */
  continuedAs?: string;
}

/** What force did to pods stuck Terminating, in the words an operator reads in the report and the notification. */
const leftTerminatingWarning = (pods: string[]): string[] =>
  pods.length > 0
    ? [
        `not waited for with force (still Terminating past their grace period at the drain deadline; their node was terminated): ${pods.join(', ')}`,
      ]
    : [];

/** Instances not on the target AMI at the end, in the words of the report and the notification. */
const leftBehindWarning = (instances: string[], continues: boolean): string[] =>
  instances.length > 0
    ? [
        `not on the target AMI (they joined the group during the rollout): ${listText(instances, 10)}; ${continues ? 'the next execution replaces them' : 'run the rollout again to replace them'}`,
      ]
    : [];

/**
 * Restores the group's max size, and either continues the rollout in a new execution of the same
 * input (a large group: this execution's history is full; or instances that joined the group during
 * this execution are not on the target AMI; it takes the lock over) or tells the operators, releases
 * the lock and returns the report.
 */
export const makeHandler = (
  deps: Pick<
    Dependencies,
    | 'autoScaling'
    | 'ec2'
    | 'sfn'
    | 'sns'
    | 'dynamoDb'
    | 'eventBridge'
    | 'now'
    | 'notificationTopicArn'
    | 'lockTableName'
  >,
) =>
  lambdaHandler(
    event,
    async ({ input, execution, lock, group, plan, drained }): Promise<RolloutReport> => {
      const current = await describeGroup(deps.autoScaling, group.asgName);
      if (current && current.maxSize > group.original.maxSize && current.desired <= group.original.maxSize) {
        await updateGroup(deps.autoScaling, group.asgName, { maxSize: group.original.maxSize });
      }
      // Only processes left suspended over uneven zones make a warning; what was resumed is routine.
      const suspension = current
        ? await resumeAfterRollout(deps.autoScaling, group.asgName, group.suspendedBefore)
        : { resumed: [], leftSuspended: [] };
      const leftSuspended = resumeOutcome({ ...suspension, resumed: [] });
      // Instances that joined the group during the execution on another AMI: the next plan takes them.
      const live = (current?.instances ?? []).filter((i) => !/^Terminat/.test(i.lifecycleState));
      const leftBehind = group.managed
        ? []
        : (
            await describeInstances(
              deps.ec2,
              live.map((i) => i.instanceId),
            )
          )
            .filter((instance) => instance.imageId !== input.amiId)
            .map((instance) => instance.instanceId);
      const nodesReplaced = plan.batches.reduce(
        (count, batch) => count + (batch.removal ? 0 : batch.nodes.length),
        0,
      );
      const continues = goesOn({ continues: plan.continues, nodesReplaced }, leftBehind);
      // The group is its own size again and the rollout really ends: the next run needs no reminder.
      if (current && !continues && current.desired <= group.original.desired)
        await untagGroup(deps.autoScaling, group.asgName, originalSizeTag);
      const durationSeconds = Math.round((deps.now() - Date.parse(execution.startTime)) / 1000);
      const podsDeleted = drained.flatMap((batch) => batch.forced);
      const podsLeftTerminating = drained.flatMap((batch) => batch.leftTerminating);
      const report: RolloutReport = {
        status: 'SUCCEEDED',
        clusterName: input.clusterName,
        nodeGroupName: input.nodeGroupName,
        amiId: input.amiId,
        launchTemplate: {
          id: group.launchTemplateId,
          previousVersion: group.previousVersion,
          version: group.targetVersion,
        },
        nodesReplaced,
        nodesAlreadyOnTarget: plan.nodesOnTarget,
        batches: plan.batches.length,
        durationSeconds,
        warnings: [
          ...plan.warnings,
          ...leftSuspended,
          ...leftTerminatingWarning(podsLeftTerminating),
          ...leftBehindWarning(leftBehind, continues),
        ],
        podsDeleted,
        podsLeftTerminating,
        ...(group.managed
          ? {
              managedUpdate: {
                nodegroupName: group.managed.nodegroupName,
                updateId: group.managed.update.id,
              },
            }
          : {}),
      };
      metrics.addMetric('NodesReplaced', MetricUnit.Count, nodesReplaced);
      if (continues) {
        const executionName = continuationName(execution.name);
        const { failed } = await startExecutions(
          deps.sfn,
          stateMachineArnOf(execution.id),
          [
            {
              clusterName: input.clusterName,
              nodeGroupName: input.nodeGroupName,
              amiId: input.amiId,
              executionName,
              // The canary and the approval of this rollout have passed: the next execution goes on.
              input: {
                ...input,
                canary: undefined,
                approval: undefined,
                continuedFrom: execution.name,
                // This execution's plan (or an earlier one's) checked every node registered before it began.
                continuedWith: {
                  checkedNodesBefore: execution.startTime,
                  imagesToMove: plan.imagesToMove,
                  longestGraceSeconds: plan.longestGraceSeconds,
                },
              },
            },
          ],
          deps.now,
        );
        if (failed[0]) throw failed[0].error;
        return { ...report, continuedAs: executionName };
      }
      await publish(
        deps.sns,
        deps.notificationTopicArn,
        rolloutNotification({
          outcome: 'SUCCEEDED',
          clusterName: input.clusterName,
          nodeGroupName: input.nodeGroupName,
          amiId: input.amiId,
          executionName: execution.name,
          consoleUrl: consoleUrl(execution.id),
          durationSeconds,
          nodesReplaced,
          nodesOnTarget: plan.nodesOnTarget,
          warnings: report.warnings,
          podsDeleted: report.podsDeleted,
        }),
      );
      await putRolloutEvents(deps.eventBridge, [
        rolloutEvent({
          kind: 'succeeded',
          input,
          executionArn: execution.id,
          at: deps.now(),
          progress: { nodesReplaced, nodesToReplace: plan.nodesToReplace },
          batchIndex: null,
          extra: {
            durationSeconds,
            nodesAlreadyOnTarget: plan.nodesOnTarget,
            batches: plan.batches.length,
            warnings: report.warnings.length,
          },
        }),
      ]);
      metrics.addMetric('RolloutSeconds', MetricUnit.Seconds, durationSeconds);
      await releaseLease(deps.dynamoDb, deps.lockTableName, lock.groupId, execution.id);
      return report;
    },
    { emitsMetrics: true },
  );

export const handler = makeHandler({
  autoScaling: autoScalingClient(),
  ec2: ec2Client(),
  sfn: sfnClient(),
  sns: snsClient(),
  dynamoDb: dynamoDbClient(),
  eventBridge: eventBridgeClient(),
  now: Date.now,
  notificationTopicArn: requireEnv('NOTIFICATION_TOPIC_ARN'),
  lockTableName: requireEnv('LOCK_TABLE_NAME'),
});
