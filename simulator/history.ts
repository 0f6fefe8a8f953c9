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
