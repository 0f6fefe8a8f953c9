import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  type StateMachine,
} from 'aws-local-stepfunctions';
import { type TaskState, valueAtPath } from './definition.ts';
import { ExecutionHistory, type ExecutionStats, historyEventsOf, payloadBytesOf } from './history.ts';
import type { LambdaRuntime } from './lambda.ts';
import {
  type ExecutionOutcome,
  type ExecutionRunner,
  stateMachineArn,
  stateMachineName,
  TaskTokens,
} from './stepfunctions.ts';
import { type ExecutionTrace, TraceRecorder } from './trace.ts';
import { account } from './world/catalog.ts';
import type { ExecutionEnding } from './world/faults.ts';
import type { World } from './world.ts';

type JSONValue = Parameters<StateMachine['run']>[0];
type EngineEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncIterable<infer E> ? E : never;

const outcomeEvents: Record<ExecutionOutcome['status'], string> = {
  SUCCEEDED: 'ExecutionSucceeded',
  FAILED: 'ExecutionFailed',
  TIMED_OUT: 'ExecutionTimedOut',
  ABORTED: 'ExecutionAborted',
};

/** The Wait states that hold an execution until its maintenance window's next opening. */
const windowWaits = new Set(['WaitForWindow', 'WaitForBatchWindow']);
/** Where an execution stands still by choice (a window, a person's pause): no wait for replacements runs there. */
const standingStill = new Set([...windowWaits, 'Paused', 'PausedBeforeChanges']);

/**
 * The rollout-control moments a person follows on the timeline, from the state entered and its
 * input, with the wall-clock time in `detail.at`.
 */
function controlEvent(
  state: string,
  input: unknown,
  now: number,
): { event: string; detail: Record<string, unknown> } | undefined {
  const at = new Date(now).toISOString();
  if (windowWaits.has(state)) {
    const batch = valueAtPath(input, '$.batch.index');
    return {
      event: 'WaitingForWindow',
      detail: { at, until: valueAtPath(input, '$.gate.until'), ...(batch === undefined ? {} : { batch }) },
    };
  }
  if (state === 'WaitForFastLaunch') {
    return {
      event: 'WaitingForFastLaunch',
      detail: {
        at,
        until: valueAtPath(input, '$.verified.fastLaunch.until'),
        amiId: valueAtPath(input, '$.input.amiId'),
      },
    };
  }
  if (state === 'Bake' && valueAtPath(input, '$.bake') === null) {
    return {
      event: 'BakeStarted',
      detail: {
        at,
        batch: valueAtPath(input, '$.batch.index'),
        bakeSeconds: valueAtPath(input, '$.batch.bakeSeconds'),
      },
    };
  }
  if (state === 'BakeWave' && valueAtPath(input, '$.wave.bake') === null) {
    return {
      event: 'WaveBakeStarted',
      detail: {
        at,
        wave: valueAtPath(input, '$.wave.name'),
        bakeSeconds: valueAtPath(input, '$.wave.bakeSeconds'),
      },
    };
  }
  return undefined;
}

/** The promotion's wave whose rollouts StartWave started (its output), with the wall-clock time in `detail.at`. */
function waveStarted(state: string, output: unknown, now: number): Record<string, unknown> | undefined {
  if (state !== 'StartWave') return undefined;
  return {
    at: new Date(now).toISOString(),
    wave: valueAtPath(output, '$.wave.name'),
    executions: valueAtPath(output, '$.wave.executions'),
  };
}

const timedOut: ExecutionOutcome = {
  status: 'TIMED_OUT',
  error: 'States.Timeout',
  cause: "The execution ran longer than the state machine's TimeoutSeconds.",
};

/** `endedAs`: how the simulator stopped it (the `executionTimedOut` fault stops the engine too). */
function outcomeOf(error: unknown, endedAs: ExecutionEnding | undefined): ExecutionOutcome {
  if (error instanceof ExecutionTimeoutError) return timedOut;
  if (error instanceof ExecutionAbortedError)
    return endedAs === 'TIMED_OUT' ? timedOut : { status: 'ABORTED' };
  if (error instanceof ExecutionError && error.cause instanceof Error) {
    return { status: 'FAILED', error: error.cause.name, cause: error.cause.message };
  }
  throw error;
}

/**
 * Runs executions of the rollout state machine on aws-local-stepfunctions, every Task on the
 * Lambda runtime, and records what a person follows in the timeline. Counts state transitions, and
 * tells the faults when a batch (a Map iteration) starts and when a step has returned.
 */
export function executionRunner(
  world: World,
  machine: StateMachine,
  definition: {
    tasks: Map<string, TaskState>;
    itemsPaths: Map<string, string>;
    mapMembers: Map<string, string>;
  },
  lambda: LambdaRuntime,
  /** Milliseconds each Wait state lasts instead of its own, by state name (the bench's zero-latency runs). */
  waitTimeOverrides: Record<string, number> = {},
  taskTokens: TaskTokens = new TaskTokens(),
  /** Sees each execution's trace as it ends (the second-engine check replays them). */
  onTrace: (trace: ExecutionTrace) => void = () => undefined,
  /** The state machine run: the rollout's, or the promotion's. */
  stateMachine = { arn: stateMachineArn, name: stateMachineName },
): { run: ExecutionRunner; stateTransitions: () => number; stats: () => ExecutionStats[] } {
  const { tasks, itemsPaths, mapMembers } = definition;
  let stateTransitions = 0;
  const stats: ExecutionStats[] = [];
  const run: ExecutionRunner = (execution) => {
    const usage: ExecutionStats = {
      name: execution.name,
      historyEvents: 0,
      stateTransitions: 0,
      maxPayloadBytes: 0,
    };
    stats.push(usage);
    const recorder = new TraceRecorder(execution, () => world.scheduler.now());
    world.registerExecutionInput(execution.input);
    world.timeline.record('ExecutionStarted', { execution: execution.name, input: execution.input });
    // Step Functions stops a Map when an iteration fails, and everything when the execution is
    // stopped; aws-local-stepfunctions 3 still starts the iterations it had queued, so their Tasks
    // are refused here and their events neither counted nor followed. By Map: the failed iteration.
    const failedIterations = new Map<string, number>();
    const strayIteration = (event: EngineEvent): boolean => {
      const map =
        'parentState' in event
          ? event.parentState.name
          : 'state' in event
            ? mapMembers.get(event.state.name)
            : undefined;
      const failedAt = map === undefined ? undefined : failedIterations.get(map);
      const index = 'index' in event ? event.index : undefined;
      return failedAt !== undefined && index !== undefined && index > failedAt;
    };
    let stopped = false;
    let endedAs: ExecutionEnding | undefined;
    const batchCounts = new Map<string, number>();
    const history = new ExecutionHistory();
    const roleArn = `arn:aws:iam::${account}:role/${stateMachine.name}`;
    // One token per execution: at most one Task of it waits on a token at a time (an approval, a pause).
    const taskToken = Buffer.from(`${execution.arn}#${world.ids.uuid()}`).toString('base64url');
    const localHandlers = Object.fromEntries(
      [...tasks].map(([stateName, { functionKey, enclosingMap, waitsForToken }]) => {
        const invocation = { functionKey, stateName, executionName: execution.name };
        const mayRun = () => !stopped && (enclosingMap === undefined || !failedIterations.has(enclosingMap));
        const invoke = async (input: unknown): Promise<unknown> => {
          const traced = { state: stateName, functionKey, input };
          try {
            const result = await lambda.invoke(invocation, input, mayRun);
            recorder.invoked(traced, { result });
            return result;
          } catch (error) {
            const failure = error instanceof Error ? error : new Error(String(error));
            // An invocation refused because the engine had given up on it never happened.
            if (mayRun()) recorder.invoked(traced, { error: failure.name, cause: failure.message });
            throw error;
          }
        };
        const handler = waitsForToken
          ? async (input: JSONValue) => {
              // The token is answerable once the Task is scheduled, so its function may answer it itself.
              const answer = taskTokens.wait(taskToken, execution.name);
              // lambda:invoke hands the function Parameters.Payload; the Task's result is the answer sent to the token.
              try {
                await invoke((input as { Payload?: unknown }).Payload);
              } catch (error) {
                taskTokens.forget(execution.name);
                throw error;
              }
              taskTokens.delivered(taskToken, execution.name, functionKey);
              return (await answer) as JSONValue;
            }
          : (input: JSONValue) => invoke(input) as Promise<JSONValue>;
        return [stateName, handler];
      }),
    );
    const started = machine.run(execution.input as JSONValue, {
      overrides: { taskResourceLocalHandlers: localHandlers, waitTimeOverrides },
      context: {
        Execution: {
          Id: execution.arn,
          Name: execution.name,
          StartTime: execution.startDate.toISOString(),
          RoleArn: roleArn,
        },
        StateMachine: { Id: stateMachine.arn, Name: stateMachine.name },
        Task: { Token: taskToken },
      },
    });
    void (async () => {
      for await (const event of started.eventLogs) {
        if (strayIteration(event)) continue;
        if (!stopped) history.log(event, roleArn);
        usage.historyEvents += historyEventsOf(event);
        usage.maxPayloadBytes = Math.max(usage.maxPayloadBytes, payloadBytesOf(event));
        if (event.type === 'MapIterationFailed' && !failedIterations.has(event.parentState.name))
          failedIterations.set(event.parentState.name, event.index);
        if (event.type === 'MapIterationStarted') {
          const count = batchCounts.get(event.parentState.name) ?? 0;
          world.faults.batchStarted(execution.name, event.index, count);
        }
        if (event.type === 'StateExited') recorder.exited(event.state.name, event.state.type);
        if (event.type === 'StateExited' && event.state.type === 'Task') {
          const step = tasks.get(event.state.name)?.functionKey ?? '';
          const ending = world.faults.stopsAfterStep(step);
          if (ending) world.stopExecution?.(execution.name, ending);
          // The plan as made, for the report: its batches, including the nodes a failure never reaches.
          const plan = event.state.name === 'Plan' ? valueAtPath(event.state.output, '$.plan') : undefined;
          if (plan !== undefined)
            world.timeline.record('RolloutPlanned', { execution: execution.name, plan });
          const wave = waveStarted(event.state.name, event.state.output, world.scheduler.now());
          if (wave) world.timeline.record('WaveStarted', { execution: execution.name, ...wave });
        }
        if (
          (event.type === 'StateEntered' || event.type === 'StateExited') &&
          standingStill.has(event.state.name)
        )
          world.windowWait(execution.input, event.type === 'StateEntered');
        if (event.type === 'StateRetried') {
          world.timeline.record('StateRetried', {
            execution: execution.name,
            state: event.state.name,
            attempt: event.retry.attempt,
          });
        }
        if (event.type !== 'StateEntered') continue;
        recorder.entered(event.state.name, event.state.type);
        stateTransitions++;
        usage.stateTransitions++;
        if (event.state.type === 'Map') {
          failedIterations.delete(event.state.name);
          const items = valueAtPath(event.state.input, itemsPaths.get(event.state.name) ?? '');
          batchCounts.set(event.state.name, Array.isArray(items) ? items.length : 0);
        }
        if (event.state.type === 'Task') {
          // Tasks of a batch carry its plan index: batches after the first start without a Surge.
          const batch = valueAtPath(event.state.input, '$.batch.index');
          world.timeline.record('StateEntered', {
            execution: execution.name,
            state: event.state.name,
            ...(typeof batch === 'number' ? { batch } : {}),
          });
        }
        const control = controlEvent(event.state.name, event.state.input, world.scheduler.now());
        if (control) world.timeline.record(control.event, { execution: execution.name, ...control.detail });
        if (event.state.name === 'Rollback')
          world.timeline.record('RollbackStarted', { execution: execution.name });
      }
    })();
    const outcome = started.result
      .then(
        (output): ExecutionOutcome => ({ status: 'SUCCEEDED', output: JSON.stringify(output) }),
        (error: unknown) => outcomeOf(error, endedAs),
      )
      .then((result) => {
        taskTokens.forget(execution.name);
        world.executionEnded(execution.input);
        onTrace(recorder.ended(result));
        history.ended(world.scheduler.now(), result.status, result.output, result.error, result.cause);
        world.timeline.record(outcomeEvents[result.status], {
          execution: execution.name,
          ...(result.error === undefined ? {} : { error: result.error }),
        });
        return result;
      });
    const abort = (ending: ExecutionEnding) => {
      stopped = true;
      endedAs = ending;
      started.abort();
    };
    return { outcome, abort, history };
  };
  return { run, stateTransitions: () => stateTransitions, stats: () => stats };
}
