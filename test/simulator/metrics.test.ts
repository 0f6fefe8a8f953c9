import { SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { describe, expect, it } from 'vitest';
import { podsOf, windowsNodes, worldOf } from './world-fixture.ts';

describe('the report’s metrics, measured by the world', () => {
  it('counts the pods every list call returned', async () => {
    const { world, kubernetes } = worldOf();
    const all = await kubernetes.listPods(undefined);
    const [node] = windowsNodes(world);
    const onNode = await kubernetes.listPodsOnNode(node?.name ?? '');
    expect(all.length).toBeGreaterThan(onNode.length);
    expect(world.metrics.report().podsListed).toBe(all.length + onNode.length);
  });

  it('follows a replica across its pods: evicting a pod and then its successor is two evictions of one pod', async () => {
    const { world, kubernetes, advance } = worldOf();
    const [first, other] = podsOf(world, 'web');
    await kubernetes.evictPod('shop', first?.name ?? '');
    advance(600);
    const successor = podsOf(world, 'web').find((pod) => pod.lineage === first?.lineage && pod !== first);
    expect(successor?.name).not.toBe(first?.name);
    expect(world.metrics.report().evictionsPerPod).toBe(1);
    await kubernetes.evictPod('shop', successor?.name ?? '');
    expect(world.metrics.report().evictionsPerPod).toBe(2);
    advance(600);
    await kubernetes.evictPod('shop', other?.name ?? '');
    expect(world.metrics.report().evictionsPerPod).toBe(1.5);
  });

  it('sums the seconds each controller had fewer Ready pods than it wants', async () => {
    const { world, kubernetes, advance } = worldOf();
    const [pod] = podsOf(world, 'web');
    await kubernetes.evictPod('shop', pod?.name ?? '');
    advance(3600);
    const evictedAt = world.timeline.events.find((event) => event.event === 'PodEvicted')?.t ?? 0;
    const readyAt = world.timeline.events.find((event) => event.event === 'PodReady')?.t ?? 0;
    expect(readyAt).toBeGreaterThan(evictedAt);
    expect(world.metrics.report().unavailablePodSeconds).toBe(Math.round(readyAt - evictedAt));
  });

  it('keeps the fewest Ready, schedulable nodes of the target group', async () => {
    const { world, kubernetes } = worldOf();
    expect(world.metrics.report().minSchedulableReadyNodes).toBe(3);
    const [node] = windowsNodes(world);
    await kubernetes.patchNode(node?.name ?? '', { unschedulable: true });
    await kubernetes.patchNode(node?.name ?? '', { unschedulable: false });
    expect(world.metrics.report().minSchedulableReadyNodes).toBe(2);
  });

  it('keeps the peak of instances above the group’s size and bills instance-hours until the executions end', async () => {
    const { world, aws, advance } = worldOf();
    await aws.autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: 'win-a', DesiredCapacity: 5 }),
    );
    advance(3610);
    world.metrics.freeze();
    advance(7200);
    const { peakExtraInstances, instanceHours } = world.metrics.report();
    expect(peakExtraInstances).toBe(2);
    // Three instances for the whole hour and ten seconds, two launched 10 s in.
    expect(instanceHours).toBe(Math.round(((3 * 3610 + 2 * 3600) / 3600) * 100) / 100);
  });
});
