import type { HistoryEvent } from '@aws-sdk/client-sfn';

/**
 * An execution's history as Step Functions would record it, counted from aws-local-stepfunctions'
 * event log (which has one event per state entered, exited, failed or retried):
 *
 * - the execution: `ExecutionStarted`, then `ExecutionSucceeded` / `Failed` / `Aborted` / `TimedOut`;
 * - a Lambda Task: `TaskStateEntered`, `LambdaFunctionScheduled`, `LambdaFunctionStarted`, then
 *   `LambdaFunctionSucceeded` and `TaskStateExited`; a failure adds `LambdaFunctionFailed`, and a retry
 *   of it a new `Scheduled` / `Started` (3 events per retry, as the history of a retried Lambda Task
 *   shows: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html);
 * - a Map: `MapStateEntered`, `MapStateStarted`, per iteration `MapIterationStarted` and
 *   `MapIterationSucceeded` (or `Failed`), then `MapStateSucceeded` and `MapStateExited`;
 * - Wait, Choice, Pass, Succeed: `…StateEntered` and `…StateExited`; Fail: `FailStateEntered`.
 */
export interface LoggedEvent {
  type: string;
  state?: { type: string; input?: unknown; output?: unknown };
}

const onEnter: Record<string, number> = { Task: 3, Map: 2 };
const onExit: Record<string, number> = { Task: 2, Map: 2, Fail: 0 };
const onFailure: Record<string, number> = { Task: 1, Map: 1 };

export function historyEventsOf(event: LoggedEvent): number {
  const stateType = event.state?.type ?? '';
  switch (event.type) {
    case 'StateEntered':
      return onEnter[stateType] ?? 1;
    case 'StateExited':
      return onExit[stateType] ?? 1;
    case 'StateFailed':
      return onFailure[stateType] ?? 0;
    case 'StateRetried':
      // The engine logs the failure (StateFailed: LambdaFunctionFailed) before it retries.
      return 2;
    case 'StateCaught':
      return 0;
    default:
      // ExecutionStarted / Succeeded / Failed / Terminated, MapIterationStarted / Succeeded / Failed.
      return 1;
  }
}

/** Bytes of the largest state input or output the event carries (Step Functions' limit is 256 KiB). */
export function payloadBytesOf(event: LoggedEvent): number {
  if (event.type !== 'StateEntered' && event.type !== 'StateExited') return 0;
  const data = event.type === 'StateEntered' ? event.state?.input : event.state?.output;
  return data === undefined ? 0 : Buffer.byteLength(JSON.stringify(data) ?? '');
}

/** What one execution used of Step Functions' limits. */
export interface ExecutionStats {
  name: string;
  historyEvents: number;
  stateTransitions: number;
  maxPayloadBytes: number;
}

type Json = unknown;
type Details = Omit<HistoryEvent, 'id' | 'previousEventId' | 'timestamp' | 'type'>;

/** One event as recorded: its data kept as the engine made it, turned into text only when served. */
interface Recorded {
  type: string;
  timestamp: number;
  details: () => Details;
  /** Shaped once: a replay asks for the same events again and again. */
  shaped?: HistoryEvent;
}

const text = (value: Json) => JSON.stringify(value ?? null);

/**
 * An execution's history as GetExecutionHistory answers it, from aws-local-stepfunctions' event log,
 * event for event as `historyEventsOf` counts them: the state events named by state type
 * (`TaskStateEntered`, `MapStateExited`), a Lambda Task's scheduling, start, success or failure, a
 * Map's start and its iterations (docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html).
 */
export class ExecutionHistory {
  private readonly recorded: Recorded[] = [];

  /** The execution's end, with the error and cause of a failure. */
  ended(timestamp: number, status: string, output?: string, error?: string, cause?: string): void {
    const details: Record<string, () => Details> = {
      SUCCEEDED: () => ({ executionSucceededEventDetails: { output, outputDetails: { truncated: false } } }),
      FAILED: () => ({ executionFailedEventDetails: { error, cause } }),
      TIMED_OUT: () => ({ executionTimedOutEventDetails: { error, cause } }),
      ABORTED: () => ({ executionAbortedEventDetails: { error, cause } }),
    };
    const type = {
      SUCCEEDED: 'ExecutionSucceeded',
      FAILED: 'ExecutionFailed',
      TIMED_OUT: 'ExecutionTimedOut',
    }[status];
    this.recorded.push({
      type: type ?? 'ExecutionAborted',
      timestamp,
      details: details[status] ?? (() => ({})),
    });
  }

  /** An event of the engine's log; the execution's end is told by `ended`. */
  log(event: LoggedEngineEvent, roleArn: string): void {
    const add = (type: string, details: () => Details) =>
      this.recorded.push({ type, timestamp: event.timestamp, details });
    const state = event.state;
    switch (event.type) {
      case 'ExecutionStarted':
        add('ExecutionStarted', () => ({
          executionStartedEventDetails: {
            input: text(event.input),
            inputDetails: { truncated: false },
            roleArn,
          },
        }));
        return;
      case 'StateEntered':
        if (!state) return;
        add(`${state.type}StateEntered`, () => ({
          stateEnteredEventDetails: { name: state.name, input: text(state.input) },
        }));
        if (state.type === 'Task') this.lambdaStarts(add);
        if (state.type === 'Map') add('MapStateStarted', () => ({}));
        return;
      case 'StateExited':
        if (!state || state.type === 'Fail') return;
        if (state.type === 'Task')
          add('LambdaFunctionSucceeded', () => ({
            lambdaFunctionSucceededEventDetails: { output: text(state.output) },
          }));
        if (state.type === 'Map') add('MapStateSucceeded', () => ({}));
        add(`${state.type}StateExited`, () => ({
          stateExitedEventDetails: { name: state.name, output: text(state.output) },
        }));
        return;
      case 'StateFailed':
        if (state?.type === 'Task')
          add('LambdaFunctionFailed', () => ({
            lambdaFunctionFailedEventDetails: { error: event.Error, cause: String(event.Cause ?? '') },
          }));
        else if (state?.type === 'Map') add('MapStateFailed', () => ({}));
        return;
      case 'StateRetried':
        // The failed attempt was logged (StateFailed); the next one is scheduled and started.
        this.lambdaStarts(add);
        return;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const key = `${event.type[0]?.toLowerCase()}${event.type.slice(1)}EventDetails`;
        add(event.type, () => ({ [key]: { name: event.parentState?.name, index: event.index } }));
        return;
      }
      default:
        return;
    }
  }

  private lambdaStarts(add: (type: string, details: () => Details) => void): void {
    add('LambdaFunctionScheduled', () => ({}));
    add('LambdaFunctionStarted', () => ({}));
  }

  /** The events recorded up to `until` (epoch ms), as the API shapes them; ids count from 1. */
  events(until: number): HistoryEvent[] {
    return this.recorded
      .filter((event) => event.timestamp <= until)
      .map((event, index) => {
        event.shaped ??= {
          id: index + 1,
          previousEventId: index,
          timestamp: new Date(event.timestamp),
          type: event.type as HistoryEvent['type'],
          ...event.details(),
        };
        return event.shaped;
      });
  }
}

/** What ExecutionHistory reads of an engine event. */
export interface LoggedEngineEvent {
  type: string;
  timestamp: number;
  input?: Json;
  state?: { name: string; type: string; input?: Json; output?: Json };
  parentState?: { name: string };
  index?: number;
  Error?: string;
  Cause?: unknown;
}
