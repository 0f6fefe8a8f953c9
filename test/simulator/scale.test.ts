import { describe, expect, it } from 'vitest';
import { batchesPerExecution } from '../../functions/domain/plan.ts';
import { historyEventsOf } from '../../simulator/history.ts';
import { type SimulationReport, simulate } from '../../simulator/runner.ts';
import { parseScenario } from '../../simulator/scenario.ts';
import { noneBroken } from '../safety/fixture.ts';
import { named, scenarioDocument, targetAmi } from './world-fixture.ts';

/** The longest deadlines: the fewest batches one execution may take. */
const longestDeadlines = { readyTimeoutSeconds: 7200, drainTimeoutSeconds: 86_400 };

/** The fixture's group grown to `nodes` Windows nodes, replaced one at a time with the given deadlines. */
function rollout(nodes: number, input: Record<string, unknown> = {}): Promise<SimulationReport> {
  const document = scenarioDocument();
  Object.assign(named(document.nodeGroups, 'win-a'), { instances: nodes, maxSize: nodes + 2, minSize: 1 });
  document.execution = {
    input: { clusterName: 'prod', nodeGroupName: 'win-a', amiId: targetAmi, maxUnavailable: 1, ...input },
  };
  return simulate(parseScenario(document));
}

const at = (report: SimulationReport, event: string, key: string, value: string) =>
  report.timeline.find((entry) => entry.event === event && entry.detail[key] === value)?.t;

describe('pipelining', () => {
  it("launches a batch's replacements when the batch before it is cordoned, and cordons a batch only once its replacements are Ready", async () => {
    const report = await rollout(3);
    expect(report.status).toBe('SUCCEEDED');
    expect(report.invariants).toEqual(noneBroken);
    const cordons = report.timeline.filter((entry) => entry.event === 'NodeCordoned');
    const launches = report.timeline.filter((entry) => entry.event === 'InstanceLaunched');
    const ready = launches.map((launch) =>
      at(report, 'NodeReady', 'instanceId', String(launch.detail.instanceId)),
    );
    expect(cordons).toHaveLength(3);
    expect(launches).toHaveLength(3);
    for (const [index, cordon] of cordons.entries()) {
      // Batch n's replacement was Ready before batch n was cordoned…
      expect(ready[index]).toBeLessThanOrEqual(cordon.t);
      // …and batch n+1's was launched right after (the Auto Scaling group's 10 s reaction).
      const next = launches[index + 1];
      if (next) expect(next.t - cordon.t).toBeLessThanOrEqual(11);
    }
  });
});

describe('a group larger than one execution takes', () => {
  it('continues in new executions of the same input, each waiting for the one before, all within the history limit', async () => {
    const perExecution = batchesPerExecution(longestDeadlines);
    const nodes = perExecution + 2;
    const report = await rollout(nodes, longestDeadlines);

    expect(report.status).toBe('SUCCEEDED');
    expect(report.invariants).toEqual(noneBroken);
    const windows = report.instances.filter((instance) => instance.nodeGroup === 'win-a');
    expect(windows.filter((instance) => instance.state === 'running').map((i) => i.amiId)).toEqual(
      Array(nodes).fill(targetAmi),
    );
    const [first, second] = report.executions ?? [];
    expect(report.executions).toHaveLength(2);
    expect(first?.output).toMatchObject({ nodesReplaced: perExecution, continuedAs: second?.name });
    expect(second?.name).toBe(`${first?.name}-part2`);
    expect(second?.input).toMatchObject({ ...longestDeadlines, continuedFrom: first?.name });
    // What the first plan found on every node is carried, not listed again.
    expect(second?.input).toMatchObject({
      continuedWith: {
        checkedNodesBefore: expect.any(String),
        imagesToMove: expect.arrayContaining([expect.any(String)]),
        longestGraceSeconds: expect.any(Number),
      },
    });
    expect(second?.output).toMatchObject({ nodesReplaced: 2, nodesAlreadyOnTarget: perExecution });
    expect(report.notifications).toHaveLength(1);
    const firstEnded = at(report, 'ExecutionSucceeded', 'execution', first?.name ?? '') ?? Infinity;
    const secondLocked = report.timeline.find(
      (entry) =>
        entry.event === 'TaskSucceeded' &&
        entry.detail.execution === second?.name &&
        entry.detail.state === 'AcquireLock',
    );
    expect(secondLocked?.t).toBeGreaterThanOrEqual(firstEnded);
    for (const execution of report.executionStats) expect(execution.historyEvents).toBeLessThan(25_000);
  });
});

describe('history events, counted as Step Functions records them', () => {
  it.each([
    [{ type: 'StateEntered', state: { type: 'Task' } }, 3],
    [{ type: 'StateExited', state: { type: 'Task' } }, 2],
    [{ type: 'StateFailed', state: { type: 'Task' } }, 1],
    [{ type: 'StateRetried', state: { type: 'Task' } }, 2],
    [{ type: 'StateEntered', state: { type: 'Map' } }, 2],
    [{ type: 'MapIterationStarted' }, 1],
    [{ type: 'StateEntered', state: { type: 'Wait' } }, 1],
    [{ type: 'StateExited', state: { type: 'Choice' } }, 1],
    [{ type: 'StateEntered', state: { type: 'Fail' } }, 1],
    [{ type: 'StateExited', state: { type: 'Fail' } }, 0],
    [{ type: 'ExecutionSucceeded' }, 1],
  ])('%o counts %i', (event, count) => {
    expect(historyEventsOf(event)).toBe(count);
  });
});
