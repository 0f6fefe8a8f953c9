import { describe, expect, it } from 'vitest';
import { type SimulationReport, simulate } from '../../simulator/runner.ts';
import { loadScenario } from '../../simulator/scenario.ts';

/** The issue #10 scenarios ("A living cluster"): each ends as it should; scenarios.test.ts checks every invariant. */
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

/** Every instance of the target group running at the end, on the target AMI. */
const allOnTarget = (report: SimulationReport) => {
  const running = report.instances.filter((i) => i.state === 'running' && i.nodeGroup === 'win-a');
  expect(running.length).toBeGreaterThan(0);
  expect(running.map((i) => i.amiId)).toEqual(running.map(() => 'ami-0ccc0000000000003'));
};

/** When each execution's drain of some batch ran: from its first Drain to its Terminate. */
const drainSpans = (report: SimulationReport) => {
  const entered = report.timeline.filter((e) => e.event === 'StateEntered');
  return entered
    .filter((e) => e.detail.state === 'Terminate')
    .map((end) => ({
      from:
        entered.find((e) => e.detail.state === 'Drain' && e.detail.batch === end.detail.batch)?.t ??
        Number.NaN,
      to: end.t,
    }));
};

describe('instances that appear in the group during the rollout', () => {
  it('a node without a Kubernetes node at Plan is cordoned and drained when it joins, then replaced', async () => {
    const report = await run('late-join.json');
    const planned = first(report, 'RolloutPlanned')?.detail.plan as {
      batches: { nodes: { nodeName: string }[] }[];
    };
    expect(planned.batches.flatMap((b) => b.nodes).some((n) => n.nodeName === '')).toBe(true);
    expect(report.status).toBe('SUCCEEDED');
    expect(report.invariants.podsDeletedWithoutEviction).toBe(0);
    allOnTarget(report);
  });

  it('a scale-out mid-rollout launches from the target template and the rollout succeeds', async () => {
    const report = await run('scale-out-mid-rollout.json');
    expect(report.status).toBe('SUCCEEDED');
    allOnTarget(report);
  });

  it('an instance launched from the old template after Plan is rolled by a continuation before the end', async () => {
    const report = await run('scale-out-before-changes.json');
    const executions = report.timeline.filter((e) => e.event === 'ExecutionStarted');
    expect(executions.length).toBe(2);
    expect(report.status).toBe('SUCCEEDED');
    allOnTarget(report);
  });
});

describe('workloads that change while a batch drains', () => {
  it.each([
    ['an HPA scale-down', 'hpa-scale-down-during-drain.json', 'WorkloadScaled'],
    ['a Deployment restart', 'restart-during-drain.json', 'WorkloadRestarted'],
  ])('%s is not a failure', async (_, name, event) => {
    const report = await run(name);
    const at = first(report, event)?.t ?? Number.NaN;
    expect(drainSpans(report).some((span) => span.from < at && at < span.to)).toBe(true);
    expect(report.status).toBe('SUCCEEDED');
    allOnTarget(report);
  });
});

describe('pods moved twice', () => {
  it('each pod moves once under the ImageLocality scheduler', async () => {
    const report = await run('moved-twice.json');
    expect(report.status).toBe('SUCCEEDED');
    expect(report.metrics.evictionsPerPod).toBe(1);
  });
});
