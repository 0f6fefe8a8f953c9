import type { PdbSpec } from '../scenario.ts';

/** `intstr.GetScaledValueFromIntOrPercent`: a count, or a percent of `total` rounded as asked. */
export function scaledValue(value: number | string, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const exact = (Number.parseInt(value, 10) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export interface PdbPod {
  ready: boolean;
  terminating: boolean;
}

/** The scale of the controllers behind the selected pods, or why it cannot be known. */
export type ControllerScale = { replicas: number } | { error: string };

export interface PdbArithmetic {
  expectedPods: number;
  currentHealthy: number;
  desiredHealthy: number;
  disruptionsAllowed: number;
  /** Set when the disruption controller cannot compute the budget; it then allows nothing. */
  syncFailure?: string;
}

/**
 * The disruption controller's numbers (pkg/controller/disruption): an integer `minAvailable` counts
 * the selected pods; `maxUnavailable` and percentages need the controllers' scale; percentages round up.
 */
export function pdbArithmetic(spec: PdbSpec, pods: PdbPod[], scale: () => ControllerScale): PdbArithmetic {
  const healthy = pods.filter((pod) => pod.ready && !pod.terminating).length;
  return pdbCountArithmetic(spec, { selected: pods.length, healthy }, scale);
}

/** The same from counts: the pods selected, and those Ready and not terminating. */
export function pdbCountArithmetic(
  spec: PdbSpec,
  pods: { selected: number; healthy: number },
  scale: () => ControllerScale,
): PdbArithmetic {
  const currentHealthy = pods.healthy;
  let expectedPods: number;
  let desiredHealthy: number;
  if (typeof spec.minAvailable === 'number') {
    expectedPods = pods.selected;
    desiredHealthy = spec.minAvailable;
  } else {
    const known = scale();
    if ('error' in known) {
      return {
        expectedPods: 0,
        currentHealthy,
        desiredHealthy: 0,
        disruptionsAllowed: 0,
        syncFailure: known.error,
      };
    }
    expectedPods = known.replicas;
    desiredHealthy =
      spec.maxUnavailable === undefined
        ? scaledValue(spec.minAvailable ?? 0, expectedPods, true)
        : Math.max(0, expectedPods - scaledValue(spec.maxUnavailable, expectedPods, true));
  }
  const disruptionsAllowed = expectedPods <= 0 ? 0 : Math.max(0, currentHealthy - desiredHealthy);
  return { expectedPods, currentHealthy, desiredHealthy, disruptionsAllowed };
}

export interface EvictablePod {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  ready: boolean;
  terminating: boolean;
}

export type EvictionVerdict =
  | { kind: 'allowed' }
  | { kind: 'blockedByPdb'; pdbName: string; message: string; cause: string }
  | { kind: 'multiplePdbs'; message: string };

const pdbBlockedMessage = "Cannot evict pod as it would violate the pod's disruption budget.";

/**
 * The Eviction API's decision (pkg/registry/core/pod/storage/eviction.go) for a pod that exists:
 * terminal, pending and terminating pods skip the budget; several budgets are an error; an unready
 * pod may go while the budget is met (IfHealthyBudget); a ready pod needs a disruption allowed.
 */
export function evictionVerdict(
  pod: EvictablePod,
  budgets: { name: string; status: PdbArithmetic }[],
): EvictionVerdict {
  if (pod.phase !== 'Running' || pod.terminating) return { kind: 'allowed' };
  const [budget, ...others] = budgets;
  if (budget === undefined) return { kind: 'allowed' };
  if (others.length > 0) {
    return {
      kind: 'multiplePdbs',
      message:
        'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    };
  }
  const { status } = budget;
  if (!pod.ready && status.currentHealthy >= status.desiredHealthy && status.desiredHealthy > 0) {
    return { kind: 'allowed' };
  }
  if (status.disruptionsAllowed > 0) return { kind: 'allowed' };
  return {
    kind: 'blockedByPdb',
    pdbName: budget.name,
    message: pdbBlockedMessage,
    cause: `The disruption budget ${budget.name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
  };
}
