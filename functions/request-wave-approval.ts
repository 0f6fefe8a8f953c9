import * as z from 'zod';
import { publish } from './adapters/notifications.ts';
import { snsClient } from './commons/clients.ts';
import { requireEnv } from './commons/config.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { lambdaHandler } from './commons/handler.ts';
import { consoleUrl } from './domain/notification.ts';
import { cursorSchema, waveApprovalNotification, waveSchema } from './domain/waves.ts';

const event = z.object({
  rolls: z.string(),
  waves: z.array(waveSchema).min(1),
  cursor: cursorSchema,
  executionId: z.string().min(1),
  /** The token the answer is sent to; the CLI reads it from the promotion's history. */
  taskToken: z.string().min(1),
});

/**
 * Asks a person whether the next wave may start (the promotion waits on the task token): publishes
 * what rolled so far and the commands that answer. Nothing else: the answer resumes the promotion.
 */
export const makeHandler = (deps: Pick<Dependencies, 'sns' | 'now' | 'notificationTopicArn'>) =>
  lambdaHandler(event, async ({ rolls, waves, cursor, executionId }) => {
    const wave = waves[cursor.index];
    if (wave === undefined)
      throw new Error(`The promotion has no wave ${cursor.index} (it has ${waves.length}).`);
    await publish(
      deps.sns,
      deps.notificationTopicArn,
      waveApprovalNotification({
        rolls,
        wave,
        done: waves.slice(0, cursor.index).map((earlier) => earlier.name),
        executionArn: executionId,
        consoleUrl: consoleUrl(executionId),
        deadline: deps.now() + cursor.approvalTimeoutSeconds * 1000,
      }),
    );
    return { requested: true };
  });

export const handler = makeHandler({
  sns: snsClient(),
  now: Date.now,
  notificationTopicArn: requireEnv('NOTIFICATION_TOPIC_ARN'),
});
