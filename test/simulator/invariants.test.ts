import {
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { describe, expect, it } from 'vitest';
import { podsOf, windowsNodes, worldOf } from './world-fixture.ts';

describe('invariants counted by the world', () => {
  it('starts with none broken', () => {
    const { world } = worldOf();
    expect(world.finalInvariants()).toEqual({
      pdbViolations: 0,
      podsDeletedWithoutEviction: 0,
      nonTargetNodesTouched: 0,
      cordonedNodesLeft: 0,
      capacityBelowMinimum: 0,
      processesLeftSuspended: 0,
      launchTemplateReferenceChanged: 0,
      concurrentRollouts: 0,
      waitsPastDeadline: 0,
    });
  });

  it('counts two executions that both changed a group while neither had ended, once per pair', () => {
    const { world } = worldOf();
    const change = (execution: string) =>
      world.actingFor.run(execution, () => world.touch('win-a', 'SetDesiredCapacity', 'win-a'));
    change('first');
    change('first');
    expect(world.finalInvariants().concurrentRollouts).toBe(0);
    change('second');
    change('second');
    expect(world.finalInvariants().concurrentRollouts).toBe(1);
    world.invariants.executionEnded('first');
    world.invariants.executionEnded('second');
    // A clean-up after the end acts for an ended execution; a later rollout overlaps nothing.
    change('first');
    change('third');
    expect(world.finalInvariants().concurrentRollouts).toBe(1);
  });

  it('counts pods lost with an undrained instance, and the PDB violations among them', async () => {
    const { world, aws } = worldOf();
    const node = windowsNodes(world).find((candidate) =>
      world.cluster.podsOn(candidate.name).some((pod) => pod.workload.spec.name === 'ledger'),
    );
    const pods = world.cluster
      .podsOn(node?.name ?? '')
      .filter((pod) => pod.workload.spec.kind !== 'DaemonSet');
    await aws.autoScaling.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: node?.instanceId,
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    const counts = world.finalInvariants();
    expect(counts.podsDeletedWithoutEviction).toBe(pods.length);
    // Each budget allows one disruption: the second pod of a workload on the node breaks it.
    const beyondBudget = (name: string) =>
      Math.max(0, pods.filter((pod) => pod.workload.spec.name === name).length - 1);
    expect(counts.pdbViolations).toBe(beyondBudget('web') + beyondBudget('ledger'));
  });

  it('counts a plain delete unless the execution asked for the PDB override, which it lists instead', async () => {
    const plain = worldOf();
    const [pod] = podsOf(plain.world, 'web');
    await plain.kubernetes.deletePod('shop', pod?.name ?? '');
    expect(plain.world.finalInvariants().podsDeletedWithoutEviction).toBe(1);

    const forced = worldOf((document) => {
      (document.execution.input as Record<string, unknown>).overridePdbAfterTimeout = true;
    });
    const [other] = podsOf(forced.world, 'web');
    await forced.kubernetes.deletePod('shop', other?.name ?? '');
    expect(forced.world.finalInvariants().podsDeletedWithoutEviction).toBe(0);
    expect(forced.world.invariants.forcedDeletions).toMatchObject([{ pod: `shop/${other?.name}` }]);
  });

  it('lists the budgets a forced delete overrode instead of counting a PDB violation', async () => {
    const forced = worldOf((document) => {
      (document.execution.input as Record<string, unknown>).overridePdbAfterTimeout = true;
    });
    const [first, second] = podsOf(forced.world, 'web');
    await forced.kubernetes.deletePod('shop', first?.name ?? '');
    await forced.kubernetes.deletePod('shop', second?.name ?? '');
    expect(forced.world.finalInvariants().pdbViolations).toBe(0);
    expect(forced.world.invariants.forcedDeletions.map((deletion) => deletion.budgets)).toEqual([
      [],
      ['shop/web'],
    ]);
  });

  it('counts every change to a node, instance or group outside the target group', async () => {
    const { world, aws, kubernetes } = worldOf();
    const linuxNode = [...world.cluster.nodes.values()].find((node) => node.groupName === 'linux');
    await kubernetes.patchNode(linuxNode?.name ?? '', { unschedulable: true });
    const [coredns] = podsOf(world, 'coredns');
    await kubernetes.evictPod('kube-system', coredns?.name ?? '');
    const linuxGroup = world.nodeGroup('linux').autoScalingGroupName;
    await aws.autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: linuxGroup, DesiredCapacity: 3 }),
    );
    await kubernetes.patchNode(windowsNodes(world)[0]?.name ?? '', { unschedulable: true });
    expect(world.finalInvariants().nonTargetNodesTouched).toBe(3);
  });

  it('counts each dip of the target group below its minimum of Ready nodes', async () => {
    const { world, aws, advance } = worldOf();
    await aws.autoScaling.send(
      new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'win-a', MinSize: 3 }),
    );
    const [node] = windowsNodes(world);
    await aws.autoScaling.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: node?.instanceId,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    advance(40);
    expect(world.finalInvariants().capacityBelowMinimum).toBe(1);
    advance(600);
    expect(world.finalInvariants().capacityBelowMinimum).toBe(1);
  });

  it('counts running nodes left cordoned', async () => {
    const { world, kubernetes } = worldOf();
    await kubernetes.patchNode(windowsNodes(world)[0]?.name ?? '', { unschedulable: true });
    expect(world.finalInvariants().cordonedNodesLeft).toBe(1);
  });
});
