import * as z from 'zod';
import { runningExecutions, stateMachineArnOf } from './adapters/running-rollouts.ts';
import { sfnClient } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { ParentExecutionRunning, RolloutInProgress } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { executionSchema } from './commons/state.ts';
import { lockHolder } from './domain/lock.ts';

const event = z.object({ input: rolloutInputSchema, execution: executionSchema });

/**
 * One rollout per node group: refuse when an earlier RUNNING execution targets the same group. An
 * execution that continues another one waits (the state machine retries) until that one has ended.
 */
export const makeHandler = (deps: Pick<Dependencies, 'sfn'>) =>
  lambdaHandler(event, async ({ input, execution }) => {
    const running = await runningExecutions(deps.sfn, stateMachineArnOf(execution.id));
    const holder = lockHolder(execution.id, running, input);
    if (holder && holder.name === input.continuedFrom) {
      throw new ParentExecutionRunning(
        `Execution ${holder.name}, which this one continues, is still running: looking again shortly.`,
      );
    }
    if (holder) {
      throw new RolloutInProgress(
        `Execution ${holder.name} (started ${new Date(holder.startDate).toISOString()}) is already rolling node group ` +
          `${input.nodeGroupName} of cluster ${input.clusterName}: wait for it to finish, or stop it in the Step Functions console.`,
      );
    }
    return { holder: execution.name };
  });

export const handler = makeHandler({ sfn: sfnClient() });
