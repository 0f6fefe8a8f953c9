import type { V1Pod } from '@kubernetes/client-node';
import { controllerOf } from './nodes.ts';

/**
 * Which pods a drain may evict, with the rules of `kubectl drain --ignore-daemonsets`: a chain of
 * filters, each returning a verdict and a reason. `blocked` pods stop the drain unless the operator
 * allows them (force, deleteEmptyDirData).
 */
export type EvictionVerdict =
  | { action: 'evict'; reason: string; warning?: string }
  | { action: 'skip'; reason: string }
  | { action: 'blocked'; reason: string };

export interface EvictionRules {
  force: boolean;
  deleteEmptyDirData: boolean;
}

export interface PodContext {
  /** Whether the DaemonSet that controls the pod still exists (kubectl refuses orphans without force). */
  daemonSetExists: boolean;
}

export const mirrorPodAnnotation = 'kubernetes.io/config.mirror';

type Filter = (pod: V1Pod, rules: EvictionRules, context: PodContext) => EvictionVerdict | undefined;

const isFinished = (pod: V1Pod): boolean =>
  pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

const daemonSetFilter: Filter = (pod, rules, context) => {
  if (controllerOf(pod)?.kind !== 'DaemonSet' || isFinished(pod)) return undefined;
  if (!context.daemonSetExists && !rules.force) {
    return { action: 'blocked', reason: 'its DaemonSet no longer exists (use force to evict it)' };
  }
  if (!context.daemonSetExists)
    return { action: 'evict', reason: 'orphaned DaemonSet pod', warning: 'forced' };
  return { action: 'skip', reason: 'DaemonSet-managed' };
};

const mirrorPodFilter: Filter = (pod) =>
  pod.metadata?.annotations?.[mirrorPodAnnotation] !== undefined
    ? { action: 'skip', reason: 'mirror pod (static pod of the kubelet)' }
    : undefined;

const localStorageFilter: Filter = (pod, rules) => {
  if (isFinished(pod) || !(pod.spec?.volumes ?? []).some((volume) => volume.emptyDir)) return undefined;
  return rules.deleteEmptyDirData
    ? { action: 'evict', reason: 'uses emptyDir', warning: 'its emptyDir data will be lost' }
    : {
        action: 'blocked',
        reason: 'uses emptyDir (local data would be lost; allow with deleteEmptyDirData)',
      };
};

const unreplicatedFilter: Filter = (pod, rules) => {
  if (isFinished(pod) || controllerOf(pod)) return undefined;
  return rules.force
    ? { action: 'evict', reason: 'bare pod', warning: 'no controller will recreate it' }
    : {
        action: 'blocked',
        reason: 'bare pod with no controller (nothing would recreate it; allow with force)',
      };
};

const filters: Filter[] = [daemonSetFilter, mirrorPodFilter, localStorageFilter, unreplicatedFilter];

/**
 * The verdict for one pod. Like kubectl, a later filter may only make an `evict` verdict stricter:
 * the first `skip` or `blocked` wins, warnings of allowed filters accumulate.
 */
export function evictionVerdict(pod: V1Pod, rules: EvictionRules, context: PodContext): EvictionVerdict {
  const warnings: string[] = [];
  for (const filter of filters) {
    const verdict = filter(pod, rules, context);
    if (verdict === undefined) continue;
    if (verdict.action !== 'evict') return verdict;
    if (verdict.warning) warnings.push(verdict.warning);
  }
  if (isFinished(pod)) return { action: 'evict', reason: 'finished pod' };
  return warnings.length > 0
    ? { action: 'evict', reason: 'evictable', warning: warnings.join('; ') }
    : { action: 'evict', reason: 'evictable' };
}
