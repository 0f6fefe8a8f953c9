import type { ExecutionReport, SimulationReport } from '../simulator/runner.ts';
import type { TimelineEvent } from '../simulator/world/timeline.ts';
import type { ControlKind } from './control.ts';
import type { BatchStep, ExecutionRun, Span } from './history.ts';

/** `rollback`: the rollback undoing the node's step (uncordon, or removing an unused replacement). */
export type Phase = 'boot' | 'waitReady' | 'cordon' | 'drain' | 'terminate' | 'rollback';

/** In the order a node goes through them. */
export const phases: readonly Phase[] = ['boot', 'waitReady', 'cordon', 'drain', 'terminate', 'rollback'];

/** Seconds since the rollout started. */
export interface PhaseSpan {
  phase: Phase;
  start: number;
  end: number;
}

export interface NodeTimeline {
  nodeName: string;
  instanceId: string;
  /** Zero-based index of the execution (run) that planned the node last, or launched it. */
  run: number;
  /** Zero-based batch index, as that run planned it. */
  batch: number;
  /**
   * An old node the rollout drains and terminates, a new one it launched, a replacement an earlier
   * failed run left beyond the group's own size that a later run drained and removed, or a planned
   * node the rollout never reached (it failed or stopped first).
   */
  role: 'replaced' | 'replacement' | 'removed' | 'untouched';
  phases: PhaseSpan[];
  /** Seconds at which an eviction from this node was refused (429: a PDB allowed no disruption). */
  refusals?: number[];
}

/** Where and why a run failed. */
export interface Failure {
  run: number;
  /** Seconds since the start: the step that failed. */
  t: number;
  name: string;
  cause: string;
}

/** One execution of the rollout: the first, a continuation or a re-run. */
export interface RunSpan {
  index: number;
  name: string;
  start: number;
  end: number;
  status: string;
  /** When its rollback began. */
  rollback?: number;
}

/** A stretch the rollout stood still: its maintenance window, a bake, an approval, a pause. */
export interface ControlBand {
  kind: ControlKind;
  /** Seconds since the rollout started. */
  start: number;
  end: number;
}

export interface RolloutTarget {
  clusterName: string;
  nodeGroupName: string;
  amiId: string;
}

/** What the report draws: every node on one time axis, in seconds since the rollout started. */
export interface RolloutTimeline {
  title: string;
  target: RolloutTarget;
  /** How the execution that ended last ended: SUCCEEDED, FAILED, ... and, when it failed, the error name. */
  outcome: string;
  start: number;
  end: number;
  /** Every execution of the rollout, in the order they started. */
  runs: RunSpan[];
  nodes: NodeTimeline[];
  failures: Failure[];
  /** Where it stood still, by its own choice or a person's. */
  controls: ControlBand[];
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

export function targetOf(input: unknown): RolloutTarget {
  const fields = input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  return {
    clusterName: text(fields.clusterName),
    nodeGroupName: text(fields.nodeGroupName),
    amiId: text(fields.amiId),
  };
}

export const titleOf = (target: RolloutTarget) =>
  `Rollout of ${target.clusterName || '?'}/${target.nodeGroupName || '?'} to ${target.amiId || '?'}`;

const outcomeOf = (status: string, error: { name: string } | null | undefined) =>
  error ? `${status}: ${error.name}` : status;

/** The failure of a run that did not succeed; a stopped run has no error of its own. */
function failureOf(
  run: number,
  t: number,
  status: string,
  error: { name: string; cause: string } | null | undefined,
): Failure[] {
  if (status === 'SUCCEEDED' || status === 'RUNNING') return [];
  return [{ run, t, name: error?.name ?? status, cause: error?.cause ?? `The execution ended ${status}.` }];
}

/**
 * The timeline of real executions (one, or a rollout and the executions it continued in), from their
 * histories. A history names only the old nodes (the batches of the plan), so each of them gets a row,
 * and its wait-for-Ready is the time its batch's replacements took to boot and become Ready; `now`
 * ends the step still running. Planned nodes no execution reached are listed as untouched.
 */
export function timelineFromExecution(runs: readonly ExecutionRun[], now: number): RolloutTimeline {
  const origin = runs[0]?.startedAt ?? now;
  const seconds = (ms: number) => Math.max(0, (ms - origin) / 1000);
  const target = targetOf(runs[0]?.input);
  const final = runs.at(-1);
  const nodes = runs.flatMap((run, index) => {
    const last = run.batches.at(-1);
    return run.batches.flatMap((batch) =>
      batch.nodes.map(
        (node): NodeTimeline => ({
          nodeName: node.nodeName || node.instanceId,
          instanceId: node.instanceId,
          run: index,
          batch: batch.index,
          role: 'replaced',
          phases: (Object.entries(batch.steps) as [BatchStep, Span][]).map(([step, span]) => ({
            phase: step,
            start: seconds(span.start),
            end: seconds(batch === last && step === run.currentStep ? now : span.end),
          })),
        }),
      ),
    );
  });
  const reached = new Set(nodes.map((node) => node.instanceId));
  const untouched = runs.flatMap((run, index) =>
    (run.plan?.batches ?? []).flatMap((batch) =>
      batch.nodes
        .filter((node) => !reached.has(node.instanceId))
        .map(
          (node): NodeTimeline => ({
            nodeName: node.nodeName || node.instanceId,
            instanceId: node.instanceId,
            run: index,
            batch: batch.index,
            role: 'untouched',
            phases: [],
          }),
        ),
    ),
  );
  return {
    title: titleOf(target),
    target,
    outcome: outcomeOf(final?.status ?? 'RUNNING', final?.error),
    start: 0,
    end: seconds(final?.stoppedAt ?? now),
    controls: runs.flatMap((run) =>
      run.controls.map((span) => ({
        kind: span.kind,
        start: seconds(span.start),
        end: seconds(span.end ?? run.stoppedAt ?? now),
      })),
    ),
    runs: runs.map((run, index) => ({
      index,
      name: '',
      start: seconds(run.startedAt ?? now),
      end: seconds(run.stoppedAt ?? now),
      status: run.status,
      ...(run.rollbackAt === undefined ? {} : { rollback: seconds(run.rollbackAt) }),
    })),
    nodes: [...nodes, ...untouched],
    failures: runs.flatMap((run, index) =>
      failureOf(index, seconds(run.failedAt ?? run.stoppedAt ?? now), run.status, run.error),
    ),
  };
}

type Detail = TimelineEvent['detail'];
type Simulated = Pick<SimulationReport, 'status' | 'error' | 'simulatedSeconds' | 'instances' | 'timeline'> &
  Partial<Pick<SimulationReport, 'executions'>>;
interface PlannedNode {
  instanceId: string;
  nodeName: string;
}
interface PlannedBatch {
  index: number;
  nodes: PlannedNode[];
  /** The next batch's instances: its replacements are launched at this batch's Cordon. */
  next?: string[];
  /** The batches after the next, one list each: launched at this batch's Terminate. */
  afterNext?: string[][];
  /** A batch that only removes what an earlier run left beyond the group's own size. */
  removal?: boolean;
}

const endings: Record<string, string> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionTimedOut: 'TIMED_OUT',
  ExecutionAborted: 'ABORTED',
};

/** One execution of the rollout as the world's events tell it. */
class RunEvents {
  readonly end: number;
  readonly status: string;
  readonly error: ExecutionReport['error'];
  readonly plan: PlannedBatch[];
  readonly rollback: number | undefined;
  /** Batches whose replacements boot ahead (the plan's `surgeBatches`). */
  private readonly surgeBatches: number;
  /** Replacements attributed so far, per batch (launches are attributed in time order). */
  private readonly launched = new Map<number, number>();
  private readonly batchStates: TimelineEvent[];
  private readonly drains: number[];
  private readonly terminations: number[];
  /** Each batch's first Task: batches after the first start without a Surge. */
  private readonly starts: [number, number][];

  constructor(
    readonly index: number,
    readonly name: string,
    readonly start: number,
    report: Simulated,
  ) {
    const own = report.timeline.filter((e) => e.detail.execution === name);
    const stopped = own.find((e) => endings[e.event] !== undefined);
    this.end = stopped?.t ?? report.simulatedSeconds;
    // One execution without a continuation reports no list: the report's status is its own.
    const reported = report.executions?.find((execution) => execution.name === name);
    this.status = reported?.status ?? (stopped ? String(endings[stopped.event]) : report.status);
    this.error = reported ? reported.error : report.error;
    const entered = (state: string) =>
      own.filter((e) => e.event === 'StateEntered' && e.detail.state === state).map((e) => e.t);
    this.drains = entered('Drain');
    this.terminations = entered('Terminate');
    this.batchStates = own.filter((e) => e.event === 'StateEntered' && typeof e.detail.batch === 'number');
    const starts = new Map<number, number>();
    for (const e of this.batchStates)
      if (!starts.has(Number(e.detail.batch))) starts.set(Number(e.detail.batch), e.t);
    this.starts = [...starts.entries()].sort((x, y) => x[1] - y[1]);
    const planned = own.find((e) => e.event === 'RolloutPlanned')?.detail.plan as
      | { batches?: PlannedBatch[]; surgeBatches?: number }
      | undefined;
    this.plan = planned?.batches ?? [];
    this.surgeBatches = planned?.surgeBatches ?? 1;
    this.rollback = own.find((e) => e.event === 'RollbackStarted')?.t;
  }

  /** The batch the execution was in at `t`. */
  batchAt(t: number): number {
    return this.starts.filter(([, start]) => start <= t).at(-1)?.[0] ?? 0;
  }

  /**
   * The last batch whose replacements a step of `batch` asks for, as the plan lays them out: Surge its
   * own and up to `surgeBatches` − 1 after it, Cordon the next, Terminate the batches after the next.
   */
  private lastRequested(state: unknown, batch: number): number | undefined {
    const planned = this.plan[batch];
    const next = (planned?.next?.length ?? 0) > 0 ? 1 : 0;
    const later = planned?.afterNext?.length ?? 0;
    if (state === 'Surge')
      return batch + (this.surgeBatches > 1 ? next + Math.min(later, this.surgeBatches - 2) : 0);
    if (state === 'Cordon') return batch + next;
    if (state === 'Terminate' && later > 0) return batch + next + later;
    return undefined;
  }

  /** The launching steps entered until `t`, with the last batch each asks replacements for. */
  private requestsUntil(t: number): { t: number; first: number; last: number }[] {
    return this.batchStates.flatMap((e) => {
      const batch = Number(e.detail.batch);
      const last = e.t <= t ? this.lastRequested(e.detail.state, batch) : undefined;
      return last === undefined ? [] : [{ t: e.t, first: batch, last }];
    });
  }

  /** When the batch's replacements were asked for: the first step whose launches include them. */
  replacementsRequested(batch: number): number | undefined {
    return (
      this.requestsUntil(Number.POSITIVE_INFINITY).find(
        (request) => request.first <= batch && batch <= request.last,
      )?.t ?? this.starts.find(([index]) => index === batch)?.[1]
    );
  }

  /**
   * The batch whose replacements a launch at `t` is: the first batch asked for so far that still lacks
   * replacements (the group launches them in the plan's order); else the batch the execution is in
   * (a relaunch, a move that evens the zones).
   */
  launchedFor(t: number): number {
    const asked = Math.max(-1, ...this.requestsUntil(t).map((request) => request.last));
    for (let batch = 0; batch <= asked; batch++) {
      const planned = this.plan[batch];
      const count = this.launched.get(batch) ?? 0;
      if (planned === undefined || planned.removal || count >= planned.nodes.length) continue;
      this.launched.set(batch, count + 1);
      return batch;
    }
    return this.batchAt(t);
  }

  /** The batch's Drain and Terminate states entered from `from` on, before the next batch started. */
  stepsOf(batch: number, from: number): { drain?: number; terminate?: number } {
    const next = this.starts.find(([index]) => index > batch)?.[1] ?? Number.POSITIVE_INFINITY;
    const within = (times: number[], after: number) => times.find((t) => t >= after && t < next);
    const drain = within(this.drains, from);
    const terminate = within(this.terminations, drain ?? from);
    return { ...(drain === undefined ? {} : { drain }), ...(terminate === undefined ? {} : { terminate }) };
  }

  /** The step whose failure started the rollback (earlier failures were retried). */
  failures(report: Simulated): Failure[] {
    const until = this.rollback ?? this.end;
    const failed = report.timeline
      .filter((e) => e.event === 'TaskFailed' && e.detail.execution === this.name && e.t <= until)
      .at(-1);
    return failureOf(this.index, failed?.t ?? this.end, this.status, this.error);
  }

  span(): RunSpan {
    return {
      index: this.index,
      name: this.name,
      start: this.start,
      end: this.end,
      status: this.status,
      ...(this.rollback === undefined ? {} : { rollback: this.rollback }),
    };
  }
}

/**
 * The executions of the rollout the first execution started: those with the same cluster, node group
 * and AMI (its continuations and re-runs), in the order they started.
 */
function runsOf(report: Simulated): { target: RolloutTarget; runs: RunEvents[] } {
  const started = report.timeline.filter((e) => e.event === 'ExecutionStarted');
  const target = targetOf(started[0]?.detail.input);
  const same = (input: unknown) => {
    const other = targetOf(input);
    return (
      other.clusterName === target.clusterName &&
      other.nodeGroupName === target.nodeGroupName &&
      other.amiId === target.amiId
    );
  };
  const runs = started
    .filter((e) => same(e.detail.input))
    .map((e, index) => new RunEvents(index, text(e.detail.execution), e.t, report));
  return { target, runs };
}

/**
 * The timeline of a simulated rollout, from the world's events, across every execution of it: each
 * execution's batches start at its first batch Task; replacements are the instances launched from the
 * target AMI into the target group (boot until the node registers, then wait for Ready); replaced
 * nodes are the ones it cordoned (wait for their replacements, cordon, drain until Terminate,
 * termination until instance and node are gone), once per execution that cordoned them; a rollback's
 * uncordon, and its removal of unused replacements, are drawn as the rollback.
 */
export function timelineFromSimulation(report: Simulated): RolloutTimeline {
  const events = report.timeline;
  const { target, runs } = runsOf(report);
  const first = runs[0];
  const origin = first?.start ?? 0;
  const finished = Math.max(origin, ...runs.map((run) => run.end));
  const runAt = (t: number) => runs.filter((run) => run.start <= t).at(-1);
  const next = (event: string, match: (detail: Detail) => boolean, from: number) =>
    events.find((e) => e.event === event && e.t >= from && match(e.detail))?.t;
  const ofInstance = (instanceId: string) => (detail: Detail) => detail.instanceId === instanceId;
  const ofNode = (nodeName: string) => (detail: Detail) => detail.node === nodeName;
  const terminationRequested = (instanceId: string, from: number) =>
    next(
      'AutoScalingGroupUpdated',
      (d) => d.action === 'TerminateInstanceInAutoScalingGroup' && d.instanceId === instanceId,
      from,
    );
  /** Until the instance is terminated and its node deleted, as the Terminate step waits. */
  const termination = (instanceId: string, nodeName: string, start: number, phase: Phase): PhaseSpan => {
    const gone = Math.max(
      next('InstanceTerminated', ofInstance(instanceId), start) ?? Number.NaN,
      next('NodeDeleted', ofNode(nodeName), start) ?? Number.NaN,
    );
    return { phase, start, end: Number.isNaN(gone) ? finished : gone };
  };
  const groupOf = new Map(report.instances.map((i) => [i.instanceId, i]));

  // Where each planned node stands: in the batch of the last execution that planned it.
  const placed = new Map<string, PlannedNode & { run: number; batch: number }>();
  for (const run of runs)
    for (const batch of run.plan)
      for (const node of batch.nodes)
        placed.set(node.instanceId, { ...node, run: run.index, batch: batch.index });

  const replacements = events
    .filter(
      (e) =>
        e.event === 'InstanceLaunched' &&
        e.t >= origin &&
        e.t <= finished &&
        e.detail.group === target.nodeGroupName &&
        e.detail.amiId === target.amiId,
    )
    .map((launch): NodeTimeline => {
      const run = runAt(launch.t);
      const instanceId = text(launch.detail.instanceId);
      const registration = events.find(
        (e) => e.event === 'NodeRegistered' && e.t >= launch.t && e.detail.instanceId === instanceId,
      );
      const ready = next('NodeReady', ofInstance(instanceId), launch.t);
      const leaving =
        terminationRequested(instanceId, launch.t) ??
        next('InstanceTerminated', ofInstance(instanceId), launch.t);
      const nodeName = text(registration?.detail.node) || groupOf.get(instanceId)?.nodeName || instanceId;
      const booted = registration?.t ?? ready ?? leaving ?? finished;
      // A replacement removed once its execution was rolling back is the rollback's work.
      const removal: Phase =
        run?.rollback !== undefined && leaving !== undefined && leaving >= run.rollback
          ? 'rollback'
          : 'terminate';
      return {
        nodeName,
        instanceId,
        run: run?.index ?? 0,
        batch: run?.launchedFor(launch.t) ?? 0,
        role: 'replacement',
        phases: [
          { phase: 'boot', start: launch.t, end: booted },
          ...(registration
            ? [{ phase: 'waitReady' as const, start: booted, end: ready ?? leaving ?? finished }]
            : []),
          ...(leaving !== undefined ? [termination(instanceId, nodeName, leaving, removal)] : []),
        ],
      };
    });

  /** What one execution did to an old node it cordoned at `cordon`. */
  const stepsOfCordon = (
    run: RunEvents,
    batch: number,
    instanceId: string,
    nodeName: string,
    cordon: number,
  ) => {
    const { drain, terminate } = run.stepsOf(batch, cordon);
    const uncordoned = next('NodeUncordoned', ofNode(nodeName), cordon);
    // Work on the node stops at its termination, its uncordon or, at the latest, the rollback.
    const stop =
      terminate ?? Math.min(uncordoned ?? Number.POSITIVE_INFINITY, run.rollback ?? run.end, run.end);
    return [
      {
        phase: 'waitReady' as const,
        start: Math.min(run.replacementsRequested(batch) ?? cordon, cordon),
        end: cordon,
      },
      { phase: 'cordon' as const, start: cordon, end: drain ?? stop },
      ...(drain !== undefined ? [{ phase: 'drain' as const, start: drain, end: stop }] : []),
      ...(terminate !== undefined
        ? [termination(instanceId, nodeName, terminate, 'terminate')]
        : uncordoned !== undefined
          ? [{ phase: 'rollback' as const, start: Math.min(stop, uncordoned), end: uncordoned }]
          : []),
    ];
  };

  const cordons = events.filter(
    (e) =>
      e.event === 'NodeCordoned' &&
      e.t >= origin &&
      e.t <= finished &&
      groupOf.get(text(e.detail.instanceId))?.nodeGroup === target.nodeGroupName,
  );
  const cordonedIds = [...new Set(cordons.map((e) => text(e.detail.instanceId)))];
  const replaced = cordonedIds.map((instanceId): NodeTimeline => {
    const own = cordons.filter((e) => text(e.detail.instanceId) === instanceId);
    const nodeName = text(own[0]?.detail.node);
    const planned = placed.get(instanceId);
    const spans = own.flatMap((cordon) => {
      const run = runAt(cordon.t);
      if (!run) return [];
      const batch = run.plan.find((b) => b.nodes.some((n) => n.instanceId === instanceId))?.index;
      return stepsOfCordon(run, batch ?? run.batchAt(cordon.t), instanceId, nodeName, cordon.t);
    });
    const lastRun = runAt(own.at(-1)?.t ?? origin);
    const refusals = events
      .filter(
        (e) =>
          e.event === 'EvictionRefused' &&
          e.detail.node === nodeName &&
          e.t >= (own[0]?.t ?? 0) &&
          e.t <= finished,
      )
      .map((e) => e.t);
    const removed = runs.some((run) =>
      run.plan.some((b) => b.removal && b.nodes.some((n) => n.instanceId === instanceId)),
    );
    return {
      nodeName,
      instanceId,
      run: planned?.run ?? lastRun?.index ?? 0,
      batch: planned?.batch ?? lastRun?.batchAt(own.at(-1)?.t ?? origin) ?? 0,
      role: removed ? 'removed' : 'replaced',
      refusals,
      phases: spans,
    };
  });

  const reached = new Set(cordonedIds);
  const untouched = [...placed.values()]
    .filter((node) => !reached.has(node.instanceId))
    .map(
      (node): NodeTimeline => ({
        nodeName: node.nodeName,
        instanceId: node.instanceId,
        run: node.run,
        batch: node.batch,
        role: 'untouched',
        phases: [],
      }),
    );
  const nodes = [...replacements, ...replaced, ...untouched];
  // The rollout ended as the execution that ended last ended.
  const final = [...runs].sort((x, y) => x.end - y.end).at(-1);
  return {
    title: titleOf(target),
    target,
    outcome: outcomeOf(final?.status ?? report.status, final ? final.error : report.error),
    start: origin,
    end: Math.max(finished, ...nodes.flatMap((node) => node.phases.map((p) => p.end))),
    runs: runs.map((run) => run.span()),
    nodes,
    failures: runs.flatMap((run) => run.failures(report)),
    controls: controlBands(events, new Set(runs.map((run) => run.name)), finished),
  };
}

/**
 * The simulator's rollout-control events as stretches: a window wait until its `until`, a bake for
 * its `bakeSeconds`, an approval until answered, a pause until resumed; cut at the rollout's end.
 */
function controlBands(
  events: readonly TimelineEvent[],
  executions: Set<string>,
  finished: number,
): ControlBand[] {
  const ours = events.filter((e) => executions.has(text(e.detail.execution)));
  const answer = (event: string, from: TimelineEvent) =>
    ours.find((e) => e.event === event && e.t >= from.t && e.detail.execution === from.detail.execution)?.t;
  const wall = (e: TimelineEvent, iso: unknown) =>
    e.t + (Date.parse(text(iso)) - Date.parse(text(e.detail.at))) / 1000;
  return ours.flatMap((e): ControlBand[] => {
    const band = (kind: ControlKind, end: number | undefined) => [
      { kind, start: e.t, end: Math.min(finished, end ?? finished) },
    ];
    switch (e.event) {
      case 'WaitingForWindow':
        return band('window', wall(e, e.detail.until));
      case 'WaitingForFastLaunch':
        return band('fastLaunch', wall(e, e.detail.until));
      case 'BakeStarted':
        return band('bake', e.t + Number(e.detail.bakeSeconds ?? 0));
      case 'ApprovalRequested':
        return band('approval', answer('ApprovalReceived', e));
      case 'Paused':
        return band('pause', answer('Resumed', e));
      default:
        return [];
    }
  });
}
