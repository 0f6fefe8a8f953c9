import * as z from 'zod';
import { describeRollouts } from './adapters/executions.ts';
import { sfnClient } from './commons/clients.ts';
import { requireEnv } from './commons/config.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { WaveFailed, WaveTimedOut } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import {
  type WaveState,
  waveFailedCause,
  waveStateSchema,
  waveTimedOutCause,
  waveVerdict,
} from './domain/waves.ts';

const event = z.object({ wave: waveStateSchema });

/** One look at a wave's rollouts: done when all SUCCEEDED; WaveFailed as soon as one did not. */
export const makeHandler = (deps: Pick<Dependencies, 'sfn' | 'now'> & { stateMachineArn: string }) =>
  lambdaHandler(event, async ({ wave }): Promise<WaveState> => {
    const statuses = await describeRollouts(deps.sfn, deps.stateMachineArn, wave.executions);
    const verdict = waveVerdict(statuses, wave, deps.now());
    switch (verdict.kind) {
      case 'failed':
        throw new WaveFailed(waveFailedCause(wave.name, verdict.failures, wave.later));
      case 'timedOut':
        throw new WaveTimedOut(waveTimedOutCause(wave.name, wave.timeoutSeconds, verdict.running));
      case 'succeeded':
        return { ...wave, done: true, seconds: 1 };
      case 'running':
        return { ...wave, seconds: verdict.seconds };
    }
  });

export const handler = makeHandler({
  sfn: sfnClient(),
  now: Date.now,
  stateMachineArn: requireEnv('STATE_MACHINE_ARN'),
});
