import { describe, expect, it } from 'vitest';
import { scenarioReport } from './world-fixture.ts';

const oldAmi = 'ami-0aaa0000000000001';
const targetAmi = 'ami-0ccc0000000000003';

const reportOf = scenarioReport;

const group = async (name: string) => (await reportOf(name)).groups.find((g) => g.name === 'win-a');
const running = async (name: string) =>
  (await reportOf(name)).instances.filter((i) => i.nodeGroup === 'win-a' && i.state === 'running');

describe('each group form ends launching the target AMI after success, its old AMI after failure, its reference form kept', () => {
  it.each([
    ['template-fixed-since-failed-run', '3', targetAmi],
    ['template-latest', '$Latest', targetAmi],
    ['template-latest-rollback', '$Latest', oldAmi],
    ['template-default', '$Default', targetAmi],
    ['template-default-rollback', '$Default', oldAmi],
    ['template-ssm-alias', '2', targetAmi],
    ['template-ssm-alias-rollback', '1', oldAmi],
    ['mixed-instances', '2', targetAmi],
    ['zero-instances', '2', targetAmi],
    ['asg-name-differs', '2', targetAmi],
    ['launch-configuration', null, oldAmi],
    ['processes-suspended', '1', oldAmi],
    ['instance-refresh-in-progress', '1', oldAmi],
  ])('%s: reference %s, launching %s', async (name, launchTemplateReference, effectiveAmiId) => {
    expect(await group(name)).toMatchObject({ launchTemplateReference, effectiveAmiId });
    expect((await reportOf(name)).invariants.launchTemplateReferenceChanged).toBe(0);
  });

  it('does not reuse an earlier version that differs in more than the AMI: the operator’s fix is kept', async () => {
    const replacements = await running('template-fixed-since-failed-run');
    expect(replacements.map((i) => [i.amiId, i.instanceType, i.launchTemplateVersion])).toEqual(
      Array(3).fill([targetAmi, 'm5.large', 3]),
    );
  });

  it('keeps a MixedInstancesPolicy’s overrides: replacements take its first instance type', async () => {
    expect((await running('mixed-instances')).map((i) => i.instanceType)).toEqual(Array(3).fill('m5.xlarge'));
  });

  it('never passes a resolve:ssm: alias to an AMI API, and the rollback ends with the original error', async () => {
    const report = await reportOf('template-ssm-alias-rollback');
    expect(report.error?.name).toBe('ReplacementNotReady');
    expect(JSON.stringify(report.timeline)).not.toContain('InvalidAMIID.Malformed');
  });

  it('refuses before any change, naming the fix', async () => {
    for (const [name, fix] of [
      ['launch-configuration', 'Migrate the group to a launch template'],
      ['processes-suspended', 'aws autoscaling resume-processes'],
      ['instance-refresh-in-progress', 'cancel-instance-refresh'],
    ] as const) {
      const report = await reportOf(name);
      expect(report.error?.cause, name).toContain(fix);
      expect(
        report.timeline.filter((e) => /LaunchTemplateVersionCreated|ProcessesSuspended/.test(e.event)),
      ).toEqual([]);
    }
  });

  it('suspends AZRebalance for the rollout and resumes it at Finish, naming them in its tag', async () => {
    const report = await reportOf('az-rebalance');
    const events = report.timeline.map((e) => e.event);
    expect(events.filter((e) => /Processes(Suspended|Resumed)|AZRebalance/.test(e))).toEqual([
      'ProcessesSuspended',
      'ProcessesResumed',
    ]);
    expect((await group('az-rebalance'))?.suspendedProcesses).toEqual([]);
    expect(report.invariants.processesLeftSuspended).toBe(0);
  });

  it('evens three zones after uneven batches by moving a node drained, so AZRebalance resumed moves nothing', async () => {
    const report = await reportOf('az-rebalance-three-zones');
    expect(report.status).toBe('SUCCEEDED');
    const counts = Object.values((await group('az-rebalance-three-zones'))?.instancesPerZone ?? {});
    expect(counts).toEqual([2, 2, 2]);
    // Six replacements and one move (a seventh launch); Auto Scaling itself never rebalanced.
    expect(report.timeline.filter((e) => e.event === 'InstanceLaunched')).toHaveLength(7);
    expect(report.timeline.filter((e) => e.event === 'AZRebalance')).toEqual([]);
    expect((await group('az-rebalance-three-zones'))?.suspendedProcesses).toEqual([]);
    expect(report.invariants.podsDeletedWithoutEviction).toBe(0);
  });

  it.each([['stopped-mid-drain'], ['timed-out-mid-rollout']])(
    'resumes AZRebalance at the clean-up after %s',
    async (name) => {
      expect((await group(name))?.suspendedProcesses).toEqual([]);
    },
  );

  it('resumes AZRebalance at Rollback too', async () => {
    const report = await reportOf('template-latest-rollback');
    expect(report.timeline.filter((e) => e.event === 'ProcessesResumed')).toHaveLength(1);
    expect((await group('template-latest-rollback'))?.suspendedProcesses).toEqual([]);
  });

  it('never resumes a process someone else suspended', async () => {
    const report = await reportOf('az-rebalance-suspended-by-others');
    expect(report.status).toBe('SUCCEEDED');
    expect((await group('az-rebalance-suspended-by-others'))?.suspendedProcesses).toEqual([
      'AZRebalance',
      'ScheduledActions',
    ]);
    expect(report.timeline.filter((e) => /Processes(Suspended|Resumed)/.test(e.event))).toEqual([]);
  });
});
