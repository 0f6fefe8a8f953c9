import * as z from 'zod';
import { requireNoAlarm } from './adapters/alarms.ts';
import { readLease } from './adapters/lock-table.ts';
import { publish } from './adapters/notifications.ts';
import { cloudWatchClient, dynamoDbClient, snsClient } from './commons/clients.ts';
import { requireEnv } from './commons/config.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { MaintenanceWindowTooShort } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { batchSchema, executionSchema, type Gate, gateSchema, lockSchema } from './commons/state.ts';
import { consoleUrl, waitingNotification } from './domain/notification.ts';
import { pauseCheckSeconds } from './domain/pause.ts';
import { windowVerdict } from './domain/window.ts';

const event = z.object({
  input: rolloutInputSchema,
  execution: executionSchema,
  lock: lockSchema,
  /** Expected seconds of one batch (the plan's estimate). */
  batchSeconds: z.int().min(0),
  /** null before the first change (the launch template), then the batch about to start. */
  batch: batchSchema.nullable(),
  /** What the previous look decided, null on the first look. */
  gate: gateSchema.nullable(),
});

type Deps = Pick<
  Dependencies,
  'cloudWatch' | 'sns' | 'dynamoDb' | 'lockTableName' | 'now' | 'notificationTopicArn'
>;

const ready: Gate = { go: true, until: null, reason: 'ready', holdSeconds: null };

/**
 * May the next batch start now? Not while a person has paused the rollout (the state machine waits
 * for the resume), nor while an alarm is in ALARM (AlarmTriggered), and with a maintenance window only
 * when the batch is expected to finish before it closes; otherwise the state machine waits until the
 * next opening (operators are told once per wait). A paused rollout looks at its alarms on resume.
 */
export const makeHandler = (deps: Deps) =>
  lambdaHandler(event, async ({ input, execution, lock, batchSeconds, batch, gate }): Promise<Gate> => {
    const lease = await readLease(deps.dynamoDb, deps.lockTableName, lock.groupId);
    if (lease?.holder === execution.id && lease.pause !== null)
      return { go: false, until: null, reason: 'Paused', holdSeconds: pauseCheckSeconds };
    const what = batch === null ? 'before the rollout changed anything' : `before batch ${batch.index + 1}`;
    await requireNoAlarm(deps.cloudWatch, input.alarms ?? [], what);
    const window = input.maintenanceWindow;
    if (window === undefined) return ready;
    const now = deps.now();
    const verdict = windowVerdict(window, now, batchSeconds);
    if (verdict.kind === 'tooShort') {
      throw new MaintenanceWindowTooShort(
        `A batch of node group ${input.nodeGroupName} is expected to take ${batchSeconds} s, but the maintenance window ` +
          `(${window.days.join(', ')} ${window.start}-${window.end} ${window.timezone}) is open at most ${verdict.longestSeconds} s at a time: ` +
          'widen the window, or lower maxUnavailable, and start the rollout again.',
      );
    }
    if (verdict.kind === 'open') return ready;
    const until = new Date(verdict.opens).toISOString();
    if (gate?.until !== until) {
      await publish(
        deps.sns,
        deps.notificationTopicArn,
        waitingNotification({
          clusterName: input.clusterName,
          nodeGroupName: input.nodeGroupName,
          amiId: input.amiId,
          executionName: execution.name,
          consoleUrl: consoleUrl(execution.id),
          reason: 'WaitingForWindow',
          lines: [
            `The rollout of ${input.clusterName}/${input.nodeGroupName} to ${input.amiId} waits ${what} for its maintenance window`,
            `(${window.days.join(', ')} ${window.start}-${window.end} ${window.timezone}): it goes on at ${until}, ` +
              `expecting ${batchSeconds} s per batch, before ${new Date(verdict.closes).toISOString()}.`,
          ],
        }),
      );
    }
    return { go: false, until, reason: 'WaitingForWindow', holdSeconds: null };
  });

export const handler = makeHandler({
  cloudWatch: cloudWatchClient(),
  sns: snsClient(),
  dynamoDb: dynamoDbClient(),
  lockTableName: requireEnv('LOCK_TABLE_NAME'),
  now: Date.now,
  notificationTopicArn: requireEnv('NOTIFICATION_TOPIC_ARN'),
});
