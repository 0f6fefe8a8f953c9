import * as z from 'zod';
import { RolloutsNotStarted, startExecutions } from './adapters/executions.ts';
import { sfnClient } from './commons/clients.ts';
import { requireEnv } from './commons/config.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { lambdaHandler } from './commons/handler.ts';
import { logger } from './commons/powertools.ts';
import type { RolloutLaunch } from './domain/targets.ts';
import { type WaveState, waveSchema, waveStarted } from './domain/waves.ts';

const event = z.object({ waves: z.array(waveSchema).min(1), index: z.int().min(0) });

/**
 * Starts the rollouts of one wave of a promotion. Safe to repeat: each rollout's execution name is
 * fixed by its group and AMI, so a second start is a duplicate, not a second rollout.
 */
export const makeHandler = (deps: Pick<Dependencies, 'sfn' | 'now'> & { stateMachineArn: string }) =>
  lambdaHandler(event, async ({ waves, index }): Promise<WaveState> => {
    const wave = waveStarted(waves, index, deps.now());
    const launches = waves[index]?.launches as RolloutLaunch[];
    const { started, duplicates, failed } = await startExecutions(
      deps.sfn,
      deps.stateMachineArn,
      launches,
      deps.now,
    );
    logger.info('Wave started', { wave: wave.name, started, duplicates });
    if (failed.length > 0) {
      const causes = failed.map(
        ({ executionName, error }) => `${executionName}: ${error.name}: ${error.message}`,
      );
      throw new RolloutsNotStarted(
        `Wave ${wave.name}: could not start ${failed.length} rollout(s): ${causes.join('; ')}`,
      );
    }
    return wave;
  });

export const handler = makeHandler({
  sfn: sfnClient(),
  now: Date.now,
  stateMachineArn: requireEnv('STATE_MACHINE_ARN'),
});
