import type { IntOrString, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { type EvictionRules, type EvictionVerdict, evictionVerdict } from './eviction.ts';
import { podKey } from './nodes.ts';

/** Kubernetes' scaling of an int-or-percent against a count (the disruption controller rounds up). */
export function scaledValue(value: IntOrString | undefined, total: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(value);
  if (!percent) return Number.isNaN(Number(value)) ? undefined : Number(value);
  return Math.ceil((Number(percent[1]) * total) / 100);
}

export function labelsMatch(selector: V1PodDisruptionBudget['spec'], pod: V1Pod): boolean {
  const podLabels = pod.metadata?.labels ?? {};
  const matchLabels = selector?.selector?.matchLabels ?? {};
  const expressions = selector?.selector?.matchExpressions ?? [];
  if (selector?.selector === undefined) return false;
  const labelsOk = Object.entries(matchLabels).every(([key, value]) => podLabels[key] === value);
  const expressionsOk = expressions.every((e) => {
    const value = podLabels[e.key];
    switch (e.operator) {
      case 'In':
        return value !== undefined && (e.values ?? []).includes(value);
      case 'NotIn':
        return value === undefined || !(e.values ?? []).includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        return false;
    }
  });
  return labelsOk && expressionsOk;
}

/** PDBs of the pod's namespace whose selector matches it. */
export function pdbsOf(pod: V1Pod, pdbs: V1PodDisruptionBudget[]): V1PodDisruptionBudget[] {
  return pdbs.filter(
    (pdb) => pdb.metadata?.namespace === pod.metadata?.namespace && labelsMatch(pdb.spec, pod),
  );
}

export const pdbName = (pdb: V1PodDisruptionBudget): string =>
  `${pdb.metadata?.namespace ?? ''}/${pdb.metadata?.name ?? ''}`;

/**
 * Why a PDB can never allow a voluntary disruption, whatever the pods' health: maxUnavailable 0, or
 * minAvailable at least the pods it covers. Undefined when it can.
 */
export function pdbNeverAllowsReason(pdb: V1PodDisruptionBudget, coveredPods: number): string | undefined {
  const spec = pdb.spec ?? {};
  if (spec.maxUnavailable !== undefined && scaledValue(spec.maxUnavailable, coveredPods) === 0) {
    return `PDB ${pdbName(pdb)} has maxUnavailable ${spec.maxUnavailable}`;
  }
  const minAvailable = scaledValue(spec.minAvailable, coveredPods);
  if (minAvailable !== undefined && minAvailable >= coveredPods) {
    return `PDB ${pdbName(pdb)} requires minAvailable ${spec.minAvailable} of ${coveredPods} pods`;
  }
  return undefined;
}

/** How many pods a PDB covers, counted from `pods` (those its namespace's list by its selector returned). */
export const coveredAmong =
  (pods: V1Pod[]) =>
  (pdb: V1PodDisruptionBudget): number =>
    pods.filter((pod) => pdbsOf(pod, [pdb]).length > 0).length;

export interface PodVerdict {
  pod: string;
  node: string;
  verdict: EvictionVerdict;
}

export interface Preflight {
  verdicts: PodVerdict[];
  /** Refuse the rollout before any change: the blocked pods' and the PDBs' reasons. */
  blockers: string[];
  /** Pods the eviction rules refuse with the flags given (force included): they refuse the rollout whatever the flags. */
  blockedPods: string[];
  /** What PDBs refuse (several PDBs on a pod, a PDB that never allows one): lifted only by overridePdbAfterTimeout. */
  pdbBlockers: string[];
  /** Worth knowing, not a refusal: PDBs that allow no disruption right now, pods that will lose data. */
  warnings: string[];
}

/**
 * Pre-flight over the pods of the nodes to replace: pods that cannot be evicted, PDBs that can never
 * allow a disruption, pods under several PDBs (the Eviction API answers 500 for them).
 */
export function preflight(
  podsToMove: V1Pod[],
  covered: (pdb: V1PodDisruptionBudget) => number,
  pdbs: V1PodDisruptionBudget[],
  rules: EvictionRules,
  daemonSetExists: (pod: V1Pod) => boolean,
): Preflight {
  const verdicts = podsToMove.map((pod) => ({
    pod: podKey(pod),
    node: pod.spec?.nodeName ?? '',
    verdict: evictionVerdict(pod, rules, { daemonSetExists: daemonSetExists(pod) }),
  }));
  const blockers: string[] = [];
  const pdbBlockers: string[] = [];
  const warnings: string[] = [];
  for (const { pod, verdict } of verdicts) {
    if (verdict.action === 'blocked') blockers.push(`pod ${pod}: ${verdict.reason}`);
    if (verdict.action === 'evict' && verdict.warning) warnings.push(`pod ${pod}: ${verdict.warning}`);
  }
  const evictable = podsToMove.filter((_, i) => verdicts[i]?.verdict.action === 'evict');
  const relevant = new Map<string, V1PodDisruptionBudget>();
  for (const pod of evictable) {
    const matching = pdbsOf(pod, pdbs);
    if (matching.length > 1) {
      pdbBlockers.push(
        `pod ${podKey(pod)} is covered by ${matching.length} PDBs (${matching.map(pdbName).join(', ')}); the Eviction API refuses such pods`,
      );
    }
    for (const pdb of matching) relevant.set(pdbName(pdb), pdb);
  }
  for (const pdb of relevant.values()) {
    const never = pdbNeverAllowsReason(pdb, covered(pdb));
    if (never) pdbBlockers.push(`${never}: it can never allow an eviction`);
    else if ((pdb.status?.disruptionsAllowed ?? 0) < 1) {
      warnings.push(`PDB ${pdbName(pdb)} allows no disruption right now; the drain will wait for it`);
    }
  }
  const blockedPods = verdicts.flatMap(({ pod, verdict }) => (verdict.action === 'blocked' ? [pod] : []));
  return { verdicts, blockers: [...blockers, ...pdbBlockers], blockedPods, pdbBlockers, warnings };
}
