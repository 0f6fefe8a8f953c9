import type { NodeRecord, PodRecord } from './cluster.ts';
import { Admits, osCode, type SchedulerCache } from './scheduler-cache.ts';

/**
 * A pod's tolerations of the taints a person or a controller put on nodes: a DaemonSet's pods tolerate
 * every taint (`operator: Exists`); the other workloads tolerate none of them.
 */
const toleratesEveryTaint = (pod: PodRecord): boolean => pod.workload.spec.kind === 'DaemonSet';

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
function score(
  untoleratedPreferNot: number,
  imageMissing: boolean,
  siblings: number,
  podCount: number,
): number {
  return ((untoleratedPreferNot * 2 + (imageMissing ? 1 : 0)) * part + siblings) * part + podCount;
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
 * The node kube-scheduler would bind the pod to, after filters as its default plugins have them: the
 * pod's OS (nodeSelector), room for one more pod (NodeResourcesFit on `pods`), a running kubelet and
 * a Ready node, not cordoned (NodeUnschedulable), no untolerated NoSchedule or NoExecute taint
 * (TaintToleration). It takes the lowest score among the first feasible nodes it finds from `start`
 * (its `nextStartNodeIndex`, wrapping around), as many as `feasibleNodesToFind` asks. When it looks at
 * every node, it starts from the first and the node's name breaks ties (the cache keeps the nodes in
 * name order), so a run repeats; otherwise the first one found does. Undefined: the pod stays Pending.
 */
export function pickNode(pod: PodRecord, cache: SchedulerCache, start: number): Pick {
  const count = cache.nodes.length;
  const toFind = feasibleNodesToFind(count);
  const first = toFind >= count ? 0 : start % count;
  const os = osCode(pod.workload.spec.os);
  const tolerant = toleratesEveryTaint(pod);
  const siblings = cache.siblingsOf(pod.workload);
  const holdsImage = cache.holdersOf(pod.workload.spec.image);
  let best: number | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  let found = 0;
  let looked = 0;
  let index = first;
  while (looked < count && found < toFind) {
    const at = index;
    looked++;
    index = index + 1 === count ? 0 : index + 1;
    if (!cache.fits(at, os, Admits.anyPod) || (!tolerant && cache.hardTaints(at) > 0)) continue;
    found++;
    const podCount = cache.podCount(at);
    const preferNot = tolerant ? 0 : cache.softTaints(at);
    const candidate = score(preferNot, holdsImage[at] === 0, siblings[at] ?? 0, podCount);
    if (candidate < bestScore) {
      best = at;
      bestScore = candidate;
    }
  }
  return { node: best === undefined ? undefined : cache.nodes[best], looked };
}

/**
 * The node a pinned pod (a DaemonSet's, by the DaemonSet controller's node affinity) goes to whatever
 * the node's state or taints, once its kubelet runs and it has room; undefined while it waits.
 */
export function pinnedNode(pod: PodRecord, nodeName: string, cache: SchedulerCache): NodeRecord | undefined {
  const index = cache.indexOf(nodeName);
  const node = cache.nodes[index];
  if (node?.name !== nodeName) return undefined;
  return cache.fits(index, osCode(pod.workload.spec.os), Admits.pinnedPods) ? node : undefined;
}
