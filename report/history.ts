import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { type BatchState, type Plan, planSchema } from '../functions/commons/state.ts';
import { caughtError } from '../functions/domain/notification.ts';
import { type ControlSpan, controlSpans } from './control.ts';
import { objectAt, parseObject } from './json.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** The steps of one batch, as the state machine walks them. */
export type BatchStep = 'waitReady' | 'cordon' | 'drain' | 'terminate';

/** Epoch milliseconds: from entering the step's first state to the last event seen while in the step. */
export interface Span {
  start: number;
  end: number;
}

export interface BatchRun {
  /** Zero-based, as in the plan. */
  index: number;
  nodes: BatchState['nodes'];
  steps: Partial<Record<BatchStep, Span>>;
  /** What held the drain in its last round; empty when nothing did. */
  drainBlockers: string[];
  drained: boolean;
  terminated: boolean;
}

/** An execution as its history tells it: where it is, what it planned, what each batch did. */
export interface ExecutionRun {
  status: ExecutionStatus;
  startedAt: number | undefined;
  stoppedAt: number | undefined;
  /** The execution input as given (it may not even be valid). */
  input: Record<string, unknown>;
  plan: Plan | undefined;
  batches: BatchRun[];
  /** The state entered last. */
  currentState: string | undefined;
  /** The batch step the execution is in, when it is inside a batch. */
  currentStep: BatchStep | undefined;
  error: { name: string; cause: string } | undefined;
  /** Epoch milliseconds: the last Task failure before the rollback (earlier ones were retried). */
  failedAt: number | undefined;
  /** Epoch milliseconds: when the Rollback state was entered. */
  rollbackAt: number | undefined;
  /** The execution a large group's rollout continued in (Finish's `continuedAs`). */
  continuedAs: string | undefined;
  /** Where it stood still: maintenance windows, bakes, approvals, pauses. */
  controls: ControlSpan[];
}

/** States of the ReplaceBatches iteration (statemachine/rollout.asl.json) and the step each belongs to. */
const stepOfState: Record<string, BatchStep> = {
  Surge: 'waitReady',
  WaitForReplacements: 'waitReady',
  CheckReplacements: 'waitReady',
  'ReplacementsReady?': 'waitReady',
  Cordon: 'cordon',
  Drain: 'drain',
  'Drained?': 'drain',
  WaitForDrain: 'drain',
  Terminate: 'terminate',
  'Terminated?': 'terminate',
  WaitForTermination: 'terminate',
};

const stoppedStatus: Partial<Record<string, ExecutionStatus>> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionTimedOut: 'TIMED_OUT',
  ExecutionAborted: 'ABORTED',
};

const taskFailures = new Set([
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'TaskFailed',
  'TaskTimedOut',
]);

const iterationEnds = new Set(['MapIterationSucceeded', 'MapIterationFailed', 'MapIterationAborted']);

type Json = Record<string, unknown>;

function batchOf(stateInput: Json): BatchRun | undefined {
  const batch = objectAt(stateInput, 'batch');
  if (typeof batch.index !== 'number' || !Array.isArray(batch.nodes)) return undefined;
  return {
    index: batch.index,
    nodes: (batch.nodes as Json[]).map((node) => ({
      instanceId: String(node.instanceId ?? ''),
      nodeName: String(node.nodeName ?? ''),
    })),
    steps: {},
    drainBlockers: [],
    drained: false,
    terminated: false,
  };
}

/** Reads an execution's history (any order, all pages) into where it stands. Pure. */
export function readExecution(events: readonly HistoryEvent[]): ExecutionRun {
  const run: ExecutionRun = {
    status: 'RUNNING',
    startedAt: undefined,
    stoppedAt: undefined,
    input: {},
    plan: undefined,
    batches: [],
    currentState: undefined,
    currentStep: undefined,
    error: undefined,
    failedAt: undefined,
    rollbackAt: undefined,
    continuedAs: undefined,
    controls: controlSpans(events),
  };
  let batch: BatchRun | undefined;
  for (const event of [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0))) {
    const t = event.timestamp?.getTime() ?? 0;
    const step = run.currentStep ? batch?.steps[run.currentStep] : undefined;
    if (step) step.end = t;
    const type = event.type ?? '';
    const stopped = stoppedStatus[type];
    if (type === 'ExecutionStarted') {
      run.startedAt = t;
      run.input = parseObject(event.executionStartedEventDetails?.input);
    } else if (stopped) {
      run.status = stopped;
      run.stoppedAt = t;
      run.currentStep = undefined;
      const details =
        event.executionFailedEventDetails ??
        event.executionTimedOutEventDetails ??
        event.executionAbortedEventDetails;
      if (stopped !== 'SUCCEEDED') run.error = caughtError({ Error: details?.error, Cause: details?.cause });
      const { continuedAs } = parseObject(event.executionSucceededEventDetails?.output);
      run.continuedAs = typeof continuedAs === 'string' ? continuedAs : undefined;
    } else if (taskFailures.has(type)) {
      if (run.rollbackAt === undefined) run.failedAt = t;
    } else if (iterationEnds.has(type)) {
      run.currentStep = undefined;
      batch = undefined;
    } else if (event.stateEnteredEventDetails) {
      const { name = '', input } = event.stateEnteredEventDetails;
      run.currentState = name;
      if (name === 'Rollback') run.rollbackAt ??= t;
      // A batch's states carry it ($.batch): batches surged by the one before them enter no Surge.
      const carried = stepOfState[name] ? batchOf(parseObject(input)) : undefined;
      if (carried && carried.index !== batch?.index) {
        batch = carried;
        run.batches.push(batch);
      }
      const entered = batch ? stepOfState[name] : undefined;
      if (batch && entered && entered !== run.currentStep) batch.steps[entered] ??= { start: t, end: t };
      run.currentStep = entered;
    } else if (event.stateExitedEventDetails) {
      const { name, output } = event.stateExitedEventDetails;
      const state = parseObject(output);
      if (name === 'Plan') {
        const plan = planSchema.safeParse(state.plan);
        if (plan.success) run.plan = plan.data;
      } else if (name === 'Drain' && batch) {
        const drain = objectAt(state, 'drain');
        batch.drained = drain.done === true;
        batch.drainBlockers = Array.isArray(drain.blockers) ? drain.blockers.map(String) : [];
      } else if (name === 'Terminate' && batch) {
        batch.terminated = objectAt(state, 'wait').done === true;
      }
    }
  }
  return run;
}

/** Nodes whose batch finished terminating. */
export function nodesReplaced(run: ExecutionRun): number {
  return run.batches.filter((batch) => batch.terminated).reduce((sum, batch) => sum + batch.nodes.length, 0);
}

/** The batch the execution is in, or the unfinished one it left (it failed there). */
export function currentBatch(run: ExecutionRun): BatchRun | undefined {
  const last = run.batches.at(-1);
  return last && (run.currentStep || !last.terminated) ? last : undefined;
}

/** The step a batch reached last. */
export function lastStep(batch: BatchRun): BatchStep | undefined {
  return (Object.keys(batch.steps) as BatchStep[]).at(-1);
}
