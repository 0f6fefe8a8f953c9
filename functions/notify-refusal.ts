import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { putRolloutEvents } from './adapters/events.ts';
import { releaseLease } from './adapters/lock-table.ts';
import { publish } from './adapters/notifications.ts';
import { dynamoDbClient, eventBridgeClient, snsClient } from './commons/clients.ts';
import { requireEnv } from './commons/config.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { lambdaHandler } from './commons/handler.ts';
import { metrics } from './commons/powertools.ts';
import { lockSchema } from './commons/state.ts';
import { rolloutEvent } from './domain/events.ts';
import { caughtError, consoleUrl, executionError, rolloutNotification } from './domain/notification.ts';

/** The state may be the raw console input (when it was refused), so every field is optional here. */
const event = z.object({
  state: z.looseObject({
    input: z.looseObject({}).optional(),
    execution: z.object({ id: z.string(), name: z.string(), startTime: z.string() }).optional(),
    /** Present when the refusal came after AcquireLock took the lock. */
    lock: lockSchema.optional(),
    error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }),
  }),
});

const text = (value: unknown) => (typeof value === 'string' ? value : '(not given)');

/** A refusal before any change: nothing to undo; tell the operators why, release the lock if taken, and fail with that error. */
export const makeHandler = (
  deps: Pick<
    Dependencies,
    'sns' | 'dynamoDb' | 'eventBridge' | 'now' | 'notificationTopicArn' | 'lockTableName'
  >,
) =>
  lambdaHandler(
    event,
    async ({ state }) => {
      const error = executionError(caughtError(state.error));
      const fields = state.input ?? state;
      await publish(
        deps.sns,
        deps.notificationTopicArn,
        rolloutNotification({
          outcome: 'REFUSED',
          clusterName: text(fields.clusterName),
          nodeGroupName: text(fields.nodeGroupName),
          amiId: text(fields.amiId),
          executionName: state.execution?.name ?? '(unknown)',
          consoleUrl: state.execution ? consoleUrl(state.execution.id) : '',
          durationSeconds: state.execution
            ? Math.round((deps.now() - Date.parse(state.execution.startTime)) / 1000)
            : 0,
          nodesReplaced: 0,
          nodesOnTarget: 0,
          error,
        }),
      );
      // A refusal of an input too broken to name its rollout (or with no execution) tells no one on the bus.
      if (state.execution) {
        const input = {
          clusterName: text(fields.clusterName),
          nodeGroupName: text(fields.nodeGroupName),
          amiId: text(fields.amiId),
        };
        await putRolloutEvents(deps.eventBridge, [
          rolloutEvent({
            kind: 'failed',
            input,
            executionArn: state.execution.id,
            at: deps.now(),
            progress: { nodesReplaced: 0, nodesToReplace: 0 },
            batchIndex: null,
            extra: { error: error.name, cause: error.cause, refused: true },
          }),
        ]);
      }
      metrics.addDimension('ErrorName', error.name);
      metrics.addMetric('RolloutRefusals', MetricUnit.Count, 1);
      if (state.lock && state.execution) {
        await releaseLease(deps.dynamoDb, deps.lockTableName, state.lock.groupId, state.execution.id);
      }
      return { ...error, actions: [] };
    },
    { emitsMetrics: true },
  );

export const handler = makeHandler({
  sns: snsClient(),
  eventBridge: eventBridgeClient(),
  dynamoDb: dynamoDbClient(),
  now: Date.now,
  notificationTopicArn: requireEnv('NOTIFICATION_TOPIC_ARN'),
  lockTableName: requireEnv('LOCK_TABLE_NAME'),
});
