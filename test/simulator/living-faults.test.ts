import {
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { describe, expect, it } from 'vitest';
import { neverClearingFinalizer } from '../../simulator/world/finalizers.ts';
import { podsOf, scenarioProblems, windowsNodes, worldOf } from './world-fixture.ts';

const problemsOf = scenarioProblems;

describe('throttle faults with after', () => {
  it('lets the first `after` calls through, then refuses `times` calls, then answers again', async () => {
    const { kubernetes } = worldOf((document) => {
      document.faults.push({ kind: 'throttle', api: 'k8s:listPods', after: 2, times: 2 });
    });
    const outcomes: string[] = [];
    for (let call = 0; call < 5; call++) {
      outcomes.push(
        await kubernetes.listPods(undefined).then(
          () => 'ok',
          (error: Error) => error.name,
        ),
      );
    }
    expect(outcomes).toEqual(['ok', 'ok', 'KubernetesThrottled', 'KubernetesThrottled', 'ok']);
  });

  it('refuses the calls of two faults on one operation one after the other, as before', async () => {
    const { kubernetes } = worldOf((document) => {
      document.faults.push({ kind: 'throttle', api: 'k8s:getNode', times: 1 });
      document.faults.push({ kind: 'throttle', api: 'k8s:getNode', times: 1 });
    });
    const refused = async () =>
      kubernetes.getNode('none').then(
        () => false,
        () => true,
      );
    expect([await refused(), await refused(), await refused()]).toEqual([true, true, false]);
  });

  it('refuses a negative after, naming the field', () => {
    expect(
      problemsOf((document) => {
        document.faults.push({ kind: 'throttle', api: 'k8s:evict', times: 1, after: -1 });
      }),
    ).toEqual(['faults[0].after: expected at least 0']);
  });
});

describe('podStuckTerminating', () => {
  const stuck = (count: number) =>
    worldOf((document) => {
      document.faults.push({ kind: 'podStuckTerminating', workload: 'web', count });
    });

  it('keeps the first `count` pods asked to go Terminating for ever, the next ones go as usual', async () => {
    const { world, kubernetes, advance } = stuck(1);
    const [first, second] = podsOf(world, 'web');
    await kubernetes.evictPod('shop', first?.name ?? '');
    advance(24 * 3600);
    await kubernetes.evictPod('shop', second?.name ?? '');
    advance(60);
    const stillThere = await kubernetes.getPod('shop', first?.name ?? '');
    expect(stillThere?.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect(stillThere?.metadata?.finalizers).toEqual([neverClearingFinalizer]);
    expect(await kubernetes.getPod('shop', second?.name ?? '')).toBeUndefined();
    // The Deployment does not count a Terminating pod: it has its four replicas besides.
    const active = podsOf(world, 'web').filter((pod) => pod.deletionTimestamp === undefined);
    expect(active).toHaveLength(4);
    expect(world.timeline.events.filter((event) => event.event === 'PodStuckTerminating')).toHaveLength(1);
  });

  it('stays after its node is gone, and a plain delete does not finish it either', async () => {
    const { world, aws, kubernetes, advance } = stuck(1);
    const [pod] = podsOf(world, 'web');
    const node = windowsNodes(world).find((candidate) => candidate.name === pod?.nodeName);
    await kubernetes.evictPod('shop', pod?.name ?? '');
    await kubernetes.deletePod('shop', pod?.name ?? '', 0);
    await aws.autoScaling.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: node?.instanceId,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    advance(3600);
    expect(world.cluster.nodes.has(node?.name ?? '')).toBe(false);
    const listed = await kubernetes.listPods('shop');
    expect(listed.map((candidate) => candidate.metadata?.name)).toContain(pod?.name);
  });

  it('names the field of a workload that does not exist', () => {
    expect(
      problemsOf((document) => {
        document.faults.push({ kind: 'podStuckTerminating', workload: 'nope', count: 1 });
      }),
    ).toEqual(['faults[0].workload: no workload is named nope']);
  });
});

describe('timing.instanceBootJitterPercent', () => {
  /** Seconds from launch to NodeReady of each of four instances launched at once. */
  async function bootTimes(jitter: number, seed: number) {
    const { world, aws, advance, elapsed } = worldOf((document) => {
      document.seed = seed;
      document.timing.instanceBootJitterPercent = jitter;
    });
    const start = elapsed();
    await aws.autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: 'win-a', DesiredCapacity: 6 }),
    );
    advance(3600);
    const launched = new Map(
      world.timeline.events
        .filter((event) => event.event === 'InstanceLaunched')
        .map((event) => [event.detail.instanceId, event.t]),
    );
    expect(launched.size).toBe(3);
    return world.timeline.events
      .filter((event) => event.event === 'NodeReady' && launched.has(event.detail.instanceId))
      .map((event) => Math.round(event.t - (launched.get(event.detail.instanceId) ?? start)));
  }

  it('draws each boot within ± the percent, the same for the same seed', async () => {
    const plain = await bootTimes(0, 7);
    expect(plain).toEqual([420, 420, 420]);
    const jittered = await bootTimes(20, 7);
    expect(await bootTimes(20, 7)).toEqual(jittered);
    expect(new Set(jittered).size).toBeGreaterThan(1);
    for (const seconds of jittered) {
      expect(seconds).toBeGreaterThanOrEqual(336);
      expect(seconds).toBeLessThanOrEqual(504);
    }
    expect(await bootTimes(20, 8)).not.toEqual(jittered);
  });

  it('refuses a jitter above 90 %, naming the field', () => {
    expect(
      problemsOf((document) => {
        document.timing.instanceBootJitterPercent = 95;
      }),
    ).toEqual(['timing.instanceBootJitterPercent: expected at most 90']);
  });
});
