import type { PodRecord } from './cluster.ts';
import { compareTuples } from './compare.ts';

/**
 * The Deployment controller's default RollingUpdate strategy
 * (https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-update-deployment):
 * maxSurge 25 % rounded up, maxUnavailable 25 % rounded down; both 0 makes maxUnavailable 1.
 */
export function rollingUpdateBounds(replicas: number): { maxSurge: number; maxUnavailable: number } {
  const maxSurge = Math.ceil(replicas * 0.25);
  const maxUnavailable = Math.floor(replicas * 0.25);
  return { maxSurge, maxUnavailable: maxSurge === 0 && maxUnavailable === 0 ? 1 : maxUnavailable };
}

/**
 * Which pods a ReplicaSet deletes first when it scales down (the controller's ActivePods ranking):
 * unscheduled before scheduled, Pending before Running, not Ready before Ready, Ready for less time
 * first, then the newest.
 */
export function deletionOrder(pods: readonly PodRecord[], ready: (pod: PodRecord) => boolean): PodRecord[] {
  const rank = (pod: PodRecord) => [
    pod.nodeName === undefined ? 0 : 1,
    pod.containersStartedAt === undefined ? 0 : 1,
    ready(pod) ? 1 : 0,
    -(pod.readySince ?? 0),
    -pod.createdAt,
  ];
  return [...pods].sort((a, b) => compareTuples(rank(a), rank(b)));
}

export interface DeploymentStep {
  /** Pods of the current template to create. */
  create: number;
  /** Pods the controller deletes (graceful, not an eviction: no budget is consulted). */
  remove: PodRecord[];
}

/**
 * One sync of a Deployment whose active (not terminating) pods are `active`: scaled to `replicas`,
 * or rolled from older templates to `revision` — the new ReplicaSet grows while the pods stay within
 * replicas + maxSurge, the old ones shrink while the Ready pods stay at least replicas − maxUnavailable
 * (unready old pods go first).
 */
export function deploymentStep(
  replicas: number,
  active: readonly PodRecord[],
  revision: string,
  ready: (pod: PodRecord) => boolean,
): DeploymentStep {
  const current = active.filter((pod) => pod.revision.hash === revision);
  const old = active.filter((pod) => pod.revision.hash !== revision);
  if (old.length === 0) {
    const surplus = current.length - replicas;
    if (surplus > 0) return { create: 0, remove: deletionOrder(current, ready).slice(0, surplus) };
    return { create: replicas - current.length, remove: [] };
  }
  const { maxSurge, maxUnavailable } = rollingUpdateBounds(replicas);
  const minAvailable = replicas - maxUnavailable;
  const create = Math.max(0, Math.min(replicas - current.length, replicas + maxSurge - active.length));
  const currentUnready = current.filter((pod) => !ready(pod)).length;
  let scaleDown = active.length - minAvailable - currentUnready;
  let healthyRoom = active.filter(ready).length - minAvailable;
  const remove: PodRecord[] = [];
  for (const pod of deletionOrder(old, ready)) {
    if (scaleDown <= 0) break;
    if (ready(pod)) {
      if (healthyRoom <= 0) continue;
      healthyRoom--;
    }
    remove.push(pod);
    scaleDown--;
  }
  return { create, remove };
}
