import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { holdPause } from './adapters/lock-table.ts';
import { dynamoDbClient, sfnClient } from './commons/clients.ts';
import { requireEnv } from './commons/config.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { lambdaHandler } from './commons/handler.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { executionSchema, gateSchema, lockSchema } from './commons/state.ts';
import { leaseSeconds } from './domain/lock.ts';
import { pausedLeaseExpiry } from './domain/pause.ts';

const event = z.object({
  input: rolloutInputSchema,
  execution: executionSchema,
  lock: lockSchema,
  /** BeforeBatch's verdict: Paused, and how long the state machine waits before it looks again. */
  gate: gateSchema,
  /** The token `resume` answers (SendTaskSuccess); it finds it in the lock's item. */
  taskToken: z.string().min(1),
});

/**
 * A paused rollout waits (the state machine waits on the task token): the token goes into the lock's
 * item, for `resume`, and the lease is extended over the wait. If the pause was lifted before the
 * token was stored, nobody would answer it: the wait is answered here at once.
 */
export const makeHandler = (deps: Pick<Dependencies, 'dynamoDb' | 'sfn' | 'lockTableName' | 'now'>) =>
  lambdaHandler(event, async ({ input, execution, lock, gate, taskToken }) => {
    const expiresAt = pausedLeaseExpiry(deps.now(), gate.holdSeconds ?? 0, leaseSeconds(input));
    const held = await holdPause(
      deps.dynamoDb,
      deps.lockTableName,
      { groupId: lock.groupId, holder: execution.id, expiresAt },
      taskToken,
    );
    if (!held)
      await deps.sfn.send(
        new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ resumedBy: null }) }),
      );
    return { held };
  });

export const handler = makeHandler({
  dynamoDb: dynamoDbClient(),
  sfn: sfnClient(),
  lockTableName: requireEnv('LOCK_TABLE_NAME'),
  now: Date.now,
});
