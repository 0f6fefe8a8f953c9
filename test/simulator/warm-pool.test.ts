import {
  DescribeAutoScalingGroupsCommand,
  DescribeWarmPoolCommand,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { describe, expect, it } from 'vitest';
import type { SimulationReport } from '../../simulator/runner.ts';
import { named, pointWinAAtTargetVersion, scenarioReport, targetAmi, worldOf } from './world-fixture.ts';

const oldAmi = 'ami-0aaa0000000000001';

/** The fixture's win-a (3 instances, max 6) with a warm pool: max(2, 6 − 3) = 3 stopped instances. */
const pooledWorld = () =>
  worldOf((document) => Object.assign(named(document.nodeGroups, 'win-a'), { warmPool: { minSize: 2 } }));

async function pool(aws: ReturnType<typeof worldOf>['aws']) {
  const answer = await aws.autoScaling.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: 'win-a' }));
  return {
    configuration: answer.WarmPoolConfiguration,
    instances: (answer.Instances ?? []).map((i) => [
      i.InstanceId,
      i.LifecycleState,
      i.LaunchTemplate?.Version,
    ]),
  };
}

describe('warm pools, as Auto Scaling documents them', () => {
  it('keeps stopped instances beside the group, listed by DescribeWarmPool and not by DescribeAutoScalingGroups', async () => {
    const { world, aws } = pooledWorld();
    const { configuration, instances } = await pool(aws);
    expect(configuration).toMatchObject({ MinSize: 2, PoolState: 'Stopped' });
    expect(instances.map(([, state, version]) => [state, version])).toEqual(
      Array(3).fill(['Warmed:Stopped', '1']),
    );
    const { AutoScalingGroups } = await aws.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['win-a'] }),
    );
    expect(AutoScalingGroups?.[0]?.Instances).toHaveLength(3);
    expect(instances.map(([id]) => world.ec2.instances.get(id ?? '')?.state)).toEqual(
      Array(3).fill('stopped'),
    );
  });

  it('answers a group without a pool with no configuration and no instances', async () => {
    const { aws } = worldOf();
    expect(await pool(aws)).toEqual({ configuration: undefined, instances: [] });
  });

  it('leaves its instances as they were made when the template changes; a scale-out takes one of them first, and it starts faster than a cold boot', async () => {
    const { world, aws, advance } = pooledWorld();
    const before = await pool(aws);
    await pointWinAAtTargetVersion({ world, aws });
    expect((await pool(aws)).instances).toEqual(before.instances);
    await aws.autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: 'win-a', DesiredCapacity: 4 }),
    );
    advance(10);
    const taken = before.instances
      .map(([id]) => world.ec2.instances.get(id ?? ''))
      .find((i) => i?.state === 'pending');
    expect(taken).toMatchObject({ imageId: oldAmi, launchTemplate: { version: 1 } });
    advance(130);
    expect(world.cluster.nodes.get(taken?.privateDnsName ?? '')?.ready).toBe('True');
    // The pool's size is now max(MinSize 2, max 6 − desired 4) = 2: the two left are its size, none is made.
    const after = await pool(aws);
    expect(after.instances).toHaveLength(2);
    expect(after.instances.map(([, , version]) => version)).toEqual(['1', '1']);
  });

  it('refills from the CURRENT version when one of its instances is terminated, without touching desired', async () => {
    const { world, aws, advance } = pooledWorld();
    await pointWinAAtTargetVersion({ world, aws });
    const [first] = (await pool(aws)).instances;
    await aws.autoScaling.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: first?.[0],
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    advance(10);
    const refilling = await pool(aws);
    expect(refilling.instances.map(([, state, version]) => [state, version])).toEqual([
      ['Warmed:Terminating', '1'],
      ['Warmed:Stopped', '1'],
      ['Warmed:Stopped', '1'],
      ['Warmed:Pending', '2'],
    ]);
    advance(3600);
    const refilled = await pool(aws);
    expect(refilled.instances.map(([, state, version]) => [state, version])).toEqual([
      ['Warmed:Stopped', '1'],
      ['Warmed:Stopped', '1'],
      ['Warmed:Stopped', '2'],
    ]);
    expect(world.autoScaling.group('win-a').desiredCapacity).toBe(3);
    expect(world.ec2.instances.get(first?.[0] ?? '')?.state).toBe('terminated');
  });
});

const launches = (report: SimulationReport) =>
  report.timeline.filter((e) => e.event === 'InstanceLaunched' || e.event === 'WarmPoolInstanceLaunched');

describe('a rollout of a group with a warm pool', () => {
  it('brings every instance it launches, into the group or the pool, up on the target AMI, some of them from the pool', async () => {
    const report = await scenarioReport('warm-pool');
    expect(report.status).toBe('SUCCEEDED');
    expect(launches(report).map((e) => e.detail.amiId)).toEqual(launches(report).map(() => targetAmi));
    expect(launches(report).filter((e) => e.detail.fromWarmPool).length).toBeGreaterThan(0);
  });

  it('says in its plan what it does with the pool', async () => {
    const planned = (await scenarioReport('warm-pool')).timeline.find((e) => e.event === 'RolloutPlanned');
    expect(JSON.stringify(planned?.detail)).toContain(
      'warm pool (min size 2, 2 instance(s)): 2 instance(s) made from another AMI are terminated before the first surge',
    );
  });

  it.each([
    ['warm-pool', 'succeeds', targetAmi, 2],
    ['warm-pool-rollback', 'rolls back', oldAmi, 1],
    ['warm-pool-stopped', 'is stopped and cleaned up', oldAmi, 1],
  ])('%s %s: the group and its refilled pool end on %s (version %s)', async (name, _, amiId, version) => {
    const report = await scenarioReport(name);
    const [group] = report.groups;
    expect(group).toMatchObject({
      effectiveAmiId: amiId,
      launchTemplateReference: String(version),
      desired: 4,
    });
    expect(
      group?.warmPool?.instances.map((i) => [i.lifecycleState, i.amiId, i.launchTemplateVersion]),
    ).toEqual(Array(2).fill(['Warmed:Stopped', amiId, version]));
    expect(report.instances.filter((i) => i.state === 'running').map((i) => i.amiId)).toEqual(
      Array(4).fill(amiId),
    );
  });
});
