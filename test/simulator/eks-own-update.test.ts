import { describe, expect, it } from 'vitest';
import { runEksOwnUpdate } from '../../simulator/eks-own-update.ts';
import { loadScenario } from '../../simulator/scenario.ts';

const scenario = (path: string) => loadScenario(new URL(path, import.meta.url));

describe("EKS's own managed node group update, for the bench", () => {
  it('rolls the managed group on its own: surge of 2 × zones, every old node gone, the figures measured', async () => {
    const result = await runEksOwnUpdate(await scenario('./scenarios/managed-launch-template.json'));
    expect(result.status).toBe('Successful');
    expect(result.errorCodes).toEqual([]);
    // Two zones: EKS raises desired by max(2 × 2, maxUnavailable 1) = 4 before it drains anything.
    expect(result.peakExtraInstances).toBe(4);
    expect(result.allNewReadySeconds).not.toBeNull();
    expect(result.allOldGoneSeconds).not.toBeNull();
    expect(result.allNewReadySeconds ?? 0).toBeLessThanOrEqual(result.allOldGoneSeconds ?? 0);
    expect(result.durationSeconds).toBeGreaterThanOrEqual(result.allOldGoneSeconds ?? 0);
    expect(result.evictionsPerPod).toBeGreaterThanOrEqual(1);
    expect(result.invariants.pdbViolations).toBe(0);
    expect(result.invariants.cordonedNodesLeft).toBe(0);
  });

  it('with MINIMAL, launches nothing before it terminates: no extra instance, one node short at a time', async () => {
    const minimal = await runEksOwnUpdate(await scenario('./scenarios/managed-launch-template.json'), {
      updateConfig: { maxUnavailable: 1, updateStrategy: 'MINIMAL' },
    });
    expect(minimal.status).toBe('Successful');
    expect(minimal.peakExtraInstances).toBe(0);
    expect(minimal.allOldGoneSeconds).not.toBeNull();
    // Four nodes, maxUnavailable 1: one is out (cordoned, then replaced) at a time.
    expect(minimal.minSchedulableReadyNodes).toBe(3);
    expect(minimal.invariants.pdbViolations).toBe(0);
  });

  it('rolls a self-managed target as the managed group EKS would make of it, on the same world', async () => {
    const result = await runEksOwnUpdate(await scenario('../../../shared/scenarios/basic.json'));
    expect(result.status).toBe('Successful');
    expect(result.allOldGoneSeconds).not.toBeNull();
    expect(result.minSchedulableReadyNodes).not.toBeNull();
  });

  it("fails as EKS does when a PDB never allows: PodEvictionFailure after EKS's 15 minutes, old nodes left", async () => {
    const result = await runEksOwnUpdate(await scenario('./scenarios/managed-pdb-never-allows.json'));
    expect(result.status).toBe('Failed');
    expect(result.errorCodes).toEqual(['PodEvictionFailure']);
    expect(result.allOldGoneSeconds).toBeNull();
  });

  it('with force, terminates the node whose pods do not leave, and ends', async () => {
    const result = await runEksOwnUpdate(await scenario('./scenarios/managed-pdb-never-allows.json'), {
      force: true,
    });
    expect(result.status).toBe('Successful');
    expect(result.allOldGoneSeconds).not.toBeNull();
  });
});
