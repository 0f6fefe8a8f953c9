import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { describeGroup, updateGroup } from './adapters/autoscaling.ts';
import { publish } from './adapters/notifications.ts';
import { autoScalingClient, snsClient } from './commons/clients.ts';
import { requireEnv } from './commons/config.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { lambdaHandler } from './commons/handler.ts';
import { metrics } from './commons/powertools.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { executionSchema, planSchema, rolloutGroupSchema } from './commons/state.ts';
import { consoleUrl, rolloutNotification } from './domain/notification.ts';

const event = z.object({
  input: rolloutInputSchema,
  execution: executionSchema,
  group: rolloutGroupSchema,
  plan: planSchema,
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
}

/** Restores the group's max size, tells the operators, and returns the report. */
export const makeHandler = (
  deps: Pick<Dependencies, 'autoScaling' | 'sns' | 'now' | 'notificationTopicArn'>,
) =>
  lambdaHandler(
    event,
    async ({ input, execution, group, plan }): Promise<RolloutReport> => {
      const current = await describeGroup(deps.autoScaling, group.asgName);
      if (current && current.maxSize > group.original.maxSize && current.desired <= group.original.maxSize) {
        await updateGroup(deps.autoScaling, group.asgName, { maxSize: group.original.maxSize });
      }
      const durationSeconds = Math.round((deps.now() - Date.parse(execution.startTime)) / 1000);
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
          nodesReplaced: plan.nodesToReplace,
          nodesOnTarget: plan.nodesOnTarget,
          warnings: plan.warnings,
        }),
      );
      metrics.addMetric('NodesReplaced', MetricUnit.Count, plan.nodesToReplace);
      metrics.addMetric('RolloutSeconds', MetricUnit.Seconds, durationSeconds);
      return {
        status: 'SUCCEEDED',
        clusterName: input.clusterName,
        nodeGroupName: input.nodeGroupName,
        amiId: input.amiId,
        launchTemplate: {
          id: group.launchTemplateId,
          previousVersion: group.previousVersion,
          version: group.targetVersion,
        },
        nodesReplaced: plan.nodesToReplace,
        nodesAlreadyOnTarget: plan.nodesOnTarget,
        batches: plan.batches.length,
        durationSeconds,
        warnings: plan.warnings,
      };
    },
    { emitsMetrics: true },
  );

export const handler = makeHandler({
  autoScaling: autoScalingClient(),
  sns: snsClient(),
  now: Date.now,
  notificationTopicArn: requireEnv('NOTIFICATION_TOPIC_ARN'),
});
