import {
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { describe, expect, it } from 'vitest';
import { named, pointWinAAtTargetVersion, targetAmi, windowsNodes, worldOf } from './world-fixture.ts';

const surge = (desired: number) =>
  new SetDesiredCapacityCommand({ AutoScalingGroupName: 'win-a', DesiredCapacity: desired });

async function group(aws: ReturnType<typeof worldOf>['aws'], name = 'win-a') {
  const { AutoScalingGroups } = await aws.autoScaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
  );
  return AutoScalingGroups?.[0];
}

describe('Auto Scaling groups', () => {
  it('carries the self-managed group by its name, tagged for the cluster and the patcher', async () => {
    const { aws } = worldOf();
    const winA = await group(aws);
    expect(winA).toMatchObject({
      MinSize: 2,
      MaxSize: 6,
      DesiredCapacity: 3,
      LaunchTemplate: { Version: '1' },
    });
    expect(winA?.Tags?.map((tag) => [tag.Key, tag.Value])).toEqual(
      expect.arrayContaining([
        ['kubernetes.io/cluster/prod', 'owned'],
        ['eks-windows-patcher/enabled', 'true'],
      ]),
    );
    expect(winA?.Instances?.map((instance) => instance.LifecycleState)).toEqual([
      'InService',
      'InService',
      'InService',
    ]);
  });

  it('launches into the least populated zone from the launch template version resolved at launch', async () => {
    const { world, aws, advance } = worldOf();
    await pointWinAAtTargetVersion({ world, aws });
    await aws.autoScaling.send(surge(4));
    advance(9);
    expect(world.ec2.instances.size).toBe(5);
    advance(1);
    const launched = [...world.ec2.instances.values()].at(-1);
    expect(launched).toMatchObject({ imageId: targetAmi, availabilityZone: 'us-east-1b', state: 'pending' });
    expect(launched?.launchTemplate?.version).toBe(2);
  });

  it('boots a new instance into a node that registers NotReady and turns Ready after the boot time', async () => {
    const { world, aws, advance, elapsed } = worldOf();
    await aws.autoScaling.send(surge(4));
    advance(10);
    const launched = [...world.ec2.instances.values()].at(-1);
    advance(374);
    expect(world.cluster.nodes.has(launched?.privateDnsName ?? '')).toBe(false);
    advance(1);
    expect(world.cluster.nodes.get(launched?.privateDnsName ?? '')?.ready).toBe('False');
    advance(44);
    expect(world.cluster.nodes.get(launched?.privateDnsName ?? '')?.ready).toBe('False');
    advance(1);
    expect(world.cluster.nodes.get(launched?.privateDnsName ?? '')?.ready).toBe('True');
    expect(elapsed()).toBe(430);
  });

  it('terminates through the group: desired decremented, shutting down, terminated, node gone', async () => {
    const { world, aws, advance } = worldOf();
    const [node] = windowsNodes(world);
    const instanceId = node?.instanceId ?? '';
    const { Activity } = await aws.autoScaling.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: instanceId,
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    expect(Activity).toMatchObject({
      StatusCode: 'InProgress',
      Description: `Terminating EC2 instance: ${instanceId}`,
    });
    expect((await group(aws))?.DesiredCapacity).toBe(2);
    expect(
      (await group(aws))?.Instances?.find((instance) => instance.InstanceId === instanceId)?.LifecycleState,
    ).toBe('Terminating');
    advance(60);
    expect(world.ec2.instances.get(instanceId)?.state).toBe('terminated');
    expect((await group(aws))?.Instances).toHaveLength(2);
    expect(world.cluster.nodes.has(node?.name ?? '')).toBe(true);
    advance(40);
    expect(world.cluster.nodes.has(node?.name ?? '')).toBe(false);
    advance(60);
    expect(world.ec2.instances.size).toBe(5);
  });

  it('replaces an instance terminated without decrement', async () => {
    const { world, aws, advance } = worldOf();
    const [node] = windowsNodes(world);
    await aws.autoScaling.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: node?.instanceId,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    advance(10);
    expect(world.ec2.instances.size).toBe(6);
  });

  it('scales in when desired drops: the busiest zone, instances off the current template version first', async () => {
    const { world, aws, advance } = worldOf();
    await aws.autoScaling.send(surge(2));
    advance(10);
    const victim = [...world.ec2.instances.values()].find((instance) => instance.state === 'shutting-down');
    expect(victim?.availabilityZone).toBe('us-east-1a');
  });

  describe('lifecycle hooks, as AWS documents them (lifecycle-hooks-overview.html)', () => {
    const withHooks = (hooks: { transition: string; completeAfterSeconds: number }[]) =>
      worldOf((document) => {
        Object.assign(named(document.nodeGroups as never, 'win-a'), { lifecycleHooks: hooks });
      });
    const stateOf = async (aws: ReturnType<typeof worldOf>['aws'], instanceId: string) =>
      (await group(aws))?.Instances?.find((i) => i.InstanceId === instanceId)?.LifecycleState;

    it('holds a launch in Pending:Wait until the action completes, its node joining meanwhile', async () => {
      const { world, aws, advance } = withHooks([{ transition: 'launching', completeAfterSeconds: 900 }]);
      await aws.autoScaling.send(surge(4));
      advance(10);
      const launched = [...world.ec2.instances.values()].find((i) => i.state === 'pending');
      advance(600);
      expect(await stateOf(aws, launched?.id ?? '')).toBe('Pending:Wait');
      expect(world.cluster.nodes.has(launched?.privateDnsName ?? '')).toBe(true);
      advance(300);
      expect(await stateOf(aws, launched?.id ?? '')).toBe('InService');
    });

    it('abandons a launch nobody completes at the heartbeat timeout (3600 s): the instance is terminated', async () => {
      const { world, aws, advance } = withHooks([{ transition: 'launching', completeAfterSeconds: 7200 }]);
      await aws.autoScaling.send(surge(4));
      advance(10);
      const launched = [...world.ec2.instances.values()].find((i) => i.state === 'pending');
      advance(3600);
      expect(world.ec2.instances.get(launched?.id ?? '')?.state).toBe('shutting-down');
    });

    it('holds a leaving instance in Terminating:Wait, running, before it shuts down', async () => {
      const { world, aws, advance } = withHooks([{ transition: 'terminating', completeAfterSeconds: 120 }]);
      const [node] = windowsNodes(world);
      const instanceId = node?.instanceId ?? '';
      await aws.autoScaling.send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: instanceId,
          ShouldDecrementDesiredCapacity: true,
        }),
      );
      advance(100);
      expect(await stateOf(aws, instanceId)).toBe('Terminating:Wait');
      expect(world.ec2.instances.get(instanceId)?.state).toBe('running');
      advance(30);
      expect(world.ec2.instances.get(instanceId)?.state).toBe('shutting-down');
      expect(await stateOf(aws, instanceId)).toBe('Terminating');
    });
  });

  describe('AZRebalance, as AWS documents it (ec2-auto-scaling-benefits.html#AutoScalingBehavior.Rebalancing)', () => {
    /** win-a with four instances, two per zone; two of zone a's leave with a decrement: zones 0 and 2. */
    async function unevenWorld(suspended: string[] = []) {
      const fixture = worldOf((document) => {
        const winA = named(document.nodeGroups as never, 'win-a');
        Object.assign(winA, { instances: 4, suspendedProcesses: suspended });
      });
      const zoneA = windowsNodes(fixture.world).filter(
        (node) => fixture.world.ec2.instances.get(node.instanceId)?.availabilityZone === 'us-east-1a',
      );
      for (const node of zoneA) {
        await fixture.aws.autoScaling.send(
          new TerminateInstanceInAutoScalingGroupCommand({
            InstanceId: node.instanceId,
            ShouldDecrementDesiredCapacity: true,
          }),
        );
      }
      return fixture;
    }
    const live = (world: ReturnType<typeof worldOf>['world']) =>
      [...world.ec2.instances.values()].filter(
        (instance) => instance.groupName === 'win-a' && ['pending', 'running'].includes(instance.state),
      );

    it('launches in the emptiest zone first, then terminates in the fullest once it runs, without a drain', async () => {
      const { world, advance } = await unevenWorld();
      advance(15);
      const rebalancing = world.timeline.events.filter((e) => e.event === 'AZRebalance');
      expect(rebalancing).toHaveLength(1);
      const launched = world.ec2.instances.get(String(rebalancing[0]?.detail.instanceId));
      expect([launched?.availabilityZone, launched?.state]).toEqual(['us-east-1a', 'pending']);
      // Above desired (2) while the new instance boots: nothing in zone b goes before it runs.
      expect(live(world)).toHaveLength(3);
      advance(600);
      expect(
        live(world)
          .map((i) => i.availabilityZone)
          .sort(),
      ).toEqual(['us-east-1a', 'us-east-1b']);
      expect(world.invariants.counts.podsDeletedWithoutEviction).toBeGreaterThan(0);
    });

    it.each([['AZRebalance'], ['Launch'], ['Terminate']])(
      'moves nothing while %s is suspended',
      async (process) => {
        const { world, advance } = await unevenWorld([process]);
        advance(600);
        expect(world.timeline.events.filter((e) => e.event === 'AZRebalance')).toEqual([]);
      },
    );
  });

  it.each([
    [
      'SetDesiredCapacity above max',
      surge(7),
      'New SetDesiredCapacity value 7 is above max value 6 for the AutoScalingGroup.',
    ],
    [
      'SetDesiredCapacity below min',
      surge(1),
      'New SetDesiredCapacity value 1 is below min value 2 for the AutoScalingGroup.',
    ],
    [
      'UpdateAutoScalingGroup with min above max',
      new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'win-a', MinSize: 5, MaxSize: 4 }),
      'Max bound, 4, must be greater than or equal to min bound, 5',
    ],
    [
      'UpdateAutoScalingGroup with desired above max',
      new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'win-a', DesiredCapacity: 9 }),
      'Desired capacity:9 must be between the specified min size:2 and max size:6',
    ],
    [
      'TerminateInstanceInAutoScalingGroup of an unknown instance',
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: 'i-0123456789abcdef0',
        ShouldDecrementDesiredCapacity: true,
      }),
      'Instance Id not found - No managed instance found for instance ID: i-0123456789abcdef0',
    ],
  ])('refuses %s with ValidationError', async (_, command, message) => {
    const { aws } = worldOf();
    // biome-ignore lint/suspicious/noExplicitAny: one table mixes the commands of the client.
    await expect(aws.autoScaling.send(command as any)).rejects.toMatchObject({
      name: 'ValidationError',
      message,
      $fault: 'client',
    });
  });

  it("refuses to terminate with decrement below the group's minimum", async () => {
    const { world, aws } = worldOf((document) => {
      named(document.nodeGroups, 'win-a').minSize = 3;
    });
    const [node] = windowsNodes(world);
    await expect(
      aws.autoScaling.send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: node?.instanceId,
          ShouldDecrementDesiredCapacity: true,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining(
        "Terminating instance without replacement will violate group's min size constraint",
      ),
    });
  });

  it('records failed launches (launchFailure) and retries until one succeeds', async () => {
    const { world, aws, advance } = worldOf((document) => {
      document.faults.push({ kind: 'launchFailure', times: 2 });
    });
    await aws.autoScaling.send(surge(4));
    advance(10 + 10 + 20);
    const { Activities = [] } = await aws.autoScaling.send(
      new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'win-a' }),
    );
    expect(Activities.map((activity) => activity.StatusCode)).toEqual(['Successful', 'Failed', 'Failed']);
    expect(Activities[1]?.StatusMessage).toContain('We currently do not have sufficient m5.large capacity');
    expect(world.ec2.instances.size).toBe(6);
  });

  it('boots target-AMI instances that register but never turn Ready (nodeNeverReady)', async () => {
    const { world, aws, advance } = worldOf((document) => {
      document.faults.push({ kind: 'nodeNeverReady' });
    });
    await pointWinAAtTargetVersion({ world, aws });
    await aws.autoScaling.send(surge(4));
    advance(3600);
    const launched = [...world.ec2.instances.values()].at(-1);
    expect(world.cluster.nodes.get(launched?.privateDnsName ?? '')?.ready).toBe('False');
  });
});
