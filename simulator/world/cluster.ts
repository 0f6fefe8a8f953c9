import type { EvictionOutcome } from '../../functions/adapters/kubernetes/port.ts';
import type { PdbSpec, WorkloadSpec } from '../scenario.ts';
import { BarePods } from './bare-pods.ts';
import type { Scheduler } from './clock.ts';
import { deploymentStep } from './deployment.ts';
import type { ImageRecord, Platform } from './ec2.ts';
import { removable } from './finalizers.ts';
import type { Ids } from './ids.ts';
import type { Invariants } from './invariants.ts';
import { kubeletWentSilent } from './node-lifecycle.ts';
import {
  type ControllerScale,
  evictionVerdict,
  type PdbArithmetic,
  pdbArithmetic,
  pdbCountArithmetic,
} from './pdb.ts';
import { pickNode, pinnedNode } from './scheduler.ts';
import { SchedulerCache } from './scheduler-cache.ts';
import type { Timeline } from './timeline.ts';

const gibibyte = 2 ** 30;

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** Keys of the taints Kubernetes derives from a node's conditions and `spec.unschedulable`. */
const conditionTaintKeys = new Set([
  'node.kubernetes.io/unschedulable',
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
]);

/** A taint someone put on a node (`spec.taints`); the ones Kubernetes derives from conditions are rendered, not kept. */
export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface NodeRecord {
  name: string;
  uid: string;
  instanceId: string;
  groupName: string;
  os: Platform;
  availabilityZone: string;
  zoneIndex: number;
  instanceType: string;
  privateIp: string;
  image: ImageRecord;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  createdAt: number;
  ready: ConditionStatus;
  readyTransitionAt: number;
  kubeletRunning: boolean;
  unschedulable: boolean;
  taints: Taint[];
  /** Images on the node's disk (image → bytes): the AMI's cache and what pods pulled. */
  images: Map<string, number>;
  /** Images being pulled, each with what runs once it is on the node. */
  pulling: Map<string, (() => void)[]>;
  podCapacity: number;
  resourceVersion: number;
}

export interface WorkloadRecord {
  spec: WorkloadSpec;
  uid: string;
  createdAt: number;
  /** pod-template-hash of a Deployment's ReplicaSet, or the controller revision of a StatefulSet or DaemonSet. */
  revisionHash: string;
  replicaSetUid: string;
  imageSizeBytes: number;
  startupSeconds: number;
  /** Its pods keep failing readiness (the `pdbNeverAllows` fault). */
  neverReady: boolean;
  /** `spec.replicas` of a Deployment or StatefulSet as it is now (an HPA may change it). */
  desiredReplicas: number | undefined;
}

export interface PodRecord {
  namespace: string;
  name: string;
  uid: string;
  workload: WorkloadRecord;
  ordinal: number | undefined;
  /** A DaemonSet pod's node (the DaemonSet controller's node affinity). */
  requiredNode: string | undefined;
  createdAt: number;
  nodeName: string | undefined;
  boundAt: number | undefined;
  podIp: string | undefined;
  containersStartedAt: number | undefined;
  readySince: number | undefined;
  deletionTimestamp: number | undefined;
  deletionGracePeriodSeconds: number | undefined;
  /** The template it was made from: pod-template-hash (or controller revision) and its ReplicaSet. */
  revision: { hash: string; replicaSetUid: string };
  /** The replica this pod serves: the first pod's uid, inherited by each pod created to replace it. */
  lineage: string;
  /** It stopped counting for its controller (deleting, or removed): its replica went to a successor. */
  retired: boolean;
  /** `metadata.finalizers`: while any is left, a deleted pod stays Terminating. */
  finalizers: string[];
  /** Its containers died with the node's instance; the API still shows the pod until the node goes. */
  lost: boolean;
  resourceVersion: number;
}

export interface PdbRecord {
  namespace: string;
  name: string;
  uid: string;
  createdAt: number;
  selector: Record<string, string>;
  spec: PdbSpec;
}

export type PodPhase = 'Pending' | 'Running';

/** Puts `item` in, or takes it out of, the set kept under `key`. */
function member<K, T>(sets: Map<K, Set<T>>, key: K, item: T, present: boolean): void {
  const set = sets.get(key);
  if (present) sets.set(key, (set ?? new Set<T>()).add(item));
  else set?.delete(item);
}

export const podPhase = (pod: PodRecord): PodPhase =>
  pod.containersStartedAt === undefined ? 'Pending' : 'Running';
export const isPodReady = (pod: PodRecord): boolean =>
  pod.readySince !== undefined && pod.deletionTimestamp === undefined && !pod.lost;
export const podKey = (namespace: string, name: string) => `${namespace}/${name}`;

/** The labels every pod of a workload carries alike: `app` (what the PDBs select). */
function workloadLabels(workload: WorkloadRecord): Record<string, string> {
  const labels: Record<string, string> = { app: workload.spec.name };
  if (workload.spec.kind === 'DaemonSet') labels['pod-template-generation'] = '1';
  return labels;
}

/** The labels a pod carries: its workload's, and its controller's own. */
export function podLabels(pod: PodRecord): Record<string, string> {
  const { spec } = pod.workload;
  const revisionHash = pod.revision.hash;
  const labels = workloadLabels(pod.workload);
  if (spec.kind === 'Deployment') labels['pod-template-hash'] = revisionHash;
  if (spec.kind === 'StatefulSet') {
    labels['controller-revision-hash'] = `${spec.name}-${revisionHash}`;
    labels['statefulset.kubernetes.io/pod-name'] = pod.name;
    labels['apps.kubernetes.io/pod-index'] = String(pod.ordinal);
  }
  if (spec.kind === 'DaemonSet') labels['controller-revision-hash'] = revisionHash;
  return labels;
}

export const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

export interface ClusterOptions {
  scheduler: Scheduler;
  timeline: Timeline;
  ids: Ids;
  invariants: Invariants;
  imagePullSecondsPerGiB: number;
  /** Called after every change has settled (controllers and scheduler ran). */
  onSettled: () => void;
  /** The finalizers a pod has when it is asked to go (none by default). */
  finalizersOnDeletion?: (pod: PodRecord) => string[];
  observer?: ClusterObserver;
}

/** Who watches the cluster change (the metrics), told only about what changed. */
export interface ClusterObserver {
  nodeChanged(node: NodeRecord, deleted: boolean): void;
  evicted(pod: PodRecord): void;
  workloadsChanged(
    workloads: Iterable<WorkloadRecord>,
    readyPods: (workload: WorkloadRecord) => number,
  ): void;
}

/** What registering a node needs; the rest is the node's own state. */
export type NewNode = Omit<
  NodeRecord,
  | 'uid'
  | 'createdAt'
  | 'ready'
  | 'readyTransitionAt'
  | 'kubeletRunning'
  | 'unschedulable'
  | 'taints'
  | 'pulling'
  | 'resourceVersion'
  | 'annotations'
>;

/**
 * The Kubernetes side of the world: nodes, pods, their controllers, the scheduler, the kubelets'
 * image pulls and start-up, PodDisruptionBudgets and the Eviction API.
 */
export class Cluster {
  readonly nodes = new Map<string, NodeRecord>();
  /** kube-scheduler's view of `nodes`, kept by registerNode, deleteNode, bumpNode and the pods' binds and removals. */
  private readonly schedulerCache = new SchedulerCache();
  /** The Ready nodes of each node group, kept by bumpNode and deleteNode: capacity is watched after every change. */
  private readonly readyNodesByGroup = new Map<string, Set<NodeRecord>>();
  /** Where kube-scheduler's next search for feasible nodes begins in the cache's name order. */
  private nextStartNodeIndex = 0;
  readonly pods = new Map<string, PodRecord>();
  readonly workloads: WorkloadRecord[] = [];
  readonly budgets: PdbRecord[] = [];
  /** Indexes of `pods`, kept by createPod, bind and removePod. */
  private readonly podsByNode = new Map<string, Set<PodRecord>>();
  private readonly podsByWorkload = new Map<WorkloadRecord, Set<PodRecord>>();
  private readonly unscheduled = new Set<PodRecord>();
  /**
   * Per workload, its pods not being deleted and its Ready pods (`track`): controllers and budgets
   * read counts instead of scanning pods, so the simulation's cost grows with what changes, not with
   * the cluster's size.
   */
  private readonly activeByWorkload = new Map<WorkloadRecord, Set<PodRecord>>();
  private readonly readyByWorkload = new Map<WorkloadRecord, Set<PodRecord>>();
  /** Controllers to sync at the next settle (their pods or spec changed), as a watch would wake them. */
  private readonly unsynced = new Set<WorkloadRecord>();
  /** Deployments that may still have pods of an older template. */
  private readonly rolling = new Set<WorkloadRecord>();
  /** Nodes the DaemonSet controller must look at again. */
  private readonly changedNodes = new Set<string>();
  /** Workloads whose pods changed since the observer was last told. */
  private readonly changedWorkloads = new Set<WorkloadRecord>();
  /** Per workload, the replicas of pods that went, oldest first: the next pods it creates serve them. */
  private readonly vacantReplicas = new Map<WorkloadRecord, string[]>();
  private revision = 1000;
  /** While the initial state is built, pods are placed as if they had been running for days. */
  private initializing = false;
  /** Pods no controller owns, bound by their creator to a node (`bare-pods.ts`). */
  readonly barePods: BarePods;

  constructor(private readonly options: ClusterOptions) {
    this.barePods = new BarePods({
      ...options,
      nodes: this.nodes,
      podCount: (nodeName) => this.schedulerCache.podCount(this.schedulerCache.indexOf(nodeName)),
      occupy: (nodeName, change) => this.schedulerCache.occupied(nodeName, change),
      pullImage: (node, image, sizeBytes, then) => this.pullImage(node, image, sizeBytes, then),
      registrySizeBytes: (image) =>
        this.workloads.find((workload) => workload.spec.image === image)?.imageSizeBytes,
      bump: (record) => this.bump(record),
      changed: () => this.settle(),
    });
  }

  private get now() {
    return this.options.scheduler.now();
  }

  private bump(record: { resourceVersion: number }) {
    record.resourceVersion = ++this.revision;
  }

  private bumpPod(pod: PodRecord) {
    this.bump(pod);
    this.track(pod);
  }

  /** After any change to a pod: its place in the workload's counts; its controller syncs again. */
  private track(pod: PodRecord) {
    const { workload } = pod;
    const current = this.isCurrent(pod);
    member(this.activeByWorkload, workload, pod, current && pod.deletionTimestamp === undefined);
    member(this.readyByWorkload, workload, pod, current && isPodReady(pod));
    this.changedWorkloads.add(workload);
    this.unsynced.add(workload);
    if (pod.requiredNode !== undefined) this.changedNodes.add(pod.requiredNode);
  }

  private bumpNode(node: NodeRecord) {
    this.bump(node);
    const ready = this.readyNodesByGroup.get(node.groupName) ?? new Set<NodeRecord>();
    this.readyNodesByGroup.set(node.groupName, ready);
    if (node.ready === 'True') ready.add(node);
    else ready.delete(node);
    this.changedNodes.add(node.name);
    this.schedulerCache.update(node);
    this.options.observer?.nodeChanged(node, false);
  }

  /** The pod no longer serves its replica: the next pod its controller creates does. */
  private retire(pod: PodRecord) {
    if (pod.retired) return;
    pod.retired = true;
    const vacant = this.vacantReplicas.get(pod.workload) ?? [];
    this.vacantReplicas.set(pod.workload, [...vacant, pod.lineage]);
  }

  addWorkload(
    spec: WorkloadSpec,
    details: { imageSizeGiB: number; startupSeconds: number; neverReady: boolean },
  ) {
    const { ids } = this.options;
    const workload: WorkloadRecord = {
      spec,
      uid: ids.uuid(),
      createdAt: this.now,
      revisionHash: ids.kubernetesSuffix(spec.kind === 'Deployment' ? 10 : 9),
      replicaSetUid: ids.uuid(),
      imageSizeBytes: Math.round(details.imageSizeGiB * gibibyte),
      startupSeconds: details.startupSeconds,
      neverReady: details.neverReady,
      desiredReplicas: spec.kind === 'Deployment' || spec.kind === 'StatefulSet' ? spec.replicas : undefined,
    };
    this.workloads.push(workload);
    if (spec.pdb !== undefined) this.addBudget(spec.namespace, spec.name, { app: spec.name }, spec.pdb);
    return workload;
  }

  addBudget(namespace: string, name: string, selector: Record<string, string>, spec: PdbSpec): PdbRecord {
    const budget = { namespace, name, uid: this.options.ids.uuid(), createdAt: this.now, selector, spec };
    this.budgets.push(budget);
    return budget;
  }

  /**
   * The `pdbNeverAllows` fault armed (its pods start failing readiness) or cleared (their probes
   * pass again): a workload's running pods turn unready or Ready now.
   */
  setWorkloadNeverReady(name: string, neverReady: boolean): void {
    for (const workload of this.workloads.filter((candidate) => candidate.spec.name === name)) {
      workload.neverReady = neverReady;
      this.unsynced.add(workload);
      for (const pod of this.podsOf(workload)) {
        if (pod.containersStartedAt === undefined || pod.deletionTimestamp !== undefined || pod.lost)
          continue;
        pod.readySince = neverReady ? undefined : this.now;
        this.bumpPod(pod);
        this.options.timeline.record(neverReady ? 'PodNotReady' : 'PodReady', {
          pod: podKey(pod.namespace, pod.name),
          node: pod.nodeName,
        });
      }
    }
    this.settle();
  }

  /**
   * Builds the starting state: `build` registers nodes and workloads, then the controllers create
   * their pods, placed and running as if for days.
   */
  initialize(build: () => void): void {
    this.initializing = true;
    build();
    this.reconcile();
    // When these pods were first placed no node had pulled their images yet: the pulls land after.
    for (const pod of this.pods.values()) {
      const node = pod.nodeName === undefined ? undefined : this.nodes.get(pod.nodeName);
      node?.images.set(pod.workload.spec.image, pod.workload.imageSizeBytes);
    }
    for (const node of this.nodes.values()) this.schedulerCache.update(node);
    this.initializing = false;
    this.tellObserver();
    this.options.onSettled();
  }

  /**
   * A node registers with its kubelet running: NotReady until it is up, or (`readySince`, for the
   * starting state) Ready since then.
   */
  registerNode(fields: NewNode, readySince?: number): NodeRecord {
    const node: NodeRecord = {
      ...fields,
      uid: this.options.ids.uuid(),
      createdAt: readySince ?? this.now,
      ready: readySince === undefined ? 'False' : 'True',
      readyTransitionAt: readySince ?? this.now,
      kubeletRunning: true,
      unschedulable: false,
      taints: [],
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
      pulling: new Map(),
      resourceVersion: 0,
    };
    this.bumpNode(node);
    this.nodes.set(node.name, node);
    this.schedulerCache.add(node, this.podsByNode.get(node.name) ?? []);
    if (readySince === undefined) {
      this.options.timeline.record('NodeRegistered', { node: node.name, instanceId: node.instanceId });
    }
    this.settle();
    return node;
  }

  setNodeReady(name: string): void {
    const node = this.nodes.get(name);
    if (node === undefined || !node.kubeletRunning) return;
    node.ready = 'True';
    node.readyTransitionAt = this.now;
    this.bumpNode(node);
    this.options.timeline.record('NodeReady', { node: name, instanceId: node.instanceId });
    this.settle();
  }

  /**
   * The node's instance is shutting down: its containers die now (a disruption without eviction for
   * every pod not already terminating), and the node turns Unknown once the kubelet has been silent
   * for the grace period.
   */
  stopKubelet(name: string): void {
    this.silenceKubelet(name, 'its instance was terminated');
  }

  /** The kubelet stops while the instance runs on (the `nodeUnreachable` fault): its pods run on, unseen. */
  kubeletUnreachable(name: string): void {
    this.silenceKubelet(name, undefined);
  }

  /** `lostBecause`: the containers died with the instance (a disruption); undefined, they may run on. */
  private silenceKubelet(name: string, lostBecause: string | undefined): void {
    const node = this.nodes.get(name);
    if (node === undefined || !node.kubeletRunning) return;
    node.kubeletRunning = false;
    this.changedNodes.add(name);
    this.schedulerCache.update(node);
    node.pulling.clear();
    if (lostBecause === undefined)
      this.options.timeline.record('KubeletStopped', { node: name, instanceId: node.instanceId });
    else this.losePods(node, lostBecause);
    kubeletWentSilent(this.options.scheduler, {
      stillThere: () => this.nodes.get(name) === node,
      markUnknown: () => {
        node.ready = 'Unknown';
        node.readyTransitionAt = this.now;
        this.bumpNode(node);
        this.options.timeline.record('NodeNotReady', { node: name, instanceId: node.instanceId });
        for (const pod of this.podsOn(name)) {
          if (pod.readySince === undefined) continue;
          pod.readySince = undefined;
          this.bumpPod(pod);
        }
        this.settle();
      },
      evictForTaint: () => {
        for (const pod of this.podsOn(name)) {
          if (pod.workload.spec.kind === 'DaemonSet' || pod.deletionTimestamp !== undefined) continue;
          this.options.timeline.record('PodEvictedByTaint', {
            pod: podKey(pod.namespace, pod.name),
            node: name,
            taint: 'node.kubernetes.io/unreachable:NoExecute',
          });
          this.beginDeletion(pod, pod.workload.spec.terminationGracePeriodSeconds);
        }
        this.settle();
      },
    });
    this.settle();
  }

  /** An HPA or a person sets a Deployment's or StatefulSet's `spec.replicas` (the `scaleWorkload` fault). */
  scaleWorkload(name: string, replicas: number): void {
    for (const workload of this.workloads.filter((candidate) => candidate.spec.name === name)) {
      if (workload.desiredReplicas === undefined) continue;
      workload.desiredReplicas = replicas;
      this.changedWorkloads.add(workload);
      this.unsynced.add(workload);
      this.options.timeline.record('WorkloadScaled', {
        workload: podKey(workload.spec.namespace, name),
        replicas,
      });
    }
    this.settle();
  }

  /** `kubectl rollout restart` of a Deployment: a new template, so a new ReplicaSet (the `restartWorkload` fault). */
  restartWorkload(name: string): void {
    const { ids } = this.options;
    for (const workload of this.workloads.filter((candidate) => candidate.spec.name === name)) {
      if (workload.spec.kind !== 'Deployment') continue;
      workload.revisionHash = ids.kubernetesSuffix(10);
      workload.replicaSetUid = ids.uuid();
      this.unsynced.add(workload);
      this.rolling.add(workload);
      this.options.timeline.record('WorkloadRestarted', {
        workload: podKey(workload.spec.namespace, name),
        replicaSet: `${name}-${workload.revisionHash}`,
      });
    }
    this.settle();
  }

  /** The cloud node controller deletes the node of a terminated instance; pod GC removes its pods. */
  deleteNode(name: string): void {
    const node = this.nodes.get(name);
    if (node === undefined) return;
    this.losePods(node, 'its node was deleted');
    // Pod GC deletes the pods of a deleted node; finalizers keep some Terminating, bound to no node.
    for (const pod of this.podsOn(name)) {
      if (removable(pod)) this.removePod(pod);
      else {
        pod.deletionTimestamp ??= this.now;
        this.track(pod);
      }
    }
    this.barePods.nodeDeleted(name);
    this.nodes.delete(name);
    this.readyNodesByGroup.get(node.groupName)?.delete(node);
    this.schedulerCache.remove(node);
    this.changedNodes.add(name);
    this.options.observer?.nodeChanged(node, true);
    if ((this.podsByNode.get(name)?.size ?? 0) === 0) this.podsByNode.delete(name);
    this.options.timeline.record('NodeDeleted', { node: name, instanceId: node.instanceId });
    this.settle();
  }

  patchNode(
    name: string,
    patch: {
      unschedulable?: boolean;
      annotations?: Record<string, string | null>;
      labels?: Record<string, string | null>;
      taints?: Taint[];
    },
  ): NodeRecord | undefined {
    const node = this.nodes.get(name);
    if (node === undefined) return undefined;
    if (patch.unschedulable !== undefined && patch.unschedulable !== node.unschedulable) {
      node.unschedulable = patch.unschedulable;
      this.options.timeline.record(patch.unschedulable ? 'NodeCordoned' : 'NodeUncordoned', {
        node: name,
        instanceId: node.instanceId,
      });
    }
    if (patch.taints !== undefined) {
      // spec.taints is a list: a patch replaces it whole. The taints derived from conditions are the
      // node lifecycle controller's: it reconciles them whatever a client wrote
      // (pkg/controller/nodelifecycle doNoScheduleTaintingPass), so the world keeps deriving them.
      node.taints = patch.taints
        .filter((taint) => !conditionTaintKeys.has(taint.key))
        .map((taint) => ({ ...taint }));
      this.options.timeline.record('NodeTainted', { node: name, taints: node.taints });
    }
    for (const [field, changes] of [
      [node.annotations, patch.annotations],
      [node.labels, patch.labels],
    ] as const) {
      for (const [key, value] of Object.entries(changes ?? {})) {
        if (value === null) delete field[key];
        else field[key] = value;
      }
    }
    this.bumpNode(node);
    this.settle();
    return node;
  }

  /** The Eviction API (policy/v1). With `dryRun` the same verdict, and nothing changes (eviction REST: a dry run skips the budget update). */
  evict(
    namespace: string,
    name: string,
    gracePeriodSeconds: number | undefined,
    dryRun = false,
  ): EvictionOutcome {
    const pod = this.pods.get(podKey(namespace, name));
    if (pod === undefined) return { kind: 'gone' };
    const verdict = evictionVerdict(
      { phase: podPhase(pod), ready: isPodReady(pod), terminating: pod.deletionTimestamp !== undefined },
      this.budgetsSelecting(pod).map((budget) => ({ name: budget.name, status: this.budgetStatus(budget) })),
    );
    if (verdict.kind === 'multiplePdbs') return verdict;
    if (verdict.kind === 'blockedByPdb') {
      if (dryRun) return { kind: 'blockedByPdb', message: verdict.cause, pdbNames: [verdict.pdbName] };
      this.options.timeline.record('EvictionRefused', {
        pod: podKey(namespace, name),
        node: pod.nodeName,
        pdb: verdict.pdbName,
      });
      // The production adapter reports the 429's DisruptionBudget cause, which names the budget.
      return { kind: 'blockedByPdb', message: verdict.cause, pdbNames: [verdict.pdbName] };
    }
    if (dryRun) return { kind: 'evicted' };
    if (pod.deletionTimestamp === undefined) {
      this.options.timeline.record('PodEvicted', { pod: podKey(namespace, name), node: pod.nodeName });
      this.options.observer?.evicted(pod);
    }
    this.beginDeletion(pod, gracePeriodSeconds ?? pod.workload.spec.terminationGracePeriodSeconds);
    this.settle();
    return { kind: 'evicted' };
  }

  /** A plain DELETE: no budget is consulted, so the world counts what it breaks. */
  deletePod(
    namespace: string,
    name: string,
    gracePeriodSeconds: number | undefined,
    forced: boolean,
  ): boolean {
    const pod = this.pods.get(podKey(namespace, name));
    if (pod === undefined) return false;
    if (pod.deletionTimestamp === undefined) {
      this.options.timeline.record('PodDeleted', {
        pod: podKey(namespace, name),
        node: pod.nodeName,
        forced,
      });
      this.countDisruption(pod, 'deleted without eviction', forced);
    }
    this.beginDeletion(pod, gracePeriodSeconds ?? pod.workload.spec.terminationGracePeriodSeconds);
    this.settle();
    return true;
  }

  budgetStatus(budget: PdbRecord): PdbArithmetic {
    const workloads = this.workloadsSelectedBy(budget);
    if (workloads === undefined) {
      const pods = this.podsSelectedBy(budget);
      return pdbArithmetic(
        budget.spec,
        pods.map((pod) => ({ ready: isPodReady(pod), terminating: pod.deletionTimestamp !== undefined })),
        () => this.controllerScale(new Set(pods.map((pod) => pod.workload))),
      );
    }
    const withPods = workloads.filter((workload) => (this.podsByWorkload.get(workload)?.size ?? 0) > 0);
    const count = (sets: Map<WorkloadRecord, Set<PodRecord>>) =>
      withPods.reduce((sum, workload) => sum + (sets.get(workload)?.size ?? 0), 0);
    return pdbCountArithmetic(
      budget.spec,
      { selected: count(this.podsByWorkload), healthy: count(this.readyByWorkload) },
      () => this.controllerScale(withPods),
    );
  }

  /**
   * The workloads whose pods a budget selects, when its selector names only labels all pods of a
   * workload carry alike (`app`); undefined when it must be matched pod by pod.
   */
  private workloadsSelectedBy(budget: PdbRecord): WorkloadRecord[] | undefined {
    const alike = Object.keys(budget.selector).every(
      (key) => key === 'app' || key === 'pod-template-generation',
    );
    if (!alike) return undefined;
    return this.workloads.filter(
      (workload) =>
        workload.spec.namespace === budget.namespace && selects(budget.selector, workloadLabels(workload)),
    );
  }

  budgetsSelecting(pod: PodRecord): PdbRecord[] {
    const labels = podLabels(pod);
    return this.budgets.filter(
      (budget) => budget.namespace === pod.namespace && selects(budget.selector, labels),
    );
  }

  /** How many nodes of the group are Ready. */
  readyNodeCount(groupName: string): number {
    return this.readyNodesByGroup.get(groupName)?.size ?? 0;
  }

  podsOn(nodeName: string): PodRecord[] {
    return [...(this.podsByNode.get(nodeName) ?? [])];
  }

  /** Pods the scheduler found no node for (PodScheduled=False, reason Unschedulable), not being deleted. */
  pendingPods(): PodRecord[] {
    return [...this.unscheduled].filter((pod) => pod.deletionTimestamp === undefined);
  }

  podsOf(workload: WorkloadRecord): PodRecord[] {
    return [...(this.podsByWorkload.get(workload) ?? [])];
  }

  private podsSelectedBy(budget: PdbRecord): PodRecord[] {
    return [...this.pods.values()].filter(
      (pod) => pod.namespace === budget.namespace && selects(budget.selector, podLabels(pod)),
    );
  }

  /** The disruption controller's `getExpectedScale`: only scalable controllers have one. */
  private controllerScale(controllers: Iterable<WorkloadRecord>): ControllerScale {
    let replicas = 0;
    for (const { spec, desiredReplicas } of controllers) {
      if (spec.kind === 'Pod') return { error: `found no controller ref for pod "${spec.name}"` };
      if (spec.kind === 'DaemonSet')
        return { error: `DaemonSet ${spec.name} does not implement the scale subresource` };
      replicas += desiredReplicas ?? 0;
    }
    return { replicas };
  }

  /**
   * Counts a pod that goes without the Eviction API, and a PDB violation if its budget had no room;
   * a deletion the execution allowed with the PDB override is reported with those budgets instead.
   */
  private countDisruption(pod: PodRecord, how: string, forced: boolean): void {
    if (pod.workload.spec.kind === 'DaemonSet') return;
    const key = podKey(pod.namespace, pod.name);
    const overridden = isPodReady(pod)
      ? this.budgetsSelecting(pod).filter((budget) => this.budgetStatus(budget).disruptionsAllowed === 0)
      : [];
    if (!forced) for (const budget of overridden) this.options.invariants.pdbViolated(budget.name, key);
    this.options.invariants.podRemovedWithoutEviction(
      key,
      pod.nodeName,
      how,
      forced,
      overridden.map((budget) => `${budget.namespace}/${budget.name}`),
    );
  }

  private losePods(node: NodeRecord, how: string): void {
    for (const pod of this.podsOn(node.name)) {
      if (pod.lost || pod.deletionTimestamp !== undefined) continue;
      this.countDisruption(pod, `lost: ${how}`, false);
      pod.lost = true;
      this.bumpPod(pod);
    }
  }

  /** Graceful deletion: the kubelet stops the containers within the grace period, then the pod is gone. */
  private beginDeletion(pod: PodRecord, gracePeriodSeconds: number): void {
    if (pod.deletionTimestamp !== undefined) return;
    this.retire(pod);
    pod.finalizers = [...pod.finalizers, ...(this.options.finalizersOnDeletion?.(pod) ?? [])];
    if (!removable(pod)) {
      pod.deletionTimestamp = this.now + gracePeriodSeconds * 1000;
      pod.deletionGracePeriodSeconds = gracePeriodSeconds;
      this.bumpPod(pod);
      this.options.timeline.record('PodStuckTerminating', {
        pod: podKey(pod.namespace, pod.name),
        node: pod.nodeName,
        finalizers: pod.finalizers,
      });
      return;
    }
    if (pod.nodeName === undefined || gracePeriodSeconds === 0) {
      this.removePod(pod);
      return;
    }
    pod.deletionTimestamp = this.now + gracePeriodSeconds * 1000;
    pod.deletionGracePeriodSeconds = gracePeriodSeconds;
    this.bumpPod(pod);
    this.options.scheduler.after(gracePeriodSeconds, () => {
      const node = pod.nodeName === undefined ? undefined : this.nodes.get(pod.nodeName);
      if (!this.isCurrent(pod) || node === undefined || !node.kubeletRunning) return;
      this.removePod(pod);
      this.settle();
    });
  }

  private removePod(pod: PodRecord): void {
    this.retire(pod);
    if (pod.podIp !== undefined) this.options.ids.releasePrivateIp(pod.podIp);
    this.changedWorkloads.add(pod.workload);
    this.pods.delete(podKey(pod.namespace, pod.name));
    this.podsByWorkload.get(pod.workload)?.delete(pod);
    this.unscheduled.delete(pod);
    if (pod.nodeName !== undefined) {
      this.podsByNode.get(pod.nodeName)?.delete(pod);
      this.schedulerCache.podMoved(pod, pod.nodeName, -1);
    }
    this.track(pod);
  }

  private isCurrent(pod: PodRecord): boolean {
    return this.pods.get(podKey(pod.namespace, pod.name)) === pod;
  }

  /** After a change: controllers, then the scheduler, then whoever watches (invariants). */
  private settle(): void {
    if (this.initializing) return;
    this.reconcile();
    this.tellObserver();
    this.options.onSettled();
  }

  private tellObserver(): void {
    if (this.changedWorkloads.size === 0) return;
    this.options.observer?.workloadsChanged(
      this.changedWorkloads,
      (workload) => this.readyByWorkload.get(workload)?.size ?? 0,
    );
    this.changedWorkloads.clear();
  }

  /** The controllers whose pods, spec or nodes changed (all while the starting state is built), then the scheduler. */
  private reconcile(): void {
    const nodes = this.initializing ? [...this.nodes.keys()] : [...this.changedNodes];
    this.changedNodes.clear();
    this.barePods.nodesChanged(nodes);
    for (const workload of this.workloads) {
      if (workload.spec.kind === 'DaemonSet') {
        this.reconcileDaemonSet(workload, nodes);
      } else if (this.initializing || this.unsynced.has(workload)) {
        // Cleared first: what this sync changes makes the controller sync again at the next settle.
        this.unsynced.delete(workload);
        this.reconcileController(workload);
      }
    }
    this.schedulePendingPods();
  }

  private reconcileController(workload: WorkloadRecord): void {
    const { spec } = workload;
    switch (spec.kind) {
      case 'Deployment': {
        const replicas = workload.desiredReplicas ?? 0;
        const active = this.activeByWorkload.get(workload) ?? new Set<PodRecord>();
        const current = (pod: PodRecord) => pod.revision.hash === workload.revisionHash;
        if (this.rolling.has(workload) && [...active].every(current)) this.rolling.delete(workload);
        // One template and not too many pods: the ReplicaSet just makes up what is missing.
        const step =
          this.rolling.has(workload) || active.size > replicas
            ? deploymentStep(replicas, [...active], workload.revisionHash, isPodReady)
            : { create: replicas - active.size, remove: [] };
        for (const pod of step.remove) this.deleteByController(pod);
        for (let count = 0; count < step.create; count++) {
          this.createPod(
            workload,
            `${spec.name}-${workload.revisionHash}-${this.options.ids.kubernetesSuffix(5)}`,
          );
        }
        return;
      }
      case 'StatefulSet':
        this.reconcileStatefulSet(workload, workload.desiredReplicas ?? 0);
        return;
      case 'DaemonSet':
        return;
      case 'Pod':
        if (this.initializing) {
          for (let index = 0; index < spec.replicas; index++) {
            this.createPod(workload, spec.replicas === 1 ? spec.name : `${spec.name}-${index}`);
          }
        }
        return;
    }
  }

  /**
   * The DaemonSet controller, for the nodes that changed: a pod on each running node of its OS; the
   * pods of a deleted node go.
   */
  private reconcileDaemonSet(workload: WorkloadRecord, nodeNames: string[]): void {
    const { spec } = workload;
    if (nodeNames.length === 0) return;
    // Its unbound pods by node, in one pass: while the starting state is built every other pod is unbound too.
    const unbound = new Map<string, PodRecord[]>();
    for (const pod of this.unscheduled) {
      if (pod.workload !== workload || pod.requiredNode === undefined) continue;
      const pods = unbound.get(pod.requiredNode);
      if (pods === undefined) unbound.set(pod.requiredNode, [pod]);
      else pods.push(pod);
    }
    for (const name of nodeNames) {
      const pods = [
        ...[...(this.podsByNode.get(name) ?? [])].filter(
          (pod) => pod.workload === workload && pod.requiredNode === name,
        ),
        ...(unbound.get(name) ?? []),
      ];
      const node = this.nodes.get(name);
      if (node === undefined) {
        for (const pod of pods) if (removable(pod)) this.removePod(pod);
        continue;
      }
      if (node.os !== spec.os || !node.kubeletRunning) continue;
      if (pods.some((pod) => pod.deletionTimestamp === undefined)) continue;
      this.createPod(workload, `${spec.name}-${this.options.ids.kubernetesSuffix(5)}`, {
        requiredNode: name,
      });
    }
  }

  /**
   * OrderedReady: ordinals in order; a missing pod is created (with its old name, once the old pod is
   * fully gone) and the controller waits until each pod is Running and Ready before the next.
   */
  private reconcileStatefulSet(workload: WorkloadRecord, replicas: number): void {
    for (let ordinal = 0; ordinal < replicas; ordinal++) {
      const name = `${workload.spec.name}-${ordinal}`;
      const pod = this.pods.get(podKey(workload.spec.namespace, name));
      if (pod === undefined) {
        this.createPod(workload, name, { ordinal });
        if (!this.initializing) return;
        continue;
      }
      if (this.initializing) continue;
      if (pod.deletionTimestamp !== undefined || podPhase(pod) !== 'Running' || !isPodReady(pod)) return;
    }
    if (this.initializing) return;
    // Scale-down: the highest ordinal first, each gone before the next.
    const condemned = this.podsOf(workload).filter((pod) => (pod.ordinal ?? 0) >= replicas);
    if (condemned.some((pod) => pod.deletionTimestamp !== undefined)) return;
    const [highest] = condemned.sort((a, b) => (b.ordinal ?? 0) - (a.ordinal ?? 0));
    if (highest !== undefined) this.deleteByController(highest);
  }

  /** The controller deletes a pod it no longer wants (scale-down, rolling update): no budget is asked. */
  private deleteByController(pod: PodRecord): void {
    this.options.timeline.record('PodDeletedByController', {
      pod: podKey(pod.namespace, pod.name),
      node: pod.nodeName,
    });
    this.beginDeletion(pod, pod.workload.spec.terminationGracePeriodSeconds);
  }

  private createPod(
    workload: WorkloadRecord,
    name: string,
    placement: { ordinal?: number; requiredNode?: string } = {},
  ): PodRecord {
    const uid = this.options.ids.uuid();
    const pod: PodRecord = {
      namespace: workload.spec.namespace,
      name,
      uid,
      workload,
      lineage: this.vacantReplicas.get(workload)?.shift() ?? uid,
      revision: { hash: workload.revisionHash, replicaSetUid: workload.replicaSetUid },
      retired: false,
      ordinal: placement.ordinal,
      requiredNode: placement.requiredNode,
      createdAt: this.now,
      nodeName: undefined,
      boundAt: undefined,
      podIp: undefined,
      containersStartedAt: undefined,
      readySince: undefined,
      deletionTimestamp: undefined,
      deletionGracePeriodSeconds: undefined,
      finalizers: [],
      lost: false,
      resourceVersion: 0,
    };
    this.pods.set(podKey(pod.namespace, name), pod);
    const siblings = this.podsByWorkload.get(workload) ?? new Set();
    this.podsByWorkload.set(workload, siblings.add(pod));
    this.unscheduled.add(pod);
    this.bumpPod(pod);
    return pod;
  }

  private schedulePendingPods(): void {
    for (const pod of this.unscheduled) {
      const node = this.pickNode(pod);
      if (node !== undefined) this.bind(pod, node);
    }
  }

  /** kube-scheduler's choice for the pod (`scheduler.ts`), from its cache. */
  private pickNode(pod: PodRecord): NodeRecord | undefined {
    if (pod.requiredNode !== undefined) return pinnedNode(pod, pod.requiredNode, this.schedulerCache);
    const { node, looked } = pickNode(pod, this.schedulerCache, this.nextStartNodeIndex);
    this.nextStartNodeIndex =
      (this.nextStartNodeIndex + looked) % Math.max(1, this.schedulerCache.nodes.length);
    return node;
  }

  private bind(pod: PodRecord, node: NodeRecord): void {
    pod.nodeName = node.name;
    this.unscheduled.delete(pod);
    const neighbours = this.podsByNode.get(node.name) ?? new Set();
    this.podsByNode.set(node.name, neighbours.add(pod));
    this.schedulerCache.podMoved(pod, node.name, 1);
    pod.boundAt = this.now;
    pod.podIp = this.options.ids.privateIp(node.zoneIndex);
    this.bumpPod(pod);
    if (this.initializing) {
      this.startAsIfLongRunning(pod);
      return;
    }
    this.options.timeline.record('PodScheduled', { pod: podKey(pod.namespace, pod.name), node: node.name });
    this.pullThenStart(pod, node);
  }

  private startAsIfLongRunning(pod: PodRecord): void {
    pod.containersStartedAt = this.now;
    if (!pod.workload.neverReady) pod.readySince = this.now;
    this.track(pod);
  }

  /** The kubelet starts the pod once its image is on the node. */
  private pullThenStart(pod: PodRecord, node: NodeRecord): void {
    this.pullImage(node, pod.workload.spec.image, pod.workload.imageSizeBytes, () => {
      const idle = pod.containersStartedAt === undefined && pod.deletionTimestamp === undefined;
      if (this.isCurrent(pod) && idle) this.startContainers(pod);
    });
  }

  /**
   * The kubelet pulls the image unless the node has it, then calls back: one pull per image per node,
   * which whatever else needs the image meanwhile waits for.
   */
  private pullImage(node: NodeRecord, image: string, sizeBytes: number, then: () => void): void {
    if (node.images.has(image)) {
      then();
      return;
    }
    const waiting = node.pulling.get(image);
    if (waiting !== undefined) {
      waiting.push(then);
      return;
    }
    node.pulling.set(image, [then]);
    const seconds = (sizeBytes / gibibyte) * this.options.imagePullSecondsPerGiB;
    this.options.timeline.record('ImagePullStarted', {
      node: node.name,
      image,
      seconds: Math.round(seconds),
    });
    this.options.scheduler.after(seconds, () => {
      const waiters = node.pulling.get(image);
      if (this.nodes.get(node.name) !== node || waiters === undefined) return;
      node.pulling.delete(image);
      node.images.set(image, sizeBytes);
      this.bumpNode(node);
      this.options.timeline.record('ImagePulled', { node: node.name, image });
      for (const waiter of waiters) waiter();
      this.settle();
    });
  }

  private startContainers(pod: PodRecord): void {
    pod.containersStartedAt = this.now;
    this.bumpPod(pod);
    if (pod.workload.neverReady) return;
    this.options.scheduler.after(pod.workload.startupSeconds, () => {
      if (!this.isCurrent(pod) || pod.deletionTimestamp !== undefined || pod.lost) return;
      if (this.nodes.get(pod.nodeName ?? '')?.kubeletRunning !== true) return;
      if (pod.workload.neverReady) return;
      pod.readySince = this.now;
      this.bumpPod(pod);
      this.options.timeline.record('PodReady', { pod: podKey(pod.namespace, pod.name), node: pod.nodeName });
      this.settle();
    });
  }
}
