import { describe, expect, it } from 'vitest';
import type { NodeRecord, PodRecord } from '../../simulator/world/cluster.ts';
import {
  isEmptyForScaleDown,
  nodesNeeded,
  scaleDownUnreadySeconds,
  toBeDeletedTaint,
  unneededThresholdSeconds,
} from '../../simulator/world/cluster-autoscaler.ts';
import type { World } from '../../simulator/world.ts';
import { named, type ScenarioDocument, scenarioProblems, windowsNodes, worldOf } from './world-fixture.ts';

/** The fixture with the cluster-autoscaler running on win-a (and the managed Linux group, tagged by EKS). */
const withAutoscaler =
  (change: (document: ScenarioDocument) => void = () => undefined) =>
  (document: ScenarioDocument) => {
    document.cluster.autoscaler = { scaleDownUnneededSeconds: 600 };
    named(document.nodeGroups, 'win-a').clusterAutoscaler = true;
    change(document);
  };

const group = (world: World) => world.autoScaling.group('win-a');
const eventsOf = (world: World, name: string) => world.timeline.events.filter((e) => e.event === name);

/** One more win-a instance from outside: its node joins and, with nothing Pending, holds only DaemonSet pods. */
function scaleOutByOne(world: World, advance: (seconds: number) => void): NodeRecord {
  const before = new Set(windowsNodes(world).map((node) => node.name));
  world.autoScaling.setDesiredCapacity('win-a', group(world).desiredCapacity + 1);
  advance(430);
  const joined = windowsNodes(world).find((node) => !before.has(node.name));
  if (joined === undefined) throw new Error('no node joined');
  return joined;
}

describe('cluster-autoscaler scale-down', () => {
  it('removes an empty node of a tagged group once unneeded for scaleDownUnneededSeconds, desired decremented', () => {
    const { world, advance, elapsed } = worldOf(withAutoscaler());
    const empty = scaleOutByOne(world, advance);
    const registeredAt = eventsOf(world, 'NodeRegistered').at(-1)?.t ?? Number.NaN;
    expect(group(world).desiredCapacity).toBe(4);
    advance(registeredAt + 590 - elapsed());
    expect(eventsOf(world, 'ClusterAutoscalerScaleDown')).toEqual([]);
    advance(30);
    const [removal] = eventsOf(world, 'ClusterAutoscalerScaleDown');
    expect(removal?.detail).toMatchObject({ node: empty.name, instanceId: empty.instanceId, group: 'win-a' });
    // Unneeded from its first scan after registering; a scan every 10 s.
    expect(removal?.t).toBeGreaterThanOrEqual(registeredAt + 600);
    expect(removal?.t).toBeLessThanOrEqual(registeredAt + 600 + 10);
    expect(world.ec2.instances.get(empty.instanceId)?.state).not.toBe('running');
    expect(group(world).desiredCapacity).toBe(3);
    const terminated = eventsOf(world, 'AutoScalingGroupUpdated').at(-1);
    expect(terminated?.detail).toMatchObject({
      action: 'TerminateInstanceInAutoScalingGroup',
      instanceId: empty.instanceId,
      desiredCapacity: 3,
    });
    // Tainted first, terminated 5 s later.
    expect((terminated?.t ?? 0) - (removal?.t ?? 0)).toBe(5);
    expect(eventsOf(world, 'NodeTainted').at(-1)?.detail.taints).toEqual([
      expect.objectContaining({ key: toBeDeletedTaint, effect: 'NoSchedule' }),
    ]);
    // The nodes with workload pods stay.
    expect(eventsOf(world, 'ClusterAutoscalerScaleDown')).toHaveLength(1);
  });

  it('never removes a node annotated scale-down-disabled, and removes it once the annotation is gone', () => {
    const { world, advance } = worldOf(withAutoscaler());
    const empty = scaleOutByOne(world, advance);
    const annotation = 'cluster-autoscaler.kubernetes.io/scale-down-disabled';
    world.cluster.patchNode(empty.name, { annotations: { [annotation]: 'true' } });
    advance(3 * 3600);
    expect(eventsOf(world, 'ClusterAutoscalerScaleDown')).toEqual([]);
    world.cluster.patchNode(empty.name, { annotations: { [annotation]: null } });
    advance(590);
    expect(eventsOf(world, 'ClusterAutoscalerScaleDown')).toEqual([]);
    advance(20);
    expect(eventsOf(world, 'ClusterAutoscalerScaleDown')).toHaveLength(1);
  });

  it('removes a cordoned empty node as any other', () => {
    const { world, advance } = worldOf(withAutoscaler());
    const empty = scaleOutByOne(world, advance);
    world.cluster.patchNode(empty.name, { unschedulable: true });
    advance(700);
    expect(eventsOf(world, 'ClusterAutoscalerScaleDown').map((e) => e.detail.node)).toEqual([empty.name]);
  });

  it('takes its taint off when the termination is refused, and tries again later', () => {
    const { world, advance } = worldOf(withAutoscaler());
    const empty = scaleOutByOne(world, advance);
    while (eventsOf(world, 'ClusterAutoscalerScaleDown').length === 0) advance(1);
    // Someone raises the minimum while the node is tainted: terminating with decrement is refused.
    world.autoScaling.update('win-a', { minSize: 4 });
    advance(5);
    const [failure] = eventsOf(world, 'ClusterAutoscalerScaleDownFailed');
    expect(failure?.detail.reason).toContain('min size constraint');
    expect(world.cluster.nodes.get(empty.name)?.taints).toEqual([]);
    // Unneeded again from the next loop, it goes once unneeded for the whole time again.
    world.autoScaling.update('win-a', { minSize: 2 });
    advance(590);
    expect(eventsOf(world, 'ClusterAutoscalerScaleDown')).toHaveLength(1);
    advance(30);
    expect(eventsOf(world, 'ClusterAutoscalerScaleDown')).toHaveLength(2);
  });

  it('removes at most 10 empty nodes at once', () => {
    const { world, advance } = worldOf(
      withAutoscaler((document) => {
        named(document.nodeGroups, 'win-a').maxSize = 20;
      }),
    );
    world.autoScaling.setDesiredCapacity('win-a', 15);
    advance(430 + 600);
    const removals = eventsOf(world, 'ClusterAutoscalerScaleDown');
    const first = removals[0]?.t ?? Number.NaN;
    expect(removals.filter((e) => e.t === first)).toHaveLength(10);
    advance(60);
    expect(eventsOf(world, 'ClusterAutoscalerScaleDown')).toHaveLength(12);
    expect(group(world).desiredCapacity).toBe(3);
  });

  it('leaves a group at its minimum size', () => {
    const { world, advance } = worldOf(withAutoscaler());
    scaleOutByOne(world, advance);
    world.autoScaling.update('win-a', { minSize: 4 });
    advance(3 * 3600);
    expect(eventsOf(world, 'ClusterAutoscalerScaleDown')).toEqual([]);
    expect(group(world).desiredCapacity).toBe(4);
  });

  it('leaves the groups without the discovery tags, and does nothing without cluster.autoscaler', () => {
    for (const change of [
      (document: ScenarioDocument) => {
        document.cluster.autoscaler = {};
      },
      (document: ScenarioDocument) => {
        named(document.nodeGroups, 'win-a').clusterAutoscaler = true;
      },
    ]) {
      const { world, advance } = worldOf(change);
      scaleOutByOne(world, advance);
      advance(3 * 3600);
      expect(eventsOf(world, 'ClusterAutoscalerScaleDown')).toEqual([]);
      expect(group(world).desiredCapacity).toBe(4);
    }
  });

  it('keeps a node with a workload pod', () => {
    const { world, advance } = worldOf(withAutoscaler());
    advance(3 * 3600);
    // Every starting node holds web or ledger pods.
    expect(eventsOf(world, 'ClusterAutoscalerScaleDown')).toEqual([]);
    expect(group(world).desiredCapacity).toBe(3);
  });

  it('keeps a node with a bare pod until the pod is Succeeded', () => {
    const { world, advance } = worldOf(withAutoscaler());
    const empty = scaleOutByOne(world, advance);
    const bare = (name: string, image: string) =>
      world.cluster.barePods.create({
        namespace: 'default',
        name,
        labels: {},
        nodeName: empty.name,
        activeDeadlineSeconds: undefined,
        containers: [{ name: 'pull', image, command: undefined, args: undefined }],
      });
    bare('prepull', 'example.com/never-published:1.0');
    advance(3600);
    expect(eventsOf(world, 'ClusterAutoscalerScaleDown')).toEqual([]);
    world.cluster.barePods.delete('default', 'prepull', 0);
    bare('prepull-2', 'fluent/fluentd:windows');
    advance(620);
    expect(eventsOf(world, 'ClusterAutoscalerScaleDown').map((event) => event.detail.node)).toEqual([
      empty.name,
    ]);
  });

  it('tags the group for auto-discovery as the AWS provider reads it', () => {
    const { world } = worldOf(withAutoscaler());
    const keys = group(world).tags.map((tag) => `${tag.key}=${tag.value}`);
    expect(keys).toEqual(
      expect.arrayContaining([
        'k8s.io/cluster-autoscaler/enabled=true',
        'k8s.io/cluster-autoscaler/prod=owned',
      ]),
    );
  });
});

describe('cluster-autoscaler scale-up', () => {
  it('raises desired for Pending pods by the nodes they fill, counting those on their way, up to the max', () => {
    const { world, advance } = worldOf(withAutoscaler());
    // 3 nodes of 8 pods hold 24; web at 30 leaves 12 Pending; a new node takes 7 besides its DaemonSet pod.
    world.cluster.scaleWorkload('web', 30);
    advance(10);
    const [scaleUp] = eventsOf(world, 'ClusterAutoscalerScaledUp');
    expect(scaleUp?.detail).toMatchObject({ group: 'win-a', from: 3, to: 5, pendingPods: 12 });
    // The nodes on their way count: no second scale-up for the same pods.
    advance(60);
    expect(eventsOf(world, 'ClusterAutoscalerScaledUp')).toHaveLength(1);
    expect(group(world).desiredCapacity).toBe(5);
    world.cluster.scaleWorkload('web', 80);
    advance(10);
    expect(group(world).desiredCapacity).toBe(6);
  });

  it('scales down no sooner than scale-down-delay-after-add after its own scale-up', () => {
    const { world, advance } = worldOf(withAutoscaler());
    const empty = scaleOutByOne(world, advance);
    // Unneeded for 9 minutes, then a scale-up for other pods pauses scale-down for 10.
    advance(540 - 430 + 375);
    world.cluster.scaleWorkload('web', 30);
    advance(10);
    expect(eventsOf(world, 'ClusterAutoscalerScaledUp')).toHaveLength(1);
    world.cluster.scaleWorkload('web', 4);
    advance(300);
    expect(eventsOf(world, 'ClusterAutoscalerScaleDown').map((e) => e.detail.node)).not.toContain(empty.name);
  });
});

describe('cluster-autoscaler decisions', () => {
  const pod = (kind: string, deletionSecondsAgo?: number, grace = 30): PodRecord =>
    ({
      workload: { spec: { kind, terminationGracePeriodSeconds: grace } },
      deletionTimestamp: deletionSecondsAgo === undefined ? undefined : 1_000_000 - deletionSecondsAgo * 1000,
    }) as unknown as PodRecord;

  it.each([
    ['no pods', true, []],
    ['only DaemonSet pods', true, [pod('DaemonSet')]],
    ['a Deployment pod', false, [pod('DaemonSet'), pod('Deployment')]],
    ['a pod Terminating within its grace period + 30 s', false, [pod('Deployment', 50, 30)]],
    ['a pod Terminating past its grace period + 30 s', true, [pod('Deployment', 61, 30)]],
  ])('a node with %s is empty: %s', (_, empty, pods) => {
    expect(isEmptyForScaleDown(pods as PodRecord[], 1_000_000)).toBe(empty);
  });

  it('waits scale-down-unready-time (20 min) for a node that is not Ready', () => {
    const settings = { scaleDownUnneededSeconds: 600 };
    expect(unneededThresholdSeconds({ ready: 'True' } as NodeRecord, settings)).toBe(600);
    expect(unneededThresholdSeconds({ ready: 'Unknown' } as NodeRecord, settings)).toBe(
      scaleDownUnreadySeconds,
    );
    expect(scaleDownUnreadySeconds).toBe(1200);
  });

  it.each([
    [0, 7, 0, 0],
    [12, 7, 0, 2],
    [12, 7, 1, 1],
    [12, 7, 3, 0],
    [5, 0, 0, 0],
  ])('%i Pending pods, %i per new node, %i on the way: %i more nodes', (pending, per, upcoming, needed) => {
    expect(nodesNeeded(pending, per, upcoming)).toBe(needed);
  });
});

describe('scenario fields', () => {
  it('takes cluster.autoscaler with the default unneeded time and a group flag', () => {
    expect(scenarioProblems(withAutoscaler((document) => (document.cluster.autoscaler = {})))).toEqual([]);
  });

  it('names a bad field', () => {
    expect(
      scenarioProblems((document) => {
        document.cluster.autoscaler = { scaleDownUnneededSeconds: 0, scaleDownDelay: 1 };
        named(document.nodeGroups, 'win-a').clusterAutoscaler = 'yes';
      }),
    ).toEqual([
      'cluster.autoscaler.scaleDownUnneededSeconds: expected at least 0',
      'cluster.autoscaler.scaleDownDelay: unknown field',
      'nodeGroups[0].clusterAutoscaler: expected a boolean',
    ]);
  });
});
