import { describe, expect, it } from 'vitest';
import { type SimulationReport, simulate } from '../../simulator/runner.ts';
import { loadScenario } from '../../simulator/scenario.ts';

const run = async (name: string): Promise<SimulationReport> =>
  simulate(await loadScenario(new URL(`./scenarios/${name}.json`, import.meta.url)));

const running = (report: SimulationReport) =>
  report.instances.filter((instance) => instance.nodeGroup === 'win-a' && instance.state === 'running');
const events = (report: SimulationReport, name: string) =>
  report.timeline.filter((event) => event.event === name);

describe('managed node groups, rolled through EKS by the real workflow', () => {
  it('moves a group with its own launch template to a new version: every node on the AMI, EKS untouched otherwise', async () => {
    const report = await run('managed-launch-template');
    expect(report.status).toBe('SUCCEEDED');
    expect(running(report)).toHaveLength(4);
    expect(running(report).every((instance) => instance.amiId === 'ami-0ddd0000000000004')).toBe(true);
    const [update, ...others] = events(report, 'NodegroupUpdateStarted');
    expect(others).toEqual([]);
    expect(update?.detail.params).toEqual([{ type: 'LaunchTemplateVersion', value: '2' }]);
    // The workflow never edits the group's Auto Scaling group itself: every change there is EKS's.
    const asgChanges = events(report, 'AutoScalingGroupUpdated').map((event) => event.detail.action);
    expect(new Set(asgChanges)).toEqual(
      new Set(['UpdateAutoScalingGroup', 'TerminateInstanceInAutoScalingGroup']),
    );
    expect(report.invariants.nonTargetNodesTouched).toBe(0);
  });

  it('stopped while EKS updates: the clean-up leaves EKS alone and counts the old nodes already gone', async () => {
    const report = await run('managed-stopped-mid-update');
    expect(report.status).toBe('ABORTED');
    const [notice, ...others] = report.notifications;
    expect(others).toEqual([]);
    // At 800 s EKS's surge is in and it has drained and terminated three of the four old nodes.
    const gone = events(report, 'AutoScalingGroupUpdated').filter(
      (event) => event.detail.action === 'TerminateInstanceInAutoScalingGroup' && event.t <= 800,
    );
    expect(gone).toHaveLength(3);
    expect(notice?.message).toContain('Nodes replaced: 3;');
    expect(notice?.message).toContain('nothing changed on managed node group win-a');
  });

  it("sets the input's updateConfig first, then rolls with it: MINIMAL adds no instance", async () => {
    const report = await run('managed-update-config');
    expect(report.status).toBe('SUCCEEDED');
    expect(running(report).every((instance) => instance.amiId === 'ami-0ddd0000000000004')).toBe(true);
    const updates = events(report, 'NodegroupUpdateStarted').map((event) => event.detail);
    expect(updates.map((update) => update.type)).toEqual(['ConfigUpdate', 'VersionUpdate']);
    expect(updates[0]?.params).toEqual([
      { type: 'MaxUnavailablePercentage', value: '50' },
      { type: 'UpdateStrategy', value: 'MINIMAL' },
    ]);
    expect(report.metrics.peakExtraInstances).toBe(0);
  });

  it('moves a group without a launch template to the release of the target AMI', async () => {
    const report = await run('managed-release-version');
    expect(report.status).toBe('SUCCEEDED');
    expect(running(report).every((instance) => instance.amiId === 'ami-0ccc0000000000003')).toBe(true);
    expect(events(report, 'NodegroupUpdateStarted')[0]?.detail.params).toEqual([
      { type: 'ReleaseVersion', value: '1.31-2026.11.12' },
    ]);
  });

  it("names EKS's NodeCreationFailure and its instances, and puts the group back on its previous version", async () => {
    const report = await run('managed-node-creation-failure');
    expect(report.error?.name).toBe('NodeCreationFailure');
    expect(report.error?.cause).toMatch(/Instances failed to join the kubernetes cluster \(i-/);
    const updates = events(report, 'NodegroupUpdateStarted').map((event) => event.detail.params);
    expect(updates).toEqual([
      [{ type: 'LaunchTemplateVersion', value: '2' }],
      [{ type: 'LaunchTemplateVersion', value: '1' }],
    ]);
    // The execution follows EKS's update back to its end before it fails.
    const [reverted] = events(report, 'NodegroupUpdateSucceeded');
    const [ended] = events(report, 'ExecutionFailed');
    expect(ended?.t).toBeGreaterThanOrEqual(reverted?.t ?? Number.POSITIVE_INFINITY);
    expect(running(report).every((instance) => instance.amiId === 'ami-0aaa0000000000001')).toBe(true);
  });

  it('says that EKS allows no way back to an earlier release when a group without a template fails', async () => {
    const report = await run('managed-release-no-way-back');
    expect(report.error?.name).toBe('NodeCreationFailure');
    expect(events(report, 'NodegroupUpdateStarted')).toHaveLength(1);
    expect(report.notifications.at(-1)?.message).toMatch(
      /node group left on release 1\.31-2026\.11\.12: EKS does not roll a node group back to an earlier AMI release/,
    );
  });

  it('refuses a custom AMI for a group without a launch template, saying how to get one, and changes nothing', async () => {
    const report = await run('managed-custom-ami-without-template');
    expect(report.error?.name).toBe('ManagedGroupNeedsLaunchTemplate');
    expect(report.error?.cause).toMatch(/create a managed node group from a launch template/);
    expect(events(report, 'NodegroupUpdateStarted')).toEqual([]);
  });
});
