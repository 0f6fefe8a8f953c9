import * as z from 'zod';
import { requireNoAlarm } from './adapters/alarms.ts';
import { cloudWatchClient } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { lambdaHandler } from './commons/handler.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { batchSchema } from './commons/state.ts';
import { bakePollSeconds } from './domain/plan.ts';
import { secondsUntil } from './domain/polling.ts';

export const bakeSchema = z.object({
  done: z.boolean(),
  seconds: z.int().min(1),
  /** Epoch milliseconds: when the bake began and when it passes. */
  since: z.number(),
  until: z.number(),
});
export type BakeState = z.infer<typeof bakeSchema>;

const event = z.object({ input: rolloutInputSchema, batch: batchSchema, bake: bakeSchema.nullable() });

/**
 * One look during the bake after a batch: any alarm in ALARM stops the rollout (AlarmTriggered, and
 * the rollback); the bake passes once its time is up with every alarm quiet.
 */
export const makeHandler = (deps: Pick<Dependencies, 'cloudWatch' | 'now'>) =>
  lambdaHandler(event, async ({ input, batch, bake: previous }): Promise<BakeState> => {
    const now = deps.now();
    const bake = previous ?? { done: false, seconds: 1, since: now, until: now + batch.bakeSeconds * 1000 };
    await requireNoAlarm(
      deps.cloudWatch,
      input.alarms ?? [],
      `during the bake after batch ${batch.index + 1}`,
    );
    const left = secondsUntil(bake.until, now);
    if (left <= 0) return { ...bake, done: true, seconds: 1 };
    return { ...bake, done: false, seconds: Math.min(left, bakePollSeconds(batch.bakeSeconds)) };
  });

export const handler = makeHandler({ cloudWatch: cloudWatchClient(), now: Date.now });
