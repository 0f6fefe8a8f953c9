import type { NodeRecord, PodRecord, Taint } from './cluster.ts';

/** What the scheduler reads of the cluster besides the node itself (kept by the cluster's indexes). */
export interface SchedulingView {
  /** Pods bound to the node, terminating ones included: they hold their resources until gone. */
  podCount(node: NodeRecord): number;
  /** Pods of the same controller bound to the node. */
  siblingsOn(node: NodeRecord): number;
}

/**
 * A pod's tolerations of the taints a person or a controller put on nodes: a DaemonSet's pods tolerate
 * every taint (`operator: Exists`); the other workloads tolerate none of them.
 */
export const tolerates = (pod: PodRecord, _taint: Taint): boolean => pod.workload.spec.kind === 'DaemonSet';

/**
 * Filters, as kube-scheduler's default plugins do: the pod's OS (nodeSelector), room for one more pod
 * (NodeResourcesFit on `pods`), a running kubelet and a Ready node, not cordoned (NodeUnschedulable),
 * no untolerated NoSchedule or NoExecute taint (TaintToleration). A DaemonSet's pod goes to its own
 * node whatever its state (the DaemonSet controller's node affinity and tolerations).
 */
export function feasible(pod: PodRecord, node: NodeRecord, podCount: number): boolean {
  if (!node.kubeletRunning || node.os !== pod.workload.spec.os || podCount >= node.podCapacity) return false;
  if (pod.requiredNode !== undefined) return node.name === pod.requiredNode;
  if (node.ready !== 'True' || node.unschedulable) return false;
  for (const taint of node.taints) {
    if (taint.effect !== 'PreferNoSchedule' && !tolerates(pod, taint)) return false;
  }
  return true;
}

/** Each part of a score below this bound: siblings and pods on a node stay well under 65,536. */
const part = 2 ** 16;

/**
 * Scores, lower first, ordered by the weight each plugin has in kube-scheduler's default profile
 * (pkg/scheduler/apis/config/v1/default_plugins.go): TaintToleration (weight 3: fewer untolerated
 * PreferNoSchedule taints), then ImageLocality (nodes that already hold the pod's image: a Windows
 * image of several GiB is past the plugin's 1000 MiB threshold, so having it weighs fully), then the
 * least used: PodTopologySpread's default spreading of a controller's pods over nodes (weight 2),
 * then NodeResourcesFit's LeastAllocated (weight 1). One number, compared as that tuple would be, so
 * a pick allocates nothing however many nodes it looks at.
 */
export function score(pod: PodRecord, node: NodeRecord, podCount: number, siblings: number): number {
  let preferNot = 0;
  for (const taint of node.taints) {
    if (taint.effect === 'PreferNoSchedule' && !tolerates(pod, taint)) preferNot++;
  }
  const imageMissing = node.images.has(pod.workload.spec.image) ? 0 : 1;
  return ((preferNot * 2 + imageMissing) * part + siblings) * part + podCount;
}

/**
 * How many feasible nodes kube-scheduler finds before it stops looking and scores them
 * (`numFeasibleNodesToFind`, pkg/scheduler/schedule_one.go; "Scheduler Performance Tuning"): every
 * node below 100, else the default `percentageOfNodesToScore`, 50 % less one point per 125 nodes and
 * at least 5 %, never fewer than 100 nodes.
 */
export function feasibleNodesToFind(allNodes: number): number {
  if (allNodes < 100) return allNodes;
  const percent = Math.max(5, 50 - Math.floor(allNodes / 125));
  return Math.max(100, Math.floor((allNodes * percent) / 100));
}

/** The scheduler's choice, and how many nodes it looked at to make it. */
export interface Pick {
  node: NodeRecord | undefined;
  looked: number;
}

/**
 * The node kube-scheduler would bind the pod to: the lowest score among the first feasible nodes it
 * finds from `start` (its `nextStartNodeIndex`, wrapping around), as many as `feasibleNodesToFind`
 * asks. When it looks at every node, it starts from the first and the node's name breaks ties (the
 * nodes come in name order), so a run repeats; otherwise the first one found does. Undefined: the
 * pod stays Pending.
 */
export function pickNode(
  pod: PodRecord,
  nodesInNameOrder: readonly NodeRecord[],
  start: number,
  view: SchedulingView,
): Pick {
  const count = nodesInNameOrder.length;
  const toFind = feasibleNodesToFind(count);
  const first = toFind >= count ? 0 : start % count;
  let best: NodeRecord | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  let found = 0;
  let looked = 0;
  let index = first;
  while (looked < count && found < toFind) {
    const node = nodesInNameOrder[index];
    looked++;
    index = index + 1 === count ? 0 : index + 1;
    if (node === undefined) continue;
    const podCount = view.podCount(node);
    if (!feasible(pod, node, podCount)) continue;
    found++;
    // A score grows by `part` per sibling: a node that cannot beat the best without siblings is not asked for them.
    const withoutSiblings = score(pod, node, podCount, 0);
    if (withoutSiblings >= bestScore) continue;
    const candidate = withoutSiblings + view.siblingsOn(node) * part;
    if (candidate < bestScore) {
      best = node;
      bestScore = candidate;
    }
  }
  return { node: best, looked };
}
