import type { ExecutionOutcome } from './stepfunctions.ts';

/** One Lambda invocation as the state machine made it: what the function got and how it answered. */
export interface TracedInvocation {
  state: string;
  functionKey: string;
  input: unknown;
  /** The result returned, or the error: `name` for Retry/Catch, `cause` the payload Lambda reported. */
  outcome: { result: unknown } | { error: string; cause: string };
}

/** One Wait state: when it was entered (virtual time, ISO) and how long it lasted. */
export interface TracedWait {
  state: string;
  enteredAt: string;
  seconds: number;
}

/**
 * What one execution did, as an engine saw it: every state entered in order, every Lambda
 * invocation, every Wait, and how it ended. Another engine replays it to check the definition.
 */
export interface ExecutionTrace {
  name: string;
  input: unknown;
  startDate: string;
  states: string[];
  invocations: TracedInvocation[];
  waits: TracedWait[];
  status: ExecutionOutcome['status'];
  error: string | null;
  cause: string | null;
}

/** Builds an execution's trace from the engine's events and the Lambda runtime's answers. */
export class TraceRecorder {
  readonly trace: ExecutionTrace;
  private readonly waitsEntered = new Map<string, number>();

  constructor(
    execution: { name: string; input: unknown; startDate: Date },
    private readonly now: () => number,
  ) {
    this.trace = {
      name: execution.name,
      input: execution.input,
      startDate: execution.startDate.toISOString(),
      states: [],
      invocations: [],
      waits: [],
      status: 'SUCCEEDED',
      error: null,
      cause: null,
    };
  }

  entered(state: string, type: string): void {
    this.trace.states.push(state);
    if (type === 'Wait') this.waitsEntered.set(state, this.now());
  }

  exited(state: string, type: string): void {
    const enteredAt = this.waitsEntered.get(state);
    if (type !== 'Wait' || enteredAt === undefined) return;
    this.waitsEntered.delete(state);
    this.trace.waits.push({
      state,
      enteredAt: new Date(enteredAt).toISOString(),
      seconds: (this.now() - enteredAt) / 1000,
    });
  }

  invoked(invocation: Omit<TracedInvocation, 'outcome'>, outcome: TracedInvocation['outcome']): void {
    this.trace.invocations.push({ ...invocation, outcome: structuredClone(outcome) });
  }

  ended(outcome: ExecutionOutcome): ExecutionTrace {
    Object.assign(this.trace, {
      status: outcome.status,
      error: outcome.error ?? null,
      cause: outcome.cause ?? null,
    });
    return this.trace;
  }
}
