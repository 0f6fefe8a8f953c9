import { describe, expect, it } from 'vitest';
import { type SimulateOptions, type SimulationReport, simulate } from '../../simulator/runner.ts';
import { loadScenario } from '../../simulator/scenario.ts';
import type { World } from '../../simulator/world.ts';

/**
 * The rollout against the cluster-autoscaler (issue #10): a slow drain leaves the next batch's
 * replacement empty for longer than the autoscaler's scale-down-unneeded-time.
 */
const scenario = new URL('./scenarios/autoscaler-removes-replacement.json', import.meta.url);
const targetAmi = 'ami-0ccc0000000000003';
const annotation = 'cluster-autoscaler.kubernetes.io/scale-down-disabled';

async function run(options: SimulateOptions = {}, input: Record<string, number> = {}) {
  const loaded = await loadScenario(scenario);
  const given = loaded.execution.input as Record<string, string | number>;
  return simulate({ ...loaded, execution: { input: { ...given, ...input } } }, options);
}

const eventsOf = (report: SimulationReport, name: string) => report.timeline.filter((e) => e.event === name);
const replacementIds = (report: SimulationReport) =>
  new Set(report.instances.filter((i) => i.amiId === targetAmi).map((i) => i.instanceId));
/** Replacements the cluster-autoscaler removed. */
const removedReplacements = (report: SimulationReport) =>
  eventsOf(report, 'ClusterAutoscalerScaleDown').filter((e) =>
    replacementIds(report).has(String(e.detail.instanceId)),
  );

/** A world where the annotation never reaches a node (an admission policy strips it, say). */
const annotationStripped = (world: World) => {
  const patchNode = world.cluster.patchNode.bind(world.cluster);
  world.cluster.patchNode = (name, patch) => {
    const annotations = Object.fromEntries(
      Object.entries(patch.annotations ?? {}).filter(([key]) => key !== annotation),
    );
    return patchNode(name, { ...patch, annotations });
  };
};

describe('the cluster-autoscaler and the replacements', () => {
  it('leaves alone a replacement that sat empty past scale-down-unneeded-time: the rollout protects it', async () => {
    const report = await run();
    expect(report.status).toBe('SUCCEEDED');
    expect(removedReplacements(report)).toEqual([]);
    // Some replacement held only its DaemonSet pod for longer than 600 s after joining.
    const joined = new Map(eventsOf(report, 'NodeRegistered').map((e) => [String(e.detail.node), e.t]));
    const firstWebPod = new Map<string, number>();
    for (const e of eventsOf(report, 'PodScheduled')) {
      const node = String(e.detail.node);
      if (String(e.detail.pod).startsWith('shop/web-') && !firstWebPod.has(node)) firstWebPod.set(node, e.t);
    }
    const emptyFor = [...firstWebPod].map(([node, t]) => t - (joined.get(node) ?? t));
    expect(Math.max(...emptyFor)).toBeGreaterThan(600);
  });

  it('without the annotation, loses replacements to it, asks for each again and still succeeds', async () => {
    const report = await run({ onWorld: annotationStripped });
    expect(removedReplacements(report).length).toBeGreaterThan(0);
    expect(report.status).toBe('SUCCEEDED');
    expect(Object.values(report.invariants).every((count) => count === 0)).toBe(true);
    const target = report.instances.filter((i) => i.state === 'running' && i.amiId === targetAmi);
    expect(target).toHaveLength(4);
  });

  it('says the group lost them when replacements keep vanishing until the deadline', async () => {
    // Something removes every replacement as soon as its node joins, once the first batch is done.
    const removeOnJoin = (world: World) => {
      world.timeline.subscribe((event) => {
        if (event.event !== 'NodeRegistered' || event.t < 1000) return;
        const instance = world.ec2.instances.get(String(event.detail.instanceId));
        if (instance?.imageId !== targetAmi) return;
        world.scheduler.after(1, () => world.autoScaling.terminateInstance(instance.id, true));
      });
    };
    const report = await run({ onWorld: removeOnJoin }, { readyTimeoutSeconds: 1200 });
    expect(report.error?.name).toBe('ReplacementNotReady');
    expect(report.error?.cause).toMatch(/^The Auto Scaling group lost \d+ replacement\(s\) during the wait/);
    expect(report.error?.cause).not.toContain('bootstrap');
  });
});

describe('the cluster-autoscaler and the old nodes', () => {
  it('may remove old nodes that hold no pods before their batch comes: the rest is replaced', async () => {
    const file = new URL('./scenarios/autoscaler-removes-empty-old-nodes.json', import.meta.url);
    const report = await simulate(await loadScenario(file));
    const removedOld = eventsOf(report, 'ClusterAutoscalerScaleDown').filter(
      (e) => !replacementIds(report).has(String(e.detail.instanceId)),
    );
    expect(removedOld.length).toBeGreaterThanOrEqual(2);
    expect(report.status).toBe('SUCCEEDED');
    const running = report.instances.filter((i) => i.nodeGroup === 'win-a' && i.state === 'running');
    expect(running.length).toBeGreaterThanOrEqual(2);
    expect(running.every((i) => i.amiId === targetAmi)).toBe(true);
    expect(report.invariants).toEqual(Object.fromEntries(Object.keys(report.invariants).map((k) => [k, 0])));
    // One replacement per old node the rollout drained, none for those the autoscaler removed (was 3 more).
    const launched = eventsOf(report, 'InstanceLaunched').filter((e) => e.detail.group === 'win-a');
    expect(launched).toHaveLength(eventsOf(report, 'NodeCordoned').length);
    expect(removedReplacements(report)).toEqual([]);
    expect(report.metrics.peakExtraInstances).toBeLessThanOrEqual(2);
  });
});

describe('the cluster-autoscaler and a managed node group', () => {
  it("lets EKS's update go on when the autoscaler already removed a node it was about to terminate", async () => {
    const file = new URL('./scenarios/managed-node-creation-failure.json', import.meta.url);
    const loaded = await loadScenario(file);
    const report = await simulate({
      ...loaded,
      cluster: { ...loaded.cluster, autoscaler: { scaleDownUnneededSeconds: 600 } },
    });
    expect(eventsOf(report, 'ClusterAutoscalerScaleDown').length).toBeGreaterThan(0);
    expect({ status: report.status, errorName: report.error?.name }).toEqual(loaded.expect);
  });
});
