import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  type StateMachine,
} from 'aws-local-stepfunctions';
import type { TaskState } from './definition.ts';
import type { LambdaRuntime } from './lambda.ts';
import {
  type ExecutionOutcome,
  type ExecutionRunner,
  stateMachineArn,
  stateMachineName,
} from './stepfunctions.ts';
import { account } from './world/catalog.ts';
import type { World } from './world.ts';

type JSONValue = Parameters<StateMachine['run']>[0];

const outcomeEvents: Record<ExecutionOutcome['status'], string> = {
  SUCCEEDED: 'ExecutionSucceeded',
  FAILED: 'ExecutionFailed',
  TIMED_OUT: 'ExecutionTimedOut',
  ABORTED: 'ExecutionAborted',
};

function outcomeOf(error: unknown): ExecutionOutcome {
  if (error instanceof ExecutionTimeoutError) {
    return {
      status: 'TIMED_OUT',
      error: 'States.Timeout',
      cause: "The execution ran longer than the state machine's TimeoutSeconds.",
    };
  }
  if (error instanceof ExecutionAbortedError) return { status: 'ABORTED' };
  if (error instanceof ExecutionError && error.cause instanceof Error) {
    return { status: 'FAILED', error: error.cause.name, cause: error.cause.message };
  }
  throw error;
}

/**
 * Runs executions of the rollout state machine on aws-local-stepfunctions, every Task on the
 * Lambda runtime, and records what a person follows in the timeline. Counts state transitions.
 */
export function executionRunner(
  world: World,
  machine: StateMachine,
  tasks: Map<string, TaskState>,
  lambda: LambdaRuntime,
): { run: ExecutionRunner; stateTransitions: () => number } {
  let stateTransitions = 0;
  const run: ExecutionRunner = (execution) => {
    world.registerExecutionInput(execution.input);
    world.timeline.record('ExecutionStarted', { execution: execution.name, input: execution.input });
    // Step Functions stops a Map when an iteration fails; aws-local-stepfunctions 3 still starts the
    // iterations it had queued, so their Tasks are refused here.
    const failedMaps = new Set<string>();
    const localHandlers = Object.fromEntries(
      [...tasks].map(([stateName, { functionKey, enclosingMap }]) => [
        stateName,
        (input: JSONValue) =>
          lambda.invoke({ functionKey, stateName, executionName: execution.name }, input, () =>
            enclosingMap === undefined ? true : !failedMaps.has(enclosingMap),
          ) as Promise<JSONValue>,
      ]),
    );
    const started = machine.run(execution.input as JSONValue, {
      overrides: { taskResourceLocalHandlers: localHandlers },
      context: {
        Execution: {
          Id: execution.arn,
          Name: execution.name,
          StartTime: execution.startDate.toISOString(),
          RoleArn: `arn:aws:iam::${account}:role/${stateMachineName}`,
        },
        StateMachine: { Id: stateMachineArn, Name: stateMachineName },
      },
    });
    void (async () => {
      for await (const event of started.eventLogs) {
        if (event.type === 'MapIterationFailed') failedMaps.add(event.parentState.name);
        if (event.type === 'StateRetried') {
          world.timeline.record('StateRetried', {
            execution: execution.name,
            state: event.state.name,
            attempt: event.retry.attempt,
          });
        }
        if (event.type !== 'StateEntered') continue;
        stateTransitions++;
        if (event.state.type === 'Map') failedMaps.delete(event.state.name);
        if (event.state.type === 'Task')
          world.timeline.record('StateEntered', { execution: execution.name, state: event.state.name });
        if (event.state.name === 'Rollback')
          world.timeline.record('RollbackStarted', { execution: execution.name });
      }
    })();
    const outcome = started.result
      .then(
        (output): ExecutionOutcome => ({ status: 'SUCCEEDED', output: JSON.stringify(output) }),
        outcomeOf,
      )
      .then((result) => {
        world.timeline.record(outcomeEvents[result.status], {
          execution: execution.name,
          ...(result.error === undefined ? {} : { error: result.error }),
        });
        return result;
      });
    return { outcome, abort: started.abort };
  };
  return { run, stateTransitions: () => stateTransitions };
}
