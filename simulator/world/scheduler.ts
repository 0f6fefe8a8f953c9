import type { NodeRecord, PodRecord, Taint } from './cluster.ts';
import { compareTuples } from './compare.ts';

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
  if (!node.kubeletRunning || node.os !== spec.os || view.podCount(node) >= node.podCapacity) return false;
  if (pod.requiredNode !== undefined) return node.name === pod.requiredNode;
  if (node.ready !== 'True' || node.unschedulable) return false;
  return node.taints.every((taint) => taint.effect === 'PreferNoSchedule' || tolerates(pod, taint));
}

/**
 * Scores, lower first, ordered by the weight each plugin has in kube-scheduler's default profile
 * (pkg/scheduler/apis/config/v1/default_plugins.go): TaintToleration (weight 3: fewer untolerated
 * PreferNoSchedule taints), then ImageLocality (nodes that already hold the pod's image: a Windows
 * image of several GiB is past the plugin's 1000 MiB threshold, so having it weighs fully), then the
 * least used: PodTopologySpread's default spreading of a controller's pods over nodes (weight 2),
 * then NodeResourcesFit's LeastAllocated (weight 1). The node's name breaks ties, so a run repeats.
 */
export function score(pod: PodRecord, node: NodeRecord, view: SchedulingView): number[] {
  const preferNot = node.taints.filter(
    (taint) => taint.effect === 'PreferNoSchedule' && !tolerates(pod, taint),
  ).length;
  return [
    preferNot,
    node.images.has(pod.workload.spec.image) ? 0 : 1,
    view.siblingsOn(node),
    view.podCount(node),
  ];
}

/** The node kube-scheduler would bind the pod to, among `nodes`; undefined: it stays Pending. */
export function pickNode(
  pod: PodRecord,
  nodes: Iterable<NodeRecord>,
  view: SchedulingView,
): NodeRecord | undefined {
  let best: { node: NodeRecord; score: number[] } | undefined;
  for (const node of nodes) {
    if (!feasible(pod, node, view)) continue;
    const candidate = { node, score: score(pod, node, view) };
    const order =
      best === undefined
        ? -1
        : compareTuples(candidate.score, best.score) || node.name.localeCompare(best.node.name);
    if (order < 0) best = candidate;
  }
  return best?.node;
}
