import { describe, expect, it } from 'vitest';
import { evictionVerdict, pdbArithmetic, scaledValue } from '../../simulator/world/pdb.ts';

const healthy = (count: number) => Array.from({ length: count }, () => ({ ready: true, terminating: false }));
const replicas = (count: number) => () => ({ replicas: count });

describe('PodDisruptionBudget arithmetic (the disruption controller)', () => {
  it.each([
    ['50%', 5, true, 3],
    ['50%', 5, false, 2],
    ['10%', 6, true, 1],
    ['0%', 6, true, 0],
    ['100%', 6, true, 6],
    [2, 6, true, 2],
  ])('scales %s of %i (round up: %s) to %i', (value, total, roundUp, expected) => {
    expect(scaledValue(value, total, roundUp)).toBe(expected);
  });

  it.each([
    [
      'maxUnavailable 1 of 6',
      { maxUnavailable: 1 },
      6,
      { expectedPods: 6, desiredHealthy: 5, disruptionsAllowed: 1 },
    ],
    [
      'maxUnavailable 0',
      { maxUnavailable: 0 },
      6,
      { expectedPods: 6, desiredHealthy: 6, disruptionsAllowed: 0 },
    ],
    [
      'maxUnavailable 25% rounds up',
      { maxUnavailable: '25%' },
      6,
      { desiredHealthy: 4, disruptionsAllowed: 2 },
    ],
    [
      'minAvailable 2 of 3',
      { minAvailable: 2 },
      3,
      { expectedPods: 3, desiredHealthy: 2, disruptionsAllowed: 1 },
    ],
    [
      'minAvailable 50% of 3 rounds up',
      { minAvailable: '50%' },
      3,
      { desiredHealthy: 2, disruptionsAllowed: 1 },
    ],
    ['minAvailable equal to the pods', { minAvailable: 3 }, 3, { disruptionsAllowed: 0 }],
  ])('%s', (_, spec, count, expected) => {
    expect(pdbArithmetic(spec, healthy(count), replicas(count))).toMatchObject(expected);
  });

  it('counts neither unready nor terminating pods as healthy', () => {
    const pods = [...healthy(4), { ready: false, terminating: false }, { ready: true, terminating: true }];
    expect(pdbArithmetic({ maxUnavailable: 1 }, pods, replicas(6))).toMatchObject({
      currentHealthy: 4,
      desiredHealthy: 5,
      disruptionsAllowed: 0,
    });
  });

  it('takes expected pods from the controller scale for maxUnavailable, not from the pods that exist', () => {
    expect(pdbArithmetic({ maxUnavailable: 1 }, healthy(5), replicas(6))).toMatchObject({
      expectedPods: 6,
      disruptionsAllowed: 0,
    });
  });

  it('allows nothing when the pods have no scalable controller (DaemonSet, bare pod)', () => {
    const status = pdbArithmetic({ maxUnavailable: 1 }, healthy(3), () => ({ error: 'no scale' }));
    expect(status).toMatchObject({ disruptionsAllowed: 0, syncFailure: 'no scale' });
  });
});

describe('Eviction API decision', () => {
  const budget = (disruptionsAllowed: number, currentHealthy = 5, desiredHealthy = 5) => ({
    name: 'web',
    status: { expectedPods: 6, currentHealthy, desiredHealthy, disruptionsAllowed },
  });
  const running = { phase: 'Running' as const, ready: true, terminating: false };

  it('evicts a ready pod while its budget allows a disruption', () => {
    expect(evictionVerdict(running, [budget(1)])).toEqual({ kind: 'allowed' });
  });

  it('refuses (429) a ready pod when its budget allows none, naming the budget', () => {
    expect(evictionVerdict(running, [budget(0)])).toEqual({
      kind: 'blockedByPdb',
      pdbName: 'web',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      cause: 'The disruption budget web needs 5 healthy pods and has 5 currently',
    });
  });

  it('refuses (500) a pod selected by several budgets', () => {
    expect(evictionVerdict(running, [budget(1), { ...budget(1), name: 'other' }]).kind).toBe('multiplePdbs');
  });

  it('lets an unready pod go while the budget is met (IfHealthyBudget), not otherwise', () => {
    const unready = { ...running, ready: false };
    expect(evictionVerdict(unready, [budget(0, 5, 5)]).kind).toBe('allowed');
    expect(evictionVerdict(unready, [budget(0, 4, 5)]).kind).toBe('blockedByPdb');
  });

  it('skips the budget for pending and terminating pods, and pods without one', () => {
    expect(evictionVerdict({ ...running, phase: 'Pending' }, [budget(0)]).kind).toBe('allowed');
    expect(evictionVerdict({ ...running, terminating: true }, [budget(0)]).kind).toBe('allowed');
    expect(evictionVerdict(running, []).kind).toBe('allowed');
  });
});
