import type { SimulationReport } from '../simulator/runner.ts';
import type { TimelineEvent } from '../simulator/world/timeline.ts';
import type { BatchStep, ExecutionRun, Span } from './history.ts';

export type Phase = 'boot' | 'waitReady' | 'cordon' | 'drain' | 'terminate';

/** In the order a node goes through them. */
export const phases: readonly Phase[] = ['boot', 'waitReady', 'cordon', 'drain', 'terminate'];

/** Seconds since the rollout started. */
export interface PhaseSpan {
  phase: Phase;
  start: number;
  end: number;
}

export interface NodeTimeline {
  nodeName: string;
  instanceId: string;
  /** Zero-based batch index, as planned. */
  batch: number;
  /**
   * An old node the rollout drains and terminates, a new one it launched, or a planned node the
   * rollout never reached (it failed or stopped first).
   */
  role: 'replaced' | 'replacement' | 'untouched';
  phases: PhaseSpan[];
  /** Seconds at which an eviction from this node was refused (429: a PDB allowed no disruption). */
  refusals?: number[];
}

/** Where and why the rollout failed. */
export interface Failure {
  /** Seconds since the start: the step that failed. */
  t: number;
  name: string;
  cause: string;
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
  /** SUCCEEDED, FAILED, ... and, when it failed, the error name. */
  outcome: string;
  start: number;
  end: number;
  nodes: NodeTimeline[];
  failure?: Failure;
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

/**
 * The timeline of a real execution, from its history. The history names only the old nodes (the
 * batches of the plan), so each of them gets a row, and its wait-for-Ready is the time its batch's
 * replacements took to boot and become Ready; `now` ends the step still running.
 */
export function timelineFromExecution(run: ExecutionRun, now: number): RolloutTimeline {
  const origin = run.startedAt ?? now;
  const seconds = (ms: number) => Math.max(0, (ms - origin) / 1000);
  const last = run.batches.at(-1);
  const target = targetOf(run.input);
  return {
    title: titleOf(target),
    target,
    outcome: outcomeOf(run.status, run.error),
    start: 0,
    end: seconds(run.stoppedAt ?? now),
    nodes: run.batches.flatMap((batch) =>
      batch.nodes.map((node) => ({
        nodeName: node.nodeName || node.instanceId,
        instanceId: node.instanceId,
        batch: batch.index,
        role: 'replaced' as const,
        phases: (Object.entries(batch.steps) as [BatchStep, Span][]).map(([step, span]) => ({
          phase: step,
          start: seconds(span.start),
          end: seconds(batch === last && step === run.currentStep ? now : span.end),
        })),
      })),
    ),
  };
}

type Detail = TimelineEvent['detail'];

/**
 * The timeline of a simulated rollout, from the world's events: the first execution's batches start
 * at its Surge states; replacements are the instances launched from the target AMI into the target
 * group (boot until the node registers, then wait for Ready); replaced nodes are the ones it cordoned
 * (wait for their replacements, cordon, drain until Terminate, termination until instance and node are gone).
 */
export function timelineFromSimulation(
  report: Pick<SimulationReport, 'status' | 'error' | 'simulatedSeconds' | 'instances' | 'timeline'>,
): RolloutTimeline {
  const events = report.timeline;
  const started = events.find((e) => e.event === 'ExecutionStarted');
  const execution = started?.detail.execution;
  const target = targetOf(started?.detail.input);
  const stopped = events.find(
    (e) => e.detail.execution === execution && /^Execution(Succeeded|Failed|TimedOut|Aborted)$/.test(e.event),
  );
  const finished = stopped?.t ?? report.simulatedSeconds;
  const entered = (state: string) =>
    events
      .filter(
        (e) => e.event === 'StateEntered' && e.detail.execution === execution && e.detail.state === state,
      )
      .map((e) => e.t);
  const drains = entered('Drain');
  const terminations = entered('Terminate');
  // A batch's Tasks carry its plan index; batches after the first start without a Surge.
  const batchStates = events.filter(
    (e) =>
      e.event === 'StateEntered' && e.detail.execution === execution && typeof e.detail.batch === 'number',
  );
  const batchStart = new Map<number, number>();
  for (const e of batchStates)
    if (!batchStart.has(Number(e.detail.batch))) batchStart.set(Number(e.detail.batch), e.t);
  const starts = [...batchStart.entries()].sort((x, y) => x[1] - y[1]);
  const batchAt = (t: number) => starts.filter(([, start]) => start <= t).at(-1)?.[0] ?? 0;
  /** The batch whose replacements a launch at `t` is: Cordon launches the next batch's. */
  const launchedFor = (t: number) => {
    const last = batchStates
      .filter((e) => e.t <= t && (e.detail.state === 'Surge' || e.detail.state === 'Cordon'))
      .at(-1);
    return last ? Number(last.detail.batch) + (last.detail.state === 'Cordon' ? 1 : 0) : 0;
  };
  const nextStart = (batch: number) =>
    starts.find(([index]) => index > batch)?.[1] ?? Number.POSITIVE_INFINITY;
  const within = (times: number[], from: number, batch: number) =>
    times.find((t) => t >= from && t < nextStart(batch));
  const planned = events.find((e) => e.event === 'RolloutPlanned' && e.detail.execution === execution)?.detail
    .plan as { batches?: { index: number; nodes: { instanceId: string; nodeName: string }[] }[] } | undefined;
  const plannedBatch = new Map(
    (planned?.batches ?? []).flatMap((batch) =>
      batch.nodes.map((node) => [node.instanceId, batch.index] as const),
    ),
  );
  const first = (event: string, match: (detail: Detail) => boolean, from: number) =>
    events.find((e) => e.event === event && e.t >= from && match(e.detail))?.t;
  const ofInstance = (instanceId: string) => (detail: Detail) => detail.instanceId === instanceId;
  const ofNode = (nodeName: string) => (detail: Detail) => detail.node === nodeName;
  const terminationRequested = (instanceId: string, from: number) =>
    first(
      'AutoScalingGroupUpdated',
      (d) => d.action === 'TerminateInstanceInAutoScalingGroup' && d.instanceId === instanceId,
      from,
    );
  /** Until the instance is terminated and its node deleted, as the Terminate step waits. */
  const termination = (instanceId: string, nodeName: string, start: number): PhaseSpan => {
    const gone = Math.max(
      first('InstanceTerminated', ofInstance(instanceId), start) ?? Number.NaN,
      first('NodeDeleted', ofNode(nodeName), start) ?? Number.NaN,
    );
    return { phase: 'terminate', start, end: Number.isNaN(gone) ? finished : gone };
  };
  const groupOf = new Map(report.instances.map((i) => [i.instanceId, i]));

  const replacements = events
    .filter(
      (e) =>
        e.event === 'InstanceLaunched' &&
        e.detail.group === target.nodeGroupName &&
        e.detail.amiId === target.amiId,
    )
    .map((launch): NodeTimeline => {
      const instanceId = text(launch.detail.instanceId);
      const registration = events.find(
        (e) => e.event === 'NodeRegistered' && e.t >= launch.t && e.detail.instanceId === instanceId,
      );
      const ready = first('NodeReady', ofInstance(instanceId), launch.t);
      const leaving =
        terminationRequested(instanceId, launch.t) ??
        first('InstanceTerminated', ofInstance(instanceId), launch.t);
      const nodeName = text(registration?.detail.node) || groupOf.get(instanceId)?.nodeName || instanceId;
      const booted = registration?.t ?? ready ?? leaving ?? finished;
      return {
        nodeName,
        instanceId,
        batch: launchedFor(launch.t),
        role: 'replacement',
        phases: [
          { phase: 'boot', start: launch.t, end: booted },
          ...(registration
            ? [{ phase: 'waitReady' as const, start: booted, end: ready ?? leaving ?? finished }]
            : []),
          ...(leaving !== undefined ? [termination(instanceId, nodeName, leaving)] : []),
        ],
      };
    });

  const cordoned = new Set<string>();
  const replaced = events
    .filter((e) => {
      const instanceId = text(e.detail.instanceId);
      if (e.event !== 'NodeCordoned' || cordoned.has(instanceId)) return false;
      cordoned.add(instanceId);
      return groupOf.get(instanceId)?.nodeGroup === target.nodeGroupName;
    })
    .map((cordon): NodeTimeline => {
      const instanceId = text(cordon.detail.instanceId);
      const nodeName = text(cordon.detail.node);
      const batch = plannedBatch.get(instanceId) ?? batchAt(cordon.t);
      const drain = within(drains, cordon.t, batch);
      const terminate = within(terminations, drain ?? cordon.t, batch);
      const uncordoned = first('NodeUncordoned', ofNode(nodeName), cordon.t);
      const surge = batchStart.get(batch) ?? cordon.t;
      const refusals = events
        .filter(
          (e) =>
            e.event === 'EvictionRefused' && e.detail.node === nodeName && e.t >= cordon.t && e.t <= finished,
        )
        .map((e) => e.t);
      return {
        nodeName,
        instanceId,
        batch,
        role: 'replaced',
        refusals,
        phases: [
          { phase: 'waitReady', start: surge, end: cordon.t },
          { phase: 'cordon', start: cordon.t, end: drain ?? terminate ?? uncordoned ?? finished },
          ...(drain !== undefined
            ? [{ phase: 'drain' as const, start: drain, end: terminate ?? uncordoned ?? finished }]
            : []),
          ...(terminate !== undefined ? [termination(instanceId, nodeName, terminate)] : []),
        ],
      };
    });

  const reached = new Set(replaced.map((node) => node.instanceId));
  const untouched = (planned?.batches ?? []).flatMap((batch) =>
    batch.nodes
      .filter((node) => !reached.has(node.instanceId))
      .map((node): NodeTimeline => ({ ...node, batch: batch.index, role: 'untouched', phases: [] })),
  );
  // The failure point: the step whose failure started the rollback (earlier failures were retried).
  const rollback =
    events.find((e) => e.event === 'RollbackStarted' && e.detail.execution === execution)?.t ?? finished;
  const failed = events
    .filter((e) => e.event === 'TaskFailed' && e.detail.execution === execution && e.t <= rollback)
    .at(-1);
  const nodes = [...replacements, ...replaced, ...untouched];
  return {
    title: titleOf(target),
    target,
    outcome: outcomeOf(report.status, report.error),
    start: 0,
    end: Math.max(finished, ...nodes.flatMap((node) => node.phases.map((p) => p.end))),
    nodes,
    ...(report.error && { failure: { t: failed?.t ?? finished, ...report.error } }),
  };
}
