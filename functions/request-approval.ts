import * as z from 'zod';
import { putRolloutEvents } from './adapters/events.ts';
import { publish } from './adapters/notifications.ts';
import { eventBridgeClient, snsClient } from './commons/clients.ts';
import { requireEnv } from './commons/config.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { lambdaHandler } from './commons/handler.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { batchSchema, countsSchema, executionSchema, planSchema } from './commons/state.ts';
import { approvalNotification } from './domain/approval.ts';
import { batchProgress, rolloutEvent } from './domain/events.ts';
import { consoleUrl } from './domain/notification.ts';

const event = z.object({
  input: rolloutInputSchema,
  execution: executionSchema,
  /** Before the first batch: the plan. After the canary: null, and the canary batch. */
  plan: planSchema.nullable(),
  batch: batchSchema.nullable(),
  /** After the canary: the plan's counts (the Map's), for the rollout event. */
  counts: countsSchema.nullable().default(null),
  /** The token the answer is sent to (SendTaskSuccess / SendTaskFailure); the CLI reads it from the history. */
  taskToken: z.string().min(1),
});

const minutes = (seconds: number) => `${Math.round(seconds / 60)} min`;

/**
 * Asks a person (the state machine waits on the task token): publishes what is known so far and
 * the exact commands that answer. Nothing else: the answer resumes the execution.
 */
export const makeHandler = (
  deps: Pick<Dependencies, 'sns' | 'eventBridge' | 'now' | 'notificationTopicArn'>,
) =>
  lambdaHandler(event, async ({ input, execution, plan, batch, counts }) => {
    const facts = plan
      ? [
          `${plan.nodesToReplace} nodes to replace (${plan.nodesOnTarget} already on ${input.amiId}) in ${plan.batches.length} batches${plan.continues ? ' (more in a continuing execution)' : ''}, about ${minutes(plan.estimatedSeconds)}.`,
          ...plan.warnings.map((warning) => `Warning: ${warning}`),
        ]
      : [
          `The canary, batch 1 (${batch?.nodes.map((n) => n.nodeName).join(', ') ?? ''}), was replaced` +
            (batch && batch.bakeSeconds > 0 ? ` and baked ${minutes(batch.bakeSeconds)}` : '') +
            ((input.alarms ?? []).length > 0 ? ` with alarms ${input.alarms?.join(', ')} quiet.` : '.'),
        ];
    const deadline = deps.now() + input.approvalTimeoutSeconds * 1000;
    const moment = plan ? 'beforeFirstBatch' : 'afterCanary';
    const planCounts = plan ?? counts ?? { nodesToReplace: 0, nodesOnTarget: 0 };
    await putRolloutEvents(deps.eventBridge, [
      rolloutEvent({
        kind: 'approvalRequested',
        input,
        executionArn: execution.id,
        at: deps.now(),
        progress: batchProgress(batch, planCounts, true),
        batchIndex: batch?.index ?? null,
        extra: { moment, deadline: new Date(deadline).toISOString() },
      }),
    ]);
    await publish(
      deps.sns,
      deps.notificationTopicArn,
      approvalNotification({
        clusterName: input.clusterName,
        nodeGroupName: input.nodeGroupName,
        amiId: input.amiId,
        executionArn: execution.id,
        consoleUrl: consoleUrl(execution.id),
        moment,
        facts,
        deadline,
      }),
    );
    return { requested: true };
  });

export const handler = makeHandler({
  sns: snsClient(),
  eventBridge: eventBridgeClient(),
  now: Date.now,
  notificationTopicArn: requireEnv('NOTIFICATION_TOPIC_ARN'),
});
