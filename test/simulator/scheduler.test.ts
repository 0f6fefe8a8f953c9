import { SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { describe, expect, it } from 'vitest';
import { feasibleNodesToFind } from '../../simulator/world/scheduler.ts';
import { aspnet, podsOf, windowsNodes, worldOf } from './world-fixture.ts';

/** The fixture with a fourth, empty Windows node Ready (its AMI does not cache the web image). */
async function withEmptyNode() {
  const fixture = worldOf();
  const before = new Set(windowsNodes(fixture.world).map((node) => node.name));
  await fixture.aws.autoScaling.send(
    new SetDesiredCapacityCommand({ AutoScalingGroupName: 'win-a', DesiredCapacity: 4 }),
  );
  fixture.advance(600);
  const empty = windowsNodes(fixture.world).find((node) => !before.has(node.name));
  if (empty === undefined || empty.ready !== 'True') throw new Error('the fourth node did not join');
  const old = windowsNodes(fixture.world).filter((node) => before.has(node.name));
  /** Evicts a web pod and returns the node its successor was bound to. */
  const moveOneWebPod = async () => {
    const [pod] = podsOf(fixture.world, 'web');
    await fixture.kubernetes.evictPod('shop', pod?.name ?? '');
    fixture.advance(1);
    return podsOf(fixture.world, 'web').find(
      (candidate) => candidate.lineage === pod?.lineage && candidate !== pod,
    )?.nodeName;
  };
  return { ...fixture, empty, old, moveOneWebPod };
}

describe('the scheduler scores like kube-scheduler', () => {
  it('puts a pod on a node that already holds its image before an emptier node that would pull it', async () => {
    const { empty, old, moveOneWebPod } = await withEmptyNode();
    expect(empty.images.has(aspnet)).toBe(false);
    expect(old.every((node) => node.images.has(aspnet))).toBe(true);
    const node = await moveOneWebPod();
    expect(old.map((candidate) => candidate.name)).toContain(node);
  });

  it('weighs an untolerated PreferNoSchedule taint above everything else', async () => {
    const { kubernetes, empty, old, moveOneWebPod } = await withEmptyNode();
    for (const node of old) {
      await kubernetes.patchNode(node.name, {
        taints: [{ key: 'eks-windows-patcher/replacing', value: 'true', effect: 'PreferNoSchedule' }],
      });
    }
    expect(await moveOneWebPod()).toBe(empty.name);
    const rendered = await kubernetes.getNode(old[0]?.name ?? '');
    expect(rendered?.spec?.taints).toEqual([
      { key: 'eks-windows-patcher/replacing', value: 'true', effect: 'PreferNoSchedule' },
    ]);
  });

  it('still uses a PreferNoSchedule node when nothing else has room, and never a NoSchedule one', async () => {
    const { world, kubernetes, empty, old, moveOneWebPod } = await withEmptyNode();
    await kubernetes.patchNode(empty.name, { taints: [{ key: 'dedicated', effect: 'NoSchedule' }] });
    for (const node of old) {
      await kubernetes.patchNode(node.name, { taints: [{ key: 'soon-gone', effect: 'PreferNoSchedule' }] });
    }
    const node = await moveOneWebPod();
    expect(old.map((candidate) => candidate.name)).toContain(node);
    // A DaemonSet's pod tolerates every taint: the agent runs on the NoSchedule node too.
    const agents = podsOf(world, 'log-agent').filter((pod) => pod.nodeName === empty.name);
    expect(agents).toHaveLength(1);
  });

  it('replaces the taints as a list: an empty list removes them', async () => {
    const { world, kubernetes, old } = await withEmptyNode();
    const name = old[0]?.name ?? '';
    await kubernetes.patchNode(name, { taints: [{ key: 'a', effect: 'PreferNoSchedule' }] });
    await kubernetes.patchNode(name, { taints: [] });
    expect(world.cluster.nodes.get(name)?.taints).toEqual([]);
    expect((await kubernetes.getNode(name))?.spec?.taints).toBeUndefined();
  });
});

describe('how many nodes the scheduler looks at', () => {
  it("finds every node below 100, then kube-scheduler's default share (50 % less a point per 125 nodes, at least 5 % and 100 nodes)", () => {
    expect([50, 99, 100, 150, 1000, 2000, 10_000].map(feasibleNodesToFind)).toEqual([
      50, 99, 100, 100, 420, 680, 500,
    ]);
  });
});
