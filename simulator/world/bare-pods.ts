import type { Scheduler } from './clock.ts';
import type { NodeRecord } from './cluster.ts';
import type { Ids } from './ids.ts';
import type { Timeline } from './timeline.ts';

/**
 * Pods no controller owns, created bound to a node (`spec.nodeName`) with `restartPolicy: Never`,
 * such as an image pre-puller's. They follow the kubelet, not a controller:
 * - admission (pkg/kubelet/lifecycle/predicate.go): a node whose non-terminated pods already reach its
 *   `pods` capacity rejects the pod, Failed with reason `OutOf` + the resource: `OutOfpods`;
 * - start-up (pkg/kubelet/kuberuntime SyncPod): no sandbox until the node's network is up (Ready),
 *   then each container in order, its image pulled first (`IfNotPresent`);
 * - phase (pkg/kubelet/kubelet_pods.go getPhase): Pending while a container waits, Running while one
 *   runs, Succeeded once all exited 0 under `restartPolicy: Never`; a terminal pod stays until deleted;
 * - `activeDeadlineSeconds` (pkg/kubelet/active_deadline.go): past that long from `status.startTime`
 *   the kubelet kills it, Failed with reason `DeadlineExceeded`;
 * - PodGC (pkg/controller/podgc gcOrphaned): a pod bound to a node that does not exist is deleted once
 *   the controller's loop (every 20 s) has seen the node missing for its quarantine (40 s).
 * kube-scheduler's cache counts them on their node only while they are not terminated
 * (pkg/scheduler: assigned and not terminated pods).
 */

/** How long a container's `cmd /c exit 0` runs, from start to exit. */
export const containerRunSeconds = 2;
/** PodGC's `gcCheckPeriod` plus its `quarantineTime` for orphaned pods. */
export const orphanedPodGcSeconds = 20 + 40;
/** The API's `terminationGracePeriodSeconds` when a pod sets none. */
export const defaultGracePeriodSeconds = 30;

export interface BareContainer {
  name: string;
  image: string;
  command: string[] | undefined;
  args: string[] | undefined;
  /** The image is in no registry (no workload uses it) and the node lacks it: `ErrImagePull`. */
  pullFailed: boolean;
  startedAt: number | undefined;
  finishedAt: number | undefined;
}

export interface BarePodRecord {
  namespace: string;
  name: string;
  uid: string;
  labels: Record<string, string>;
  nodeName: string;
  createdAt: number;
  containers: BareContainer[];
  /** When the kubelet admitted it (`status.startTime`). */
  admittedAt: number | undefined;
  /** It counts among its node's pods (admitted and not terminated). */
  holdsSlot: boolean;
  /** The kubelet's refusal at admission (phase Failed). */
  rejection: { reason: string; message: string } | undefined;
  /** `spec.activeDeadlineSeconds`: how long it may be active on the node. */
  activeDeadlineSeconds: number | undefined;
  /** The kubelet killed it at that deadline (phase Failed). */
  deadlineExceeded: boolean;
  /** Its sandbox's address, once the node was Ready for it. */
  podIp: string | undefined;
  deletionTimestamp: number | undefined;
  deletionGracePeriodSeconds: number | undefined;
  resourceVersion: number;
}

/** What creating one needs: the API checked it. */
export type NewBarePod = Pick<
  BarePodRecord,
  'namespace' | 'name' | 'labels' | 'nodeName' | 'activeDeadlineSeconds'
> & {
  containers: Pick<BareContainer, 'name' | 'image' | 'command' | 'args'>[];
};

/** Why the kubelet failed the pod (`status.reason`, `status.message`), if it did. */
export function barePodFailure(pod: BarePodRecord): { reason: string; message: string } | undefined {
  if (pod.rejection !== undefined) return pod.rejection;
  if (!pod.deadlineExceeded) return undefined;
  return {
    reason: 'DeadlineExceeded',
    message: 'Pod was active on the node longer than the specified deadline',
  };
}

export type BarePodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export function barePodPhase(pod: BarePodRecord): BarePodPhase {
  if (barePodFailure(pod) !== undefined) return 'Failed';
  if (pod.containers.every((container) => container.finishedAt !== undefined)) return 'Succeeded';
  if (pod.containers.some((container) => container.startedAt === undefined)) return 'Pending';
  return 'Running';
}

export const isTerminal = (pod: BarePodRecord): boolean => {
  const phase = barePodPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed';
};

/** What the cluster lends the kubelets of bare pods. */
export interface BarePodHost {
  scheduler: Scheduler;
  timeline: Timeline;
  ids: Ids;
  nodes: ReadonlyMap<string, NodeRecord>;
  /** The node's non-terminated pods, as kube-scheduler's cache counts them. */
  podCount(nodeName: string): number;
  /** A bare pod took (1) or gave back (-1) one of the node's pods. */
  occupy(nodeName: string, change: 1 | -1): void;
  /** The node's kubelet pulls the image unless it has it (one pull per image per node), then calls back. */
  pullImage(node: NodeRecord, image: string, sizeBytes: number, then: () => void): void;
  /** The image's size in its registry: the size of the workloads that run it; undefined, no registry has it. */
  registrySizeBytes(image: string): number | undefined;
  bump(record: { resourceVersion: number }): void;
  /** After a change the cluster must settle (the scheduler may use a freed pod). */
  changed(): void;
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

/** The bare pods of the cluster and their kubelets' work on them. */
export class BarePods {
  readonly pods = new Map<string, BarePodRecord>();
  private readonly byNode = new Map<string, Set<BarePodRecord>>();

  constructor(private readonly host: BarePodHost) {}

  private get now() {
    return this.host.scheduler.now();
  }

  get(namespace: string, name: string): BarePodRecord | undefined {
    return this.pods.get(key(namespace, name));
  }

  on(nodeName: string): BarePodRecord[] {
    return [...(this.byNode.get(nodeName) ?? [])];
  }

  /** Creates the pod; the caller made sure its name is free. */
  create(spec: NewBarePod): BarePodRecord {
    const pod: BarePodRecord = {
      ...spec,
      uid: this.host.ids.uuid(),
      createdAt: this.now,
      containers: spec.containers.map((container) => ({
        ...container,
        pullFailed: false,
        startedAt: undefined,
        finishedAt: undefined,
      })),
      admittedAt: undefined,
      holdsSlot: false,
      rejection: undefined,
      deadlineExceeded: false,
      podIp: undefined,
      deletionTimestamp: undefined,
      deletionGracePeriodSeconds: undefined,
      resourceVersion: 0,
    };
    this.pods.set(key(pod.namespace, pod.name), pod);
    this.byNode.set(pod.nodeName, (this.byNode.get(pod.nodeName) ?? new Set()).add(pod));
    this.host.bump(pod);
    this.host.timeline.record('PodCreated', { pod: key(pod.namespace, pod.name), node: pod.nodeName });
    if (!this.host.nodes.has(pod.nodeName)) this.collectIfOrphaned(pod);
    this.sync(pod);
    this.host.changed();
    return pod;
  }

  /**
   * DELETE: a terminal pod goes at once (the API sets a grace period of 0 for terminal pods), as does
   * one deleted with a grace period of 0; otherwise the kubelet stops it within the grace period.
   */
  delete(namespace: string, name: string, gracePeriodSeconds = defaultGracePeriodSeconds): boolean {
    const pod = this.get(namespace, name);
    if (pod === undefined) return false;
    if (isTerminal(pod) || gracePeriodSeconds === 0) {
      this.remove(pod);
      this.host.changed();
      return true;
    }
    if (pod.deletionTimestamp !== undefined) return true;
    pod.deletionTimestamp = this.now + gracePeriodSeconds * 1000;
    pod.deletionGracePeriodSeconds = gracePeriodSeconds;
    this.host.bump(pod);
    this.host.scheduler.after(gracePeriodSeconds, () => {
      // A silent kubelet confirms nothing: the pod stays Terminating until PodGC takes it with its node.
      if (!this.isCurrent(pod) || this.host.nodes.get(pod.nodeName)?.kubeletRunning !== true) return;
      this.remove(pod);
      this.host.changed();
    });
    return true;
  }

  /** Nodes that registered, changed or left: their kubelets look at their bare pods again. */
  nodesChanged(names: Iterable<string>): void {
    for (const name of names) for (const pod of this.byNode.get(name) ?? []) this.sync(pod);
  }

  /** PodGC deletes the pods of a deleted node. */
  nodeDeleted(name: string): void {
    for (const pod of this.on(name)) this.remove(pod);
  }

  private isCurrent(pod: BarePodRecord): boolean {
    return this.pods.get(key(pod.namespace, pod.name)) === pod;
  }

  private collectIfOrphaned(pod: BarePodRecord): void {
    this.host.scheduler.after(orphanedPodGcSeconds, () => {
      if (!this.isCurrent(pod) || this.host.nodes.has(pod.nodeName)) return;
      this.host.timeline.record('PodGarbageCollected', {
        pod: key(pod.namespace, pod.name),
        node: pod.nodeName,
        reason: 'its node does not exist',
      });
      this.remove(pod);
      this.host.changed();
    });
  }

  private remove(pod: BarePodRecord): void {
    this.free(pod);
    if (pod.podIp !== undefined) this.host.ids.releasePrivateIp(pod.podIp);
    this.pods.delete(key(pod.namespace, pod.name));
    this.byNode.get(pod.nodeName)?.delete(pod);
    if (this.byNode.get(pod.nodeName)?.size === 0) this.byNode.delete(pod.nodeName);
  }

  private free(pod: BarePodRecord): void {
    if (!pod.holdsSlot) return;
    pod.holdsSlot = false;
    this.host.occupy(pod.nodeName, -1);
  }

  /** The node's kubelet, for one pod: admit it, then once the node is Ready, work through its containers. */
  private sync(pod: BarePodRecord): void {
    const node = this.host.nodes.get(pod.nodeName);
    if (node === undefined || !node.kubeletRunning || pod.deletionTimestamp !== undefined) return;
    if (isTerminal(pod)) return;
    if (pod.admittedAt === undefined && !this.admit(pod, node)) return;
    if (node.ready !== 'True' || pod.podIp !== undefined) return;
    pod.podIp = this.host.ids.privateIp(node.zoneIndex);
    this.host.bump(pod);
    this.startFrom(pod, node, 0);
  }

  private admit(pod: BarePodRecord, node: NodeRecord): boolean {
    const used = this.host.podCount(node.name);
    pod.admittedAt = this.now;
    if (used >= node.podCapacity) {
      pod.rejection = {
        reason: 'OutOfpods',
        message: `Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: ${used}, capacity: ${node.podCapacity}`,
      };
      this.host.timeline.record('PodRejected', {
        pod: key(pod.namespace, pod.name),
        node: node.name,
        reason: pod.rejection.reason,
      });
    } else {
      pod.holdsSlot = true;
      this.host.occupy(node.name, 1);
      const deadline = pod.activeDeadlineSeconds;
      if (deadline !== undefined) this.host.scheduler.after(deadline, () => this.pastDeadline(pod));
    }
    this.host.bump(pod);
    return pod.rejection === undefined;
  }

  /** Containers in order from `index`: each one's image pulled, then it starts; the next one after. */
  private startFrom(pod: BarePodRecord, node: NodeRecord, index: number): void {
    const container = pod.containers[index];
    if (container === undefined) return;
    const sizeBytes = node.images.get(container.image) ?? this.host.registrySizeBytes(container.image);
    if (sizeBytes === undefined) {
      container.pullFailed = true;
      this.host.bump(pod);
      this.host.timeline.record('ImagePullFailed', { node: node.name, image: container.image });
      this.startFrom(pod, node, index + 1);
      return;
    }
    this.host.pullImage(node, container.image, sizeBytes, () => {
      if (!this.isCurrent(pod) || pod.deletionTimestamp !== undefined || isTerminal(pod)) return;
      container.startedAt = this.now;
      this.host.bump(pod);
      this.host.scheduler.after(containerRunSeconds, () => this.exited(pod, container));
      this.startFrom(pod, node, index + 1);
    });
  }

  /** Still active at its deadline: the kubelet kills its containers (a pull under way goes on) and fails it. */
  private pastDeadline(pod: BarePodRecord): void {
    if (!this.isCurrent(pod) || isTerminal(pod)) return;
    if (this.host.nodes.get(pod.nodeName)?.kubeletRunning !== true) return;
    pod.deadlineExceeded = true;
    this.free(pod);
    this.host.bump(pod);
    this.host.timeline.record('PodFailed', {
      pod: key(pod.namespace, pod.name),
      node: pod.nodeName,
      reason: 'DeadlineExceeded',
    });
    this.host.changed();
  }

  /** `cmd /c exit 0` returned; the last container to end makes the pod Succeeded and frees its place. */
  private exited(pod: BarePodRecord, container: BareContainer): void {
    if (!this.isCurrent(pod) || isTerminal(pod)) return;
    if (this.host.nodes.get(pod.nodeName)?.kubeletRunning !== true) return;
    container.finishedAt = this.now;
    this.host.bump(pod);
    if (!isTerminal(pod)) return;
    this.free(pod);
    this.host.timeline.record('PodSucceeded', { pod: key(pod.namespace, pod.name), node: pod.nodeName });
    this.host.changed();
  }
}
