import { describe, expect, it } from 'vitest';
import { type SimulationReport, simulate } from '../../simulator/runner.ts';
import { loadScenario } from '../../simulator/scenario.ts';

/** The issue #10 scenarios ("A living cluster"): each ends as it should; scenarios.test.ts checks the invariants. */
const scenario = (name: string) => new URL(`./scenarios/${name}`, import.meta.url);
const run = async (name: string): Promise<SimulationReport> => simulate(await loadScenario(scenario(name)));
const first = (report: SimulationReport, event: string) => report.timeline.find((e) => e.event === event);

describe('a pod stuck Terminating', () => {
  it('ends the drain in DrainTimeout within drainTimeoutSeconds + 120 s, naming the pod', async () => {
    const report = await run('stuck-terminating.json');
    const stuck = String(first(report, 'PodStuckTerminating')?.detail.pod);
    expect(report.error?.name).toBe('DrainTimeout');
    expect(report.error?.cause).toContain(`${stuck} still Terminating`);
    const drainBegan = first(report, 'PodEvicted')?.t ?? Number.NaN;
    const rolledBack = first(report, 'RollbackStarted')?.t ?? Number.NaN;
    expect(rolledBack - drainBegan).toBeLessThanOrEqual(900 + 120);
  });

  it('with force, no longer blocks the drain at the deadline, and the report lists it', async () => {
    const report = await run('stuck-terminating-force.json');
    const stuck = String(first(report, 'PodStuckTerminating')?.detail.pod);
    expect(report.status).toBe('SUCCEEDED');
    expect(report.output).toMatchObject({ podsLeftTerminating: [stuck] });
  });
});

describe('an eviction throttled mid-round', () => {
  it('is retried without losing the Ready-before baseline: each pod moves once', async () => {
    const report = await run('throttled-eviction.json');
    expect(
      report.timeline.filter((e) => e.event === 'Throttled' && e.detail.api === 'k8s:evict'),
    ).toHaveLength(1);
    expect(report.status).toBe('SUCCEEDED');
    expect(report.metrics.evictionsPerPod).toBe(1);
  });
});
