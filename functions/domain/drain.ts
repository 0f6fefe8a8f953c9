import type { V1Pod } from '@kubernetes/client-node';
import { controllerOf, isPodReady, isTerminating } from './nodes.ts';

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

/** Seconds until the next round: grace periods of terminating pods, or a short PDB retry interval. */
export function drainWaitSeconds(terminating: V1Pod[], blockedByPdb: number): number {
  if (terminating.length > 0) {
    const longestGrace = Math.max(
      ...terminating.map((pod) => pod.metadata?.deletionGracePeriodSeconds ?? 30),
    );
    return Math.min(30, Math.max(5, longestGrace));
  }
  return blockedByPdb > 0 ? 10 : 15;
}
