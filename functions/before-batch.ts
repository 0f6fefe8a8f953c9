import * as z from 'zod';
import { requireNoAlarm } from './adapters/alarms.ts';
import { putRolloutEvents } from './adapters/events.ts';
import { readLease } from './adapters/lock-table.ts';
import { publish } from './adapters/notifications.ts';
import { cloudWatchClient, dynamoDbClient, eventBridgeClient, snsClient } from './commons/clients.ts';
import { requireEnv } from './commons/config.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { MaintenanceWindowTooShort } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import {
  batchSchema,
  countsSchema,
  executionSchema,
  type Gate,
  gateSchema,
  lockSchema,
} from './commons/state.ts';
import { batchProgress, type RolloutEventFacts, rolloutEvent } from './domain/events.ts';
import { consoleUrl, waitingNotification } from './domain/notification.ts';
import { pauseCheckSeconds } from './domain/pause.ts';
import { batchWindowVerdict, type EstimateBasis } from './domain/window.ts';

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
  /** The plan's counts, for the rollout events. */
  counts: countsSchema,
});

type Deps = Pick<
  Dependencies,
  'cloudWatch' | 'sns' | 'dynamoDb' | 'eventBridge' | 'lockTableName' | 'now' | 'notificationTopicArn'
>;

const ready = (now: number): Gate => ({
  go: true,
  until: null,
  reason: 'ready',
  holdSeconds: null,
  startedAt: now,
});

const estimateWords = (basis: EstimateBasis, slowest: number | null): string =>
  basis === 'observed'
    ? 'the slowest batch so far'
    : basis === 'plan'
      ? "the plan's estimate"
      : `the plan's estimate: batches so far took up to ${slowest} s, longer than any opening`;

/**
 * May the next batch start now? Not while a person has paused the rollout (the state machine waits
 * for the resume), nor while an alarm is in ALARM (AlarmTriggered), and with a maintenance window only
 * when the batch is expected to finish before it closes (as long as the slowest batch so far, which
 * Terminate records in the lock's item, else the plan's estimate); otherwise the state machine waits until the
 * next opening (operators are told once per wait). A paused rollout looks at its alarms on resume.
 * Rollout events: started (the first look before any change), paused and resumed (at the first look
 * that sees each), waiting for window (once per opening waited for).
 */
export const makeHandler = (deps: Deps) =>
  lambdaHandler(
    event,
    async ({ input, execution, lock, batchSeconds, batch, gate, counts }): Promise<Gate> => {
      const moment = (
        kind: RolloutEventFacts['kind'],
        extra: Record<string, unknown> = {},
        occurrence = '',
      ) =>
        rolloutEvent({
          kind,
          input,
          executionArn: execution.id,
          at: deps.now(),
          progress: batchProgress(batch, counts, false),
          batchIndex: batch?.index ?? null,
          occurrence,
          extra,
        });
      if (batch === null && gate === null) await putRolloutEvents(deps.eventBridge, [moment('started')]);
      const lease = await readLease(deps.dynamoDb, deps.lockTableName, lock.groupId);
      const pause = lease?.holder === execution.id ? lease.pause : null;
      if (pause !== null) {
        if (gate?.reason !== 'Paused') {
          const { by, reason } = pause;
          await putRolloutEvents(deps.eventBridge, [moment('paused', { by, reason }, String(pause.at))]);
        }
        return { go: false, until: null, reason: 'Paused', holdSeconds: pauseCheckSeconds, startedAt: null };
      }
      if (gate?.reason === 'Paused') await putRolloutEvents(deps.eventBridge, [moment('resumed')]);
      const what = batch === null ? 'before the rollout changed anything' : `before batch ${batch.index + 1}`;
      await requireNoAlarm(deps.cloudWatch, input.alarms ?? [], what);
      const window = input.maintenanceWindow;
      const now = deps.now();
      if (window === undefined) return ready(now);
      const slowest = lease?.holder === execution.id ? lease.slowestBatchSeconds : null;
      const { verdict, expectedSeconds, basis } = batchWindowVerdict(window, now, batchSeconds, slowest);
      if (verdict.kind === 'tooShort') {
        throw new MaintenanceWindowTooShort(
          `A batch of node group ${input.nodeGroupName} is expected to take ${batchSeconds} s, but the maintenance window ` +
            `(${window.days.join(', ')} ${window.start}-${window.end} ${window.timezone}) is open at most ${verdict.longestSeconds} s at a time: ` +
            'widen the window, or lower maxUnavailable, and start the rollout again.',
        );
      }
      if (verdict.kind === 'open') return ready(now);
      const until = new Date(verdict.opens).toISOString();
      if (gate?.until !== until) {
        const closes = new Date(verdict.closes).toISOString();
        await putRolloutEvents(deps.eventBridge, [
          moment('waitingForWindow', { until, closes, expectedBatchSeconds: expectedSeconds, basis }, until),
        ]);
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
                `expecting ${expectedSeconds} s per batch (${estimateWords(basis, slowest)}), before ${closes}.`,
            ],
          }),
        );
      }
      return { go: false, until, reason: 'WaitingForWindow', holdSeconds: null, startedAt: null };
    },
  );

export const handler = makeHandler({
  cloudWatch: cloudWatchClient(),
  sns: snsClient(),
  dynamoDb: dynamoDbClient(),
  eventBridge: eventBridgeClient(),
  lockTableName: requireEnv('LOCK_TABLE_NAME'),
  now: Date.now,
  notificationTopicArn: requireEnv('NOTIFICATION_TOPIC_ARN'),
});
