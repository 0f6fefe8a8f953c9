import * as z from 'zod';
import { requireNoAlarm } from './adapters/alarms.ts';
import { cloudWatchClient } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { lambdaHandler } from './commons/handler.ts';
import { nextBakeLook } from './domain/plan.ts';
import { type WaveState, waveStateSchema } from './domain/waves.ts';

const event = z.object({ wave: waveStateSchema });

/**
 * One look during the bake after a wave's rollouts all succeeded: an alarm in ALARM stops the
 * promotion (AlarmTriggered); the bake passes once its time is up with every alarm quiet.
 */
export const makeHandler = (deps: Pick<Dependencies, 'cloudWatch' | 'now'>) =>
  lambdaHandler(event, async ({ wave }): Promise<WaveState> => {
    await requireNoAlarm(
      deps.cloudWatch,
      wave.alarms,
      `during the bake after wave ${wave.name}`,
      `the promotion stopped (waves ${wave.later.join(', ') || 'none'} not started)`,
    );
    return { ...wave, bake: nextBakeLook(wave.bake, wave.bakeSeconds, deps.now()) };
  });

export const handler = makeHandler({ cloudWatch: cloudWatchClient(), now: Date.now });
