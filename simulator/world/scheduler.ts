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
export function feasible(pod: PodRecord, node: NodeRecord, view: SchedulingView): boolean {
  const { spec } = pod.workload;
  if (!node.kubeletRunning || node.os !== spec.os) return false;
  if (pod.requiredNode !== undefined)
    return node.name === pod.requiredNode && view.podCount(node) < node.podCapacity;
  // The node's own fields before the pod count, which reads the cluster's index.
  if (node.ready !== 'True' || node.unschedulable || view.podCount(node) >= node.podCapacity) return false;
  return node.taints.every((taint) => taint.effect === 'PreferNoSchedule' || tolerates(pod, taint));
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
export function score(pod: PodRecord, node: NodeRecord, view: SchedulingView): number {
  let preferNot = 0;
  for (const taint of node.taints) {
    if (taint.effect === 'PreferNoSchedule' && !tolerates(pod, taint)) preferNot++;
  }
  const imageMissing = node.images.has(pod.workload.spec.image) ? 0 : 1;
  return ((preferNot * 2 + imageMissing) * part + view.siblingsOn(node)) * part + view.podCount(node);
}

/**
 * The node kube-scheduler would bind the pod to, among `nodes` given in name order: the lowest score,
 * the node's name breaking ties (so a run repeats). Undefined: it stays Pending.
 */
export function pickNode(
  pod: PodRecord,
  nodesInNameOrder: Iterable<NodeRecord>,
  view: SchedulingView,
): NodeRecord | undefined {
  let best: NodeRecord | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const node of nodesInNameOrder) {
    if (!feasible(pod, node, view)) continue;
    const candidate = score(pod, node, view);
    if (candidate < bestScore) {
      best = node;
      bestScore = candidate;
    }
  }
  return best;
}
