import { describe, expect, it } from 'vitest';
import { benchScenario } from '../../bench/scenario.ts';
import { prePullAnnotation, prePullNamespace } from '../../functions/domain/pre-pull.ts';
import { simulate } from '../../simulator/runner.ts';
import type { Scenario } from '../../simulator/scenario.ts';
import type { World } from '../../simulator/world.ts';

/**
 * With the .NET image not cached in the AMI, each replacement is asked to pull the images of the pods
 * to move as soon as it is Ready (`prePullImages`, docs/safety.md), instead of when those pods land.
 */
const notCached = benchScenario({
  nodes: 20,
  batchSize: 4,
  bootSeconds: 420,
  jitterPercent: 20,
  imageCached: false,
});
const aspnet = 'mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022';

const withInput = (scenario: Scenario, input: Record<string, number | boolean>): Scenario => ({
  ...scenario,
  execution: {
    ...scenario.execution,
    input: { ...(scenario.execution.input as Record<string, number | boolean>), ...input },
  },
});

async function run(scenario: Scenario) {
  let world: World | undefined;
  const report = await simulate(scenario, { onWorld: (built) => (world = built) });
  if (world === undefined) throw new Error('no world');
  return { report, world };
}

const leftOver = (world: World) => ({
  pods: [...world.cluster.barePods.pods.values()].map((pod) => `${pod.namespace}/${pod.name}`),
  marked: [...world.cluster.nodes.values()]
    .filter((node) => node.annotations[prePullAnnotation] !== undefined)
    .map((node) => node.name),
});

describe('pre-pulling the images the AMI does not cache', () => {
  it('pulls on each replacement once it is Ready, shortens the rollout, and leaves nothing behind', async () => {
    // One simulation at a time: each owns the process's clock.
    const { report, world } = await run(notCached);
    const without = await run(withInput(notCached, { prePullImages: false }));
    expect(report.status).toBe('SUCCEEDED');
    expect(without.report.status).toBe('SUCCEEDED');
    expect(report.invariants).toEqual(without.report.invariants);
    expect(report.metrics.evictionsPerPod).toBe(1);

    const created = report.timeline.filter((event) => event.event === 'PodCreated');
    const replacements = report.instances.filter((i) => i.amiId === notCached.amis[0]?.id && i.nodeName);
    // One pod per replacement, in our namespace, each after its node turned Ready.
    expect(created.map((event) => event.detail.node).sort()).toEqual(
      replacements.map((i) => i.nodeName).sort(),
    );
    for (const event of created) {
      expect(String(event.detail.pod).startsWith(`${prePullNamespace}/`)).toBe(true);
      const ready = report.timeline.find(
        (e) => e.event === 'NodeReady' && e.detail.node === event.detail.node,
      );
      expect(ready?.t).toBeLessThanOrEqual(event.t);
    }
    // The image is pulled once per replacement either way; here mostly before a web pod needs it.
    const pulls = (r: typeof report) =>
      r.timeline.filter((e) => e.event === 'ImagePullStarted' && e.detail.image === aspnet).length;
    expect(pulls(report)).toBe(replacements.length);
    expect(report.simulatedSeconds).toBeLessThan(0.8 * without.report.simulatedSeconds);
    expect(report.metrics.unavailablePodSeconds).toBeLessThan(without.report.metrics.unavailablePodSeconds);

    expect(leftOver(world)).toEqual({ pods: [], marked: [] });
    expect(without.report.timeline.some((e) => e.event === 'PodCreated')).toBe(false);
  });

  it('none when the AMI caches every image the pods use: no pod, no call', async () => {
    const cached = benchScenario({ nodes: 4, batchSize: 1, imageCached: true });
    const everything = {
      ...cached,
      amis: cached.amis.map((ami) => ({
        ...ami,
        cachedImages: [...ami.cachedImages, ...cached.workloads.map((workload) => workload.image)],
      })),
    };
    const { report } = await run(everything);
    expect(report.status).toBe('SUCCEEDED');
    expect(report.timeline.some((e) => e.event === 'PodCreated')).toBe(false);
  });

  it('the rollback deletes the pre-pull pods and marks; it keeps only the replacements pods run on', async () => {
    const blocked = withInput(
      { ...notCached, faults: [{ kind: 'pdbNeverAllows' as const, workload: 'ledger' }] },
      { drainTimeoutSeconds: 600 },
    );
    const { report, world } = await run(blocked);
    expect([report.status, report.error?.name]).toEqual(['FAILED', 'DrainTimeout']);
    expect(report.timeline.some((e) => e.event === 'PodCreated')).toBe(true);
    expect(leftOver(world)).toEqual({ pods: [], marked: [] });
    // A pre-pull pod is no workload: a replacement that ran only one is removed like an empty one.
    const kept = report.instances.filter((i) => i.state === 'running' && i.amiId === notCached.amis[0]?.id);
    const workloadPods = (node: string) =>
      world.cluster.podsOn(node).filter((pod) => pod.workload.spec.kind !== 'DaemonSet').length;
    expect(kept.filter((i) => workloadPods(i.nodeName ?? '') === 0)).toEqual([]);
    expect(report.timeline.some((e) => e.event === 'InstanceTerminated')).toBe(true);
  });
});
