import type { V1Pod } from '@kubernetes/client-node';
import { controllerOf, imagesOf, isPodReady, isTerminating, podKey } from './nodes.ts';
import { median, pollSpacing, secondsUntil } from './polling.ts';

export interface OwnerBaseline {
  namespace: string;
  uid: string;
  /** The controller's kind: `ReplicaSet` or `StatefulSet`. */
  kind: PodControllerKind;
  /** The controller's own name (the pods' ownerReference), to read its status. */
  controller: string;
  /** What an operator knows it by: `Deployment/web` for a Deployment's ReplicaSet, else `Kind/name`. */
  name: string;
  readyBefore: number;
  /** Seconds its pods took to become Ready on this rollout's new nodes, when seen there. */
  startSeconds?: { fromCreation: number; fromStart?: number | undefined } | undefined;
  /** When this drain last evicted one of its pods (epoch ms). */
  lastEvictedAt?: number | undefined;
  /** Its pods were listed for a start time while the drain waited (once). */
  lookedUp?: boolean | undefined;
}

/** The controllers whose pods a drain waits for: those `kubectl rollout status` reads (a Job's pods are not waited for). */
export type PodControllerKind = 'ReplicaSet' | 'StatefulSet';
const isWaitedFor = (kind: string): kind is PodControllerKind =>
  kind === 'ReplicaSet' || kind === 'StatefulSet';

/** What a controller object says now: `spec.replicas`, `status.readyReplicas` and its pods' label selector. */
export interface ControllerCounts {
  replicas: number;
  ready: number;
  /** `spec.selector` as a list call's `labelSelector` (undefined when it has none). */
  selector?: string | undefined;
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A `metav1.LabelSelector` in the text form of a list call's `labelSelector` (`a=b,c in (d,e),!f`). */
export function selectorText(selector: LabelSelector | undefined): string | undefined {
  const labels = Object.entries(selector?.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  const expressions = (selector?.matchExpressions ?? []).map(({ key, operator, values = [] }) => {
    if (operator === 'Exists') return key;
    if (operator === 'DoesNotExist') return `!${key}`;
    return `${key} ${operator === 'In' ? 'in' : 'notin'} (${values.join(',')})`;
  });
  const requirements = [...labels, ...expressions];
  return requirements.length === 0 ? undefined : requirements.join(',');
}

export const controllerCounts = (
  controller:
    | { spec?: { replicas?: number; selector?: LabelSelector }; status?: { readyReplicas?: number } }
    | undefined,
): ControllerCounts | undefined =>
  controller === undefined
    ? undefined
    : {
        replicas: controller.spec?.replicas ?? 0,
        ready: controller.status?.readyReplicas ?? 0,
        selector: selectorText(controller.spec?.selector),
      };

/** A controller to read, by namespace, kind and name. */
export type ControllerRef = Pick<OwnerBaseline, 'namespace' | 'uid' | 'kind' | 'controller'>;

/** The ReplicaSets and StatefulSets of the pods, once each. */
export function controllersOf(pods: V1Pod[]): ControllerRef[] {
  const refs = new Map<string, ControllerRef>();
  for (const pod of pods) {
    const owner = controllerOf(pod);
    if (!owner?.uid || !isWaitedFor(owner.kind) || refs.has(owner.uid)) continue;
    refs.set(owner.uid, {
      namespace: pod.metadata?.namespace ?? '',
      uid: owner.uid,
      kind: owner.kind,
      controller: owner.name,
    });
  }
  return [...refs.values()];
}

/** What finds a controller's pods on another node: the images they run, the label of their template. */
export interface SoughtController {
  images: string[];
  /** `pod-template-hash` (a ReplicaSet's pods) or `controller-revision-hash` (a StatefulSet's), if set. */
  template: { key: string; value: string } | undefined;
}

const templateLabelKeys: Record<string, string> = {
  ReplicaSet: 'pod-template-hash',
  StatefulSet: 'controller-revision-hash',
};

/** Each ReplicaSet's and StatefulSet's images and template label, by controller uid (from one pod of each). */
export function soughtControllers(pods: V1Pod[]): Map<string, SoughtController> {
  const sought = new Map<string, SoughtController>();
  for (const ref of controllersOf(pods)) {
    const pod = pods.find((candidate) => controllerOf(candidate)?.uid === ref.uid);
    if (pod === undefined) continue;
    const key = templateLabelKeys[ref.kind] ?? '';
    const value = pod.metadata?.labels?.[key];
    sought.set(ref.uid, { images: imagesOf(pod), template: value ? { key, value } : undefined });
  }
  return sought;
}

/**
 * A label selector for the pods of these controllers only, when one label tells them all
 * (`pod-template-hash in (a,b)`: ReplicaSets only, or StatefulSets only); undefined otherwise.
 */
export function soughtSelector(controllers: SoughtController[]): string | undefined {
  const templates = controllers.map((controller) => controller.template);
  const [first] = templates;
  if (first === undefined || templates.some((template) => template?.key !== first.key)) return undefined;
  return `${first.key} in (${[...new Set(templates.map((template) => template?.value))].join(',')})`;
}

/** A Deployment's ReplicaSet is named `<deployment>-<pod-template-hash>`: the operator knows the Deployment. */
function workloadName(pod: V1Pod, owner: { kind: string; name: string }): string {
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  return owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)
    ? `Deployment/${owner.name.slice(0, -hash.length - 1)}`
    : `${owner.kind}/${owner.name}`;
}

/**
 * Before the first eviction: for every ReplicaSet and StatefulSet of a pod about to move, how many
 * of its pods are Ready (its status, read from the API: no list of its pods, however many). The drain
 * is finished only when each is back to that number (or to what the controller keeps now, see
 * `ownersNotYetReady`), i.e. the evicted pods are Ready elsewhere.
 */
export function ownerBaselines(moving: V1Pod[], counts: Map<string, ControllerCounts>): OwnerBaseline[] {
  return controllersOf(moving).flatMap((ref) => {
    const pod = moving.find((candidate) => controllerOf(candidate)?.uid === ref.uid);
    const owner = pod === undefined ? undefined : controllerOf(pod);
    const now = counts.get(ref.uid);
    if (pod === undefined || owner === undefined || now === undefined) return [];
    return [{ ...ref, name: workloadName(pod, owner), readyBefore: now.ready }];
  });
}

/**
 * How many Ready pods the drain waits for: the count before it, unless the controller keeps fewer
 * pods now. A ReplicaSet replaces a deleted pod at once, so its spec.replicas are its pods not
 * Terminating; after a scale-down (an HPA) or while a new ReplicaSet takes over (a Deployment
 * rollout) it keeps fewer, and waiting for the old count would never end. A StatefulSet recreates a
 * pod only once its predecessor is gone: the count before. A controller gone is not waited for.
 */
export function readyWanted(owner: OwnerBaseline, now: ControllerCounts | undefined): number {
  if (now === undefined) return 0;
  return owner.kind === 'StatefulSet' ? owner.readyBefore : Math.min(owner.readyBefore, now.replicas);
}

/** Controllers whose Ready pods are still below what the drain waits for. */
export const ownersWaitedFor = (
  baselines: OwnerBaseline[],
  counts: Map<string, ControllerCounts>,
): OwnerBaseline[] =>
  baselines.filter(
    (owner) => (counts.get(owner.uid)?.ready ?? 0) < readyWanted(owner, counts.get(owner.uid)),
  );

/** Controllers whose Ready pods are still below what the drain waits for, as "namespace/Kind/name (ready/wanted Ready)". */
export function ownersNotYetReady(
  baselines: OwnerBaseline[],
  counts: Map<string, ControllerCounts>,
): string[] {
  return ownersWaitedFor(baselines, counts).map((owner) => {
    const now = counts.get(owner.uid);
    return `${owner.namespace}/${owner.name} (${now?.ready ?? 0}/${readyWanted(owner, now)} Ready)`;
  });
}

const timeOfDeletion = (pod: V1Pod): number | undefined => {
  const at = pod.metadata?.deletionTimestamp;
  return at === undefined || at === null ? undefined : new Date(at).getTime();
};

/**
 * Pods asked to go that are still there after their grace period ended (the API's deletionTimestamp
 * is when the kubelet must have stopped them): a finalizer that never clears, a hung container, or a
 * node whose kubelet no longer answers. Nothing the drain does makes them go.
 */
export function overdueDeletions(pods: V1Pod[], now: number): V1Pod[] {
  return pods.filter((pod) => {
    const due = timeOfDeletion(pod);
    return due !== undefined && due <= now;
  });
}

/**
 * What becomes of each pod still on the batch's nodes at the deadline: with force, a pod whose
 * deletion never completes is no longer waited for (like `kubectl drain --skip-wait-for-delete-timeout`);
 * a pod still refused is deleted only with overridePdbAfterTimeout (force does not override PDBs); a
 * pod within its grace period is waited for; anything else fails the drain.
 */
export function atDeadline(
  pods: V1Pod[],
  now: number,
  rules: { force: boolean; overridePdbAfterTimeout: boolean },
): { abandoned: V1Pod[]; failing: V1Pod[] } {
  const overdue = new Set(overdueDeletions(pods, now));
  return {
    abandoned: rules.force ? [...overdue] : [],
    failing: pods.filter((pod) =>
      overdue.has(pod) ? !rules.force : !isTerminating(pod) && !rules.overridePdbAfterTimeout,
    ),
  };
}

/**
 * Why each pod still on the batch's nodes at the deadline is there, for DrainTimeout: the PDB that
 * refused it in the last round, or how long it has been Terminating.
 */
export function leftoverReasons(pods: V1Pod[], lastBlockers: string[], now: number): string[] {
  return pods.map((pod) => {
    const key = podKey(pod);
    const due = timeOfDeletion(pod);
    if (due !== undefined && due <= now)
      return `${key} still Terminating ${Math.round((now - due) / 1000)} s after its grace period ended (a finalizer that never clears, or a kubelet that no longer answers)`;
    if (due !== undefined) return `${key} Terminating (grace period ends in ${secondsUntil(due, now)} s)`;
    return lastBlockers.find((blocker) => blocker.startsWith(`${key} `)) ?? `${key} not evicted yet`;
  });
}

/**
 * Most pods a drain follows by name from one round to the next (`DrainState.followed`, keys of some 40
 * bytes: about 20 KiB of the 256 KiB Step Functions allows a state); a batch with more lists its nodes.
 */
export const followedPodsLimit = 500;

/** The keys of the pods to follow by name, or null when there are too many to carry in the state. */
export const followedKeys = (pods: V1Pod[]): string[] | null =>
  pods.length > followedPodsLimit ? null : pods.map(podKey);

/** Pods of a controller listed to learn its start time: a sample a few times the batch, at least 20. */
export const startSampleSize = (batchNodes: number): number => Math.max(20, 4 * batchNodes);

/** Shortest wait between two drain rounds, and between two looks once the forecast has passed. */
export const drainPollSeconds = { expected: 2, overdue: 5 } as const;

const timeOf = (value: Date | string | undefined): number | undefined =>
  value === undefined ? undefined : typeof value === 'string' ? Date.parse(value) : value.getTime();
const readyAt = (pod: V1Pod) =>
  timeOf(pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime);
const containersStartedAt = (pod: V1Pod) =>
  timeOf(pod.status?.containerStatuses?.[0]?.state?.running?.startedAt);

/** What a controller's pods took to become Ready, in seconds: from creation, and from their containers' start. */
export interface StartTimes {
  fromCreation: number;
  fromStart: number | undefined;
}

/**
 * How long each controller's pods took to become Ready, by controller uid: from creation (scheduling,
 * image pull, start-up, readiness) and from their containers' start (start-up and readiness only);
 * medians of the pods that took any time at all.
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
    [...samples].flatMap(([uid, owner]) => {
      const fromCreation = median(owner.fromCreation);
      return fromCreation === undefined ? [] : [[uid, { fromCreation, fromStart: median(owner.fromStart) }]];
    }),
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
  /**
   * Pods of the refused pods' controllers off the batch's nodes, listed only when the batch's own
   * pods cannot say when a refused eviction may pass (`blindRefusals`): a replacement started by an
   * earlier round, or by another drain (another rollout) under the same PDB.
   */
  elsewhere?: V1Pod[];
  /**
   * Images already on a schedulable Ready node (`status.images`): a replacement that runs only these
   * needs no pull, so it is expected Ready after its controller's start-up alone.
   */
  imagesPresent?: Set<string>;
  /** Start times seen on the rollout's new nodes, by controller uid (preferred to the batch's own pods'). */
  learned?: Map<string, { fromCreation: number; fromStart?: number | undefined }>;
  /**
   * When earlier rounds of this drain last evicted a pod of each controller, by uid: that pod's
   * replacement was created then (a StatefulSet's, once it was gone: no sooner).
   */
  evictedEarlier?: Map<string, number>;
  /** Controllers (uids) whose evicted pods the drain still waits to see Ready elsewhere. */
  waited?: string[];
}

export interface DrainForecast {
  /** When the batch's pods are expected gone and their replacements Ready at the latest (epoch milliseconds). */
  doneAt: number;
  /**
   * When to run the next round: with refused evictions, when the first of them may pass, else when
   * all may be done; undefined when a refused pod's controller has no replacement on the way, or a
   * replacement's start time is unknown.
   */
  nextRoundAt: number | undefined;
}

interface Expectations {
  gone: number[];
  /** When each controller's replacements are expected Ready; empty for a controller whose start time is unknown. */
  readyByOwner: Map<string, number[]>;
  /** Some replacement's start time is unknown: nothing of its controller was seen starting yet. */
  unknownStart: boolean;
}

/**
 * What the pods show: a replacement is created at once (for a StatefulSet, once its predecessor is
 * gone) and is Ready after its controller's start time as its pods showed it; a pod of the controller
 * starting elsewhere is Ready that long after its creation. Pods asked to go are gone when their grace
 * periods end (deletion timestamps), or, `prompt`, those asked this round at once: the grace period is
 * only the most a pod may take, and most leave as soon as they are asked.
 */
function expectations(facts: DrainRoundFacts, prompt: boolean): Expectations {
  const { now } = facts;
  const elsewhere = facts.elsewhere ?? [];
  const observed = observedStartSeconds([...facts.batchPods, ...elsewhere]);
  const present = facts.imagesPresent ?? new Set<string>();
  // Milliseconds from creation to Ready; from the containers' start when the images are already there.
  const startOf = (uid: string, pulled: boolean) => {
    const times = facts.learned?.get(uid) ?? observed.get(uid);
    const seconds = (pulled ? times?.fromStart : undefined) ?? times?.fromCreation;
    return seconds === undefined ? undefined : seconds * 1000;
  };
  const fromCreation = (pod: V1Pod) =>
    startOf(
      controllerOf(pod)?.uid ?? '',
      imagesOf(pod).every((image) => present.has(image)),
    );
  const replacementCreated = (pod: V1Pod, goneAt: number) =>
    controllerOf(pod)?.kind === 'StatefulSet' ? goneAt : now;

  const evictedNow = new Set(facts.evicted.map(({ pod }) => pod.metadata?.uid));
  const gone: number[] = [];
  const readyByOwner = new Map<string, number[]>();
  let unknownStart = false;
  const expectReady = (pod: V1Pod, createdAt: number) => {
    const uid = controllerOf(pod)?.uid ?? '';
    const start = fromCreation(pod);
    if (start === undefined) unknownStart = true;
    readyByOwner.set(uid, [
      ...(readyByOwner.get(uid) ?? []),
      ...(start === undefined ? [] : [createdAt + start]),
    ]);
  };
  for (const { pod, graceSeconds } of facts.evicted) {
    const goneAt = prompt ? now : now + graceSeconds * 1000;
    gone.push(goneAt);
    expectReady(pod, replacementCreated(pod, goneAt));
  }
  for (const pod of facts.batchPods) {
    // Still there a round after it was asked to go: it takes its grace period.
    const goneAt = timeOf(pod.metadata?.deletionTimestamp);
    if (evictedNow.has(pod.metadata?.uid) || goneAt === undefined) continue;
    gone.push(goneAt);
    if (controllerOf(pod)?.kind === 'StatefulSet') expectReady(pod, goneAt);
  }
  for (const pod of facts.refused) {
    const uid = controllerOf(pod)?.uid ?? '';
    const evictedAt = facts.evictedEarlier?.get(uid);
    if (evictedAt !== undefined && !readyByOwner.has(uid)) expectReady(pod, evictedAt);
  }
  const batchNodes = new Set(facts.batchPods.map((pod) => pod.spec?.nodeName));
  for (const pod of elsewhere) {
    const created = timeOf(pod.metadata?.creationTimestamp);
    const starting = !isPodReady(pod) && !isTerminating(pod) && !batchNodes.has(pod.spec?.nodeName);
    if (starting && created !== undefined) expectReady(pod, created);
  }
  // Waited for with no pod of it seen starting: its last eviction's replacement, created then.
  for (const uid of facts.waited ?? []) {
    const evictedAt = facts.evictedEarlier?.get(uid);
    const start = startOf(uid, false);
    if (evictedAt !== undefined && start !== undefined && !readyByOwner.has(uid))
      readyByOwner.set(uid, [evictedAt + start]);
  }
  for (const [uid, times] of readyByOwner)
    readyByOwner.set(
      uid,
      times.map((at) => Math.max(now, at)),
    );
  return { gone, readyByOwner, unknownStart };
}

/**
 * The refused pods whose controller has no replacement on the way that the batch's own pods show
 * (none evicted this round, no StatefulSet predecessor terminating): their PDB is held by a pod
 * starting elsewhere, from an earlier round or another drain, which only a list of the controller's
 * pods shows. Without it the drain could only poll, and lose each disruption the PDB allows to a
 * drain that knows when it comes.
 */
export function blindRefusals(facts: DrainRoundFacts): V1Pod[] {
  const { readyByOwner } = expectations(facts, true);
  return facts.refused.filter((pod) => !readyByOwner.has(controllerOf(pod)?.uid ?? ''));
}

/**
 * When the drain should look again (see `expectations`): when the pods would be gone and their
 * replacements Ready if the pods left as soon as asked; a PDB lets the next pod of a controller go
 * when one of its replacements is Ready. `doneAt` lets every pod take its whole grace period. Once
 * the next round's time has passed, or when a replacement's start time is unknown (nothing of its
 * controller seen starting yet), the drain polls (`drainWaitSeconds`).
 */
export function drainForecast(facts: DrainRoundFacts): DrainForecast {
  const latest = (expected: Expectations) =>
    Math.max(facts.now, ...expected.gone, ...[...expected.readyByOwner.values()].flat());
  const doneAt = latest(expectations(facts, false));
  const prompt = expectations(facts, true);
  if (prompt.unknownStart) return { doneAt, nextRoundAt: undefined };
  if (facts.refused.length === 0) return { doneAt, nextRoundAt: latest(prompt) };
  const { readyByOwner } = prompt;
  const passAt = facts.refused.map((pod) => {
    const times = readyByOwner.get(controllerOf(pod)?.uid ?? '') ?? [];
    return times.length > 0 ? Math.min(...times) : undefined;
  });
  if (passAt.some((at) => at === undefined)) return { doneAt, nextRoundAt: undefined };
  // Retried as soon as the first may pass: each eviction that passes then starts its replacement
  // sooner, whatever the others still wait for.
  return { doneAt, nextRoundAt: Math.min(...(passAt as number[])) };
}

/**
 * How long past its deadline a drain may still wait for evicted pods to be Ready elsewhere (nothing
 * is left on the batch's nodes, the replacements are on their way): one polling interval of a wait
 * that long, so the deadline is honoured to within one polling interval.
 */
export const lateAllowanceSeconds = (timeoutSeconds: number): number =>
  pollSpacing(timeoutSeconds, drainPollSeconds.expected);

/**
 * While instances of the group have no node yet (the next batch's replacements, launched by Cordon
 * just before the drain began), the next round comes soon after they are expected to join, so that
 * the scale-down-disabled annotation reaches them before the cluster-autoscaler may judge them
 * unneeded (after 10 minutes by default; the cluster's owner chooses): at the first look
 * CheckReplacements takes (`firstLookSeconds`), then paced by `pollSpacing`, so a node that joins
 * late is protected within a tenth of the time waited.
 */
export function joinWatchSeconds(elapsedSeconds: number, firstLookSeconds: number): number {
  return Math.max(
    Math.ceil(firstLookSeconds - elapsedSeconds),
    pollSpacing(elapsedSeconds, drainPollSeconds.overdue),
  );
}

/**
 * Seconds until the next round (the forecast's), paced by `pollSpacing`; plain polling once the
 * forecast has passed, or when it cannot say when a refused eviction may pass. Never past the
 * deadline: the round at the deadline decides. Past it (pods on their way: deleted ones finishing
 * their grace periods, replacements starting), at most a tenth of the time waited and never past
 * `lateUntil` while it lasts.
 */
export function drainWaitSeconds(
  forecast: DrainForecast,
  now: number,
  elapsedSeconds: number,
  deadline: number = Number.POSITIVE_INFINITY,
  lateUntil: number = deadline,
): number {
  if (now >= deadline) {
    const spacing = pollSpacing(elapsedSeconds, drainPollSeconds.overdue);
    const paced = Math.max(drainPollSeconds.overdue, Math.min(spacing, secondsUntil(forecast.doneAt, now)));
    return now < lateUntil ? Math.max(1, Math.min(paced, secondsUntil(lateUntil, now))) : paced;
  }
  const seconds = forecast.nextRoundAt === undefined ? 0 : secondsUntil(forecast.nextRoundAt, now);
  const spacing = pollSpacing(elapsedSeconds, drainPollSeconds.expected);
  const paced =
    seconds > 0 ? Math.max(seconds, spacing) : pollSpacing(elapsedSeconds, drainPollSeconds.overdue);
  // A forecast is a guess (start times seen while a probe failed, say): never bet more than half of
  // the time left on it, so a round still comes while an eviction that passes can finish in time.
  const hedged = Math.max(spacing, Math.ceil(secondsUntil(deadline, now) / 2));
  return Math.max(1, Math.min(paced, hedged, secondsUntil(deadline, now)));
}
