import type { V1Pod } from '@kubernetes/client-node';
import { controllerOf, isPodReady, isTerminating } from './nodes.ts';
import { median, pollSpacing, secondsUntil } from './polling.ts';

export interface OwnerBaseline {
  namespace: string;
  uid: string;
  name: string;
  readyBefore: number;
}

const readyPodsOf = (uid: string, pods: V1Pod[]) =>
  pods.filter((pod) => controllerOf(pod)?.uid === uid && isPodReady(pod) && !isTerminating(pod)).length;

/**
 * Before the first eviction: for every controller of a pod about to move, how many of its pods are
 * Ready in the whole cluster. The drain is finished only when each is back to that number, i.e. the
 * evicted pods are Ready again elsewhere.
 */
export function ownerBaselines(moving: V1Pod[], namespacePods: V1Pod[]): OwnerBaseline[] {
  const owners = new Map<string, OwnerBaseline>();
  for (const pod of moving) {
    const owner = controllerOf(pod);
    if (!owner?.uid || owners.has(owner.uid)) continue;
    owners.set(owner.uid, {
      namespace: pod.metadata?.namespace ?? '',
      uid: owner.uid,
      name: `${owner.kind}/${owner.name}`,
      readyBefore: readyPodsOf(owner.uid, namespacePods),
    });
  }
  return [...owners.values()];
}

/** Controllers whose Ready pods are still below their baseline, as "namespace/Kind/name (ready/wanted)". */
export function ownersNotYetReady(baselines: OwnerBaseline[], namespacePods: V1Pod[]): string[] {
  return baselines.flatMap((owner) => {
    const ready = readyPodsOf(owner.uid, namespacePods);
    return ready < owner.readyBefore
      ? [`${owner.namespace}/${owner.name} (${ready}/${owner.readyBefore} Ready)`]
      : [];
  });
}

/** Seconds a Windows pod takes from creation to Ready (image pull, start) when none has been observed yet. */
export const defaultPodStartSeconds = 120;
/** Shortest wait between two drain rounds, and between two looks once the forecast has passed. */
export const drainPollSeconds = { expected: 2, overdue: 5 } as const;

const timeOf = (value: Date | string | undefined): number | undefined =>
  value === undefined ? undefined : typeof value === 'string' ? Date.parse(value) : value.getTime();
const readyAt = (pod: V1Pod) =>
  timeOf(pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime);
const containersStartedAt = (pod: V1Pod) =>
  timeOf(pod.status?.containerStatuses?.[0]?.state?.running?.startedAt);

/** What a controller's pods took to become Ready: from creation, and from their containers' start. */
export interface StartTimes {
  fromCreation: number;
  fromStart: number | undefined;
}

/**
 * How long each controller's pods take to become Ready, by controller uid: from creation (scheduling,
 * image pull, start-up, readiness) and from their containers' start; medians of the pods that took
 * any time at all.
 */
export function observedStartSeconds(pods: V1Pod[]): Map<string, StartTimes> {
  const samples = new Map<string, { fromCreation: number[]; fromStart: number[] }>();
  for (const pod of pods) {
    const uid = controllerOf(pod)?.uid;
    const created = timeOf(pod.metadata?.creationTimestamp);
    const ready = readyAt(pod);
    if (!uid || created === undefined || ready === undefined || ready <= created) continue;
    const owner = samples.get(uid) ?? { fromCreation: [], fromStart: [] };
    owner.fromCreation.push((ready - created) / 1000);
    const started = containersStartedAt(pod);
    if (started !== undefined && ready > started) owner.fromStart.push((ready - started) / 1000);
    samples.set(uid, owner);
  }
  return new Map(
    [...samples].map(([uid, owner]) => [
      uid,
      {
        fromCreation: median(owner.fromCreation) ?? defaultPodStartSeconds,
        fromStart: median(owner.fromStart),
      },
    ]),
  );
}

export interface DrainRoundFacts {
  now: number;
  /** Evictable pods on the batch's nodes, as listed before this round's evictions. */
  batchPods: V1Pod[];
  /** Pods this round evicted, with the grace period they were given. */
  evicted: { pod: V1Pod; graceSeconds: number }[];
  /** Pods whose eviction a PDB refused this round. */
  refused: V1Pod[];
  /** Pods of the namespaces concerned, as listed before this round's evictions. */
  namespacePods: V1Pod[];
  /** Controllers the drain waits for. */
  owners: OwnerBaseline[];
}

export interface DrainForecast {
  /** When the batch's pods are expected gone and their replacements Ready (epoch milliseconds). */
  doneAt: number;
  /**
   * When to run the next round: with refused evictions, the latest moment at which all of them can
   * be retried without pushing the drain's end back (and not before the first may pass), else
   * `doneAt`; undefined when a refused pod's controller has no replacement on the way.
   */
  nextRoundAt: number | undefined;
}

/**
 * When the drain should look again, from what the pods show: grace periods end at their deletion
 * timestamps; a replacement is created at once (for a StatefulSet, once its predecessor is gone) and
 * is Ready after its controller's observed start time (from its containers' start once they run);
 * a PDB lets the next pod of a controller go when one of its replacements is Ready.
 */
export function drainForecast(facts: DrainRoundFacts): DrainForecast {
  const { now } = facts;
  const observed = observedStartSeconds(facts.namespacePods);
  const startOf = (pod: V1Pod) => observed.get(controllerOf(pod)?.uid ?? '');
  const fromCreation = (pod: V1Pod) => (startOf(pod)?.fromCreation ?? defaultPodStartSeconds) * 1000;
  const readyExpected = (pod: V1Pod, created: number) => {
    const started = containersStartedAt(pod);
    const fromStart = startOf(pod)?.fromStart;
    return started !== undefined && fromStart !== undefined
      ? started + fromStart * 1000
      : created + fromCreation(pod);
  };
  const replacementCreated = (pod: V1Pod, goneAt: number) =>
    controllerOf(pod)?.kind === 'StatefulSet' ? goneAt : now;

  const evictedNow = new Set(facts.evicted.map(({ pod }) => pod.metadata?.uid));
  const gone: number[] = [];
  const readyByOwner = new Map<string, number[]>();
  const expectReady = (pod: V1Pod, at: number) => {
    const uid = controllerOf(pod)?.uid ?? '';
    readyByOwner.set(uid, [...(readyByOwner.get(uid) ?? []), at]);
  };
  for (const { pod, graceSeconds } of facts.evicted) {
    const goneAt = now + graceSeconds * 1000;
    gone.push(goneAt);
    expectReady(pod, replacementCreated(pod, goneAt) + fromCreation(pod));
  }
  for (const pod of facts.batchPods) {
    const goneAt = timeOf(pod.metadata?.deletionTimestamp);
    if (evictedNow.has(pod.metadata?.uid) || goneAt === undefined) continue;
    gone.push(goneAt);
    if (controllerOf(pod)?.kind === 'StatefulSet') expectReady(pod, goneAt + fromCreation(pod));
  }
  const waitedFor = new Set(facts.owners.map((owner) => owner.uid));
  const batchNodes = new Set(facts.batchPods.map((pod) => pod.spec?.nodeName));
  for (const pod of facts.namespacePods) {
    const created = timeOf(pod.metadata?.creationTimestamp);
    const starting = !isPodReady(pod) && !isTerminating(pod) && !batchNodes.has(pod.spec?.nodeName);
    if (starting && created !== undefined && waitedFor.has(controllerOf(pod)?.uid ?? ''))
      expectReady(pod, readyExpected(pod, created));
  }
  const doneAt = Math.max(now, ...gone, ...[...readyByOwner.values()].flat());
  if (facts.refused.length === 0) return { doneAt, nextRoundAt: doneAt };
  const retries = facts.refused.map((pod) => {
    const times = readyByOwner.get(controllerOf(pod)?.uid ?? '') ?? [];
    return { passAt: times.length > 0 ? Math.min(...times) : undefined, takes: fromCreation(pod) };
  });
  if (retries.some((retry) => retry.passAt === undefined)) return { doneAt, nextRoundAt: undefined };
  const known = retries as { passAt: number; takes: number }[];
  const end = Math.max(doneAt, ...known.map((retry) => retry.passAt + retry.takes));
  return {
    doneAt,
    nextRoundAt: Math.max(
      Math.min(...known.map((retry) => retry.passAt)),
      Math.min(...known.map((retry) => end - retry.takes)),
    ),
  };
}

/**
 * Seconds until the next round (the forecast's), paced by `pollSpacing`; plain polling once the
 * forecast has passed, or when it cannot say when a refused eviction may pass.
 */
export function drainWaitSeconds(forecast: DrainForecast, now: number, elapsedSeconds: number): number {
  const seconds = forecast.nextRoundAt === undefined ? 0 : secondsUntil(forecast.nextRoundAt, now);
  return seconds > 0
    ? Math.max(seconds, pollSpacing(elapsedSeconds, drainPollSeconds.expected))
    : pollSpacing(elapsedSeconds, drainPollSeconds.overdue);
}
