import { describe, expect, it } from 'vitest';
import type { Plan } from '../../functions/commons/state.ts';
import { simulate } from '../../simulator/runner.ts';
import { loadScenario } from '../../simulator/scenario.ts';

const dryRun = new URL('../../../shared/scenarios/dry-run.json', import.meta.url);

async function planOf(change: (scenario: Awaited<ReturnType<typeof loadScenario>>) => void) {
  const scenario = await loadScenario(dryRun);
  change(scenario);
  let plan: Plan | undefined;
  const report = await simulate(scenario, {
    onTaskResult: (invocation, result) => {
      if (invocation.stateName === 'Plan') plan = result as Plan;
    },
  });
  return { report, plan };
}

describe('a dry run asks the API server, as kubectl drain --dry-run=server does', () => {
  it("names the first batch's pods whose eviction a PDB refuses now, and changes nothing", async () => {
    const { report, plan } = await planOf((scenario) => {
      const web = scenario.workloads.find((workload) => workload.name === 'web');
      if (web?.kind === 'Deployment') web.pdb = { minAvailable: web.replicas };
    });
    expect(report.status).toBe('SUCCEEDED');
    const firstBatch = new Set(plan?.batches[0]?.nodes.map((node) => node.nodeName));
    const refusedNow = (plan?.warnings ?? []).filter((w) =>
      w.includes('would refuse its eviction now (dryRun=All)'),
    );
    expect(refusedNow.length).toBeGreaterThan(0);
    expect(refusedNow.every((warning) => /^pod shop\/web-/.test(warning))).toBe(true);
    expect(firstBatch.size).toBeGreaterThan(0);
    expect(report.invariants.podsDeletedWithoutEviction).toBe(0);
    expect(report.timeline.some(({ event }) => event === 'PodEvicted')).toBe(false);
  });

  it('says nothing of the kind when every PDB allows the evictions', async () => {
    const { plan } = await planOf(() => {});
    expect((plan?.warnings ?? []).some((w) => w.includes('dryRun=All'))).toBe(false);
  });
});
