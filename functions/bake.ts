import * as z from 'zod';
import { requireNoAlarm } from './adapters/alarms.ts';
import { cloudWatchClient } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { lambdaHandler } from './commons/handler.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { batchSchema } from './commons/state.ts';
import { nextBakeLook } from './domain/plan.ts';

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
    await requireNoAlarm(
      deps.cloudWatch,
      input.alarms ?? [],
      `during the bake after batch ${batch.index + 1}`,
    );
    return nextBakeLook(previous, batch.bakeSeconds, deps.now());
  });

export const handler = makeHandler({ cloudWatch: cloudWatchClient(), now: Date.now });
