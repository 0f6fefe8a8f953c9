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
  /** Zero-based batch index. */
  batch: number;
  /** An old node the rollout drains and terminates, or a new one it launched. */
  role: 'replaced' | 'replacement';
  phases: PhaseSpan[];
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
  const surges = entered('Surge');
  const drains = entered('Drain');
  const terminations = entered('Terminate');
  const batchAt = (t: number) => Math.max(0, surges.filter((s) => s <= t).length - 1);
  const within = (times: number[], from: number, batch: number) =>
    times.find((t) => t >= from && t < (surges[batch + 1] ?? Number.POSITIVE_INFINITY));
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
        batch: batchAt(launch.t),
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
      const batch = batchAt(cordon.t);
      const drain = within(drains, cordon.t, batch);
      const terminate = within(terminations, drain ?? cordon.t, batch);
      const uncordoned = first('NodeUncordoned', ofNode(nodeName), cordon.t);
      const surge = surges[batch] ?? cordon.t;
      return {
        nodeName,
        instanceId,
        batch,
        role: 'replaced',
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

  const nodes = [...replacements, ...replaced];
  return {
    title: titleOf(target),
    target,
    outcome: outcomeOf(report.status, report.error),
    start: 0,
    end: Math.max(finished, ...nodes.flatMap((node) => node.phases.map((p) => p.end))),
    nodes,
  };
}
