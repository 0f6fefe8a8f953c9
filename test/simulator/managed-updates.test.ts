import { CreateLaunchTemplateVersionCommand } from '@aws-sdk/client-ec2';
import {
  DescribeNodegroupCommand,
  DescribeUpdateCommand,
  UpdateNodegroupConfigCommand,
  UpdateNodegroupVersionCommand,
} from '@aws-sdk/client-eks';
import { describe, expect, it } from 'vitest';
import { named, type ScenarioDocument, targetAmi, worldOf } from './world-fixture.ts';

/** win-a as an EKS managed group: with a launch template of its own, or on an EKS-optimized AMI type. */
const managed =
  (withTemplate: boolean, more: (document: ScenarioDocument) => void = () => undefined) =>
  (document: ScenarioDocument) => {
    const group = named(document.nodeGroups, 'win-a');
    group.management = 'managed';
    group.instances = 4;
    if (withTemplate) group.launchTemplate = {};
    more(document);
  };

type Aws = ReturnType<typeof worldOf>['aws'];

async function nodegroup(aws: Aws) {
  const { nodegroup } = await aws.eks.send(
    new DescribeNodegroupCommand({ clusterName: 'prod', nodegroupName: 'win-a' }),
  );
  return nodegroup;
}

async function newTemplateVersion(aws: Aws, templateId: string): Promise<string> {
  const { LaunchTemplateVersion } = await aws.ec2.send(
    new CreateLaunchTemplateVersionCommand({
      LaunchTemplateId: templateId,
      SourceVersion: '1',
      LaunchTemplateData: { ImageId: targetAmi },
    }),
  );
  return String(LaunchTemplateVersion?.VersionNumber);
}

/** UpdateNodegroupVersion to a version of the group's launch template. */
async function rollTo(aws: Aws, templateId: string | undefined, version: string, token?: string) {
  const { update } = await aws.eks.send(
    new UpdateNodegroupVersionCommand({
      clusterName: 'prod',
      nodegroupName: 'win-a',
      launchTemplate: { id: templateId, version },
      clientRequestToken: token,
    }),
  );
  return update;
}

async function updateStatus(aws: Aws, updateId: string | undefined) {
  const { update } = await aws.eks.send(
    new DescribeUpdateCommand({ name: 'prod', nodegroupName: 'win-a', updateId }),
  );
  return update;
}

const liveGroupInstances = (world: ReturnType<typeof worldOf>['world']) =>
  [...world.ec2.instances.values()].filter(
    (instance) => instance.groupName === 'win-a' && instance.state !== 'terminated',
  );

describe('EKS managed node group updates', () => {
  it('describes a group with its own launch template: no release version, the template, no health issue', async () => {
    const { aws } = worldOf(managed(true));
    const group = await nodegroup(aws);
    expect(group?.launchTemplate).toMatchObject({ version: '1' });
    expect(group?.releaseVersion).toBeUndefined();
    expect(group?.amiType).toBe('CUSTOM');
    expect(group?.health?.issues).toEqual([]);
  });

  it('rolls every node to the launch template version through its phases, and restores the sizes', async () => {
    const { world, aws, advance } = worldOf(managed(true));
    const before = await nodegroup(aws);
    const version = await newTemplateVersion(aws, before?.launchTemplate?.id ?? '');
    const update = await rollTo(aws, before?.launchTemplate?.id, version, 'roll-1');
    expect(update?.status).toBe('InProgress');
    expect((await nodegroup(aws))?.status).toBe('UPDATING');
    // A repeated request with the same token is the same update; another one is refused meanwhile.
    const again = await rollTo(aws, before?.launchTemplate?.id, version, 'roll-1');
    expect(again?.id).toBe(update?.id);
    await expect(
      aws.eks.send(
        new UpdateNodegroupConfigCommand({
          clusterName: 'prod',
          nodegroupName: 'win-a',
          updateConfig: { maxUnavailable: 2 },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceInUseException' });
    advance(4 * 3600);
    expect((await updateStatus(aws, update?.id))?.status).toBe('Successful');
    const live = liveGroupInstances(world);
    expect(live).toHaveLength(4);
    expect(live.every((instance) => instance.imageId === targetAmi)).toBe(true);
    const asg = world.autoScaling.group(world.nodeGroup('win-a').autoScalingGroupName);
    expect({ desired: asg.desiredCapacity, max: asg.maxSize }).toEqual({ desired: 4, max: 6 });
    expect(world.finalInvariants()).toMatchObject({ pdbViolations: 0, podsDeletedWithoutEviction: 0 });
    // Scale up by max(2 x zones, maxUnavailable) = 4, before any node is cordoned.
    const events = world.timeline.events;
    const firstCordon = events.findIndex((event) => event.event === 'NodeCordoned');
    const launchedBefore = events.slice(0, firstCordon).filter((event) => event.event === 'InstanceLaunched');
    expect(launchedBefore).toHaveLength(4);
    expect((await nodegroup(aws))?.launchTemplate?.version).toBe(version);
  });

  it('fails with PodEvictionFailure naming the node and the pods when a PDB never allows for 15 minutes', async () => {
    const { world, aws, advance } = worldOf(
      managed(true, (document) => document.faults.push({ kind: 'pdbNeverAllows', workload: 'web' })),
    );
    const before = await nodegroup(aws);
    const version = await newTemplateVersion(aws, before?.launchTemplate?.id ?? '');
    const update = await rollTo(aws, before?.launchTemplate?.id, version);
    advance(2 * 3600);
    const failed = await updateStatus(aws, update?.id);
    expect(failed?.status).toBe('Failed');
    expect(failed?.errors?.[0]).toMatchObject({ errorCode: 'PodEvictionFailure' });
    expect(failed?.errors?.[0]?.errorMessage).toMatch(/Reached max retries.*shop\/web-/);
    expect(world.finalInvariants().pdbViolations).toBe(0);
    // EKS undoes nothing: the node it was draining stays cordoned.
    const node = world.cluster.nodes.get(failed?.errors?.[0]?.resourceIds?.[0] ?? '');
    expect(node?.unschedulable).toBe(true);
  });

  it('fails with NodeCreationFailure when the new nodes do not turn Ready within 15 minutes', async () => {
    const { aws, advance } = worldOf(
      managed(true, (document) => document.faults.push({ kind: 'nodeNeverReady' })),
    );
    const before = await nodegroup(aws);
    const version = await newTemplateVersion(aws, before?.launchTemplate?.id ?? '');
    const update = await rollTo(aws, before?.launchTemplate?.id, version);
    advance(15 * 60 + 30);
    const failed = await updateStatus(aws, update?.id);
    expect(failed?.errors?.[0]).toMatchObject({ errorCode: 'NodeCreationFailure' });
    expect(failed?.errors?.[0]?.resourceIds).toHaveLength(4);
  });

  it('moves a group without a launch template to a newer release, and refuses an earlier one', async () => {
    const { world, aws, advance } = worldOf(managed(false));
    expect((await nodegroup(aws))?.releaseVersion).toBe('1.31-2026.10.15');
    expect((await nodegroup(aws))?.amiType).toBe('WINDOWS_CORE_2022_x86_64');
    await expect(
      aws.eks.send(
        new UpdateNodegroupVersionCommand({
          clusterName: 'prod',
          nodegroupName: 'win-a',
          releaseVersion: '1.31-2026.09.10',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    const { update } = await aws.eks.send(
      new UpdateNodegroupVersionCommand({
        clusterName: 'prod',
        nodegroupName: 'win-a',
        releaseVersion: '1.31-2026.11.12',
      }),
    );
    advance(4 * 3600);
    expect((await updateStatus(aws, update?.id))?.status).toBe('Successful');
    expect(liveGroupInstances(world).every((instance) => instance.imageId === targetAmi)).toBe(true);
    expect((await nodegroup(aws))?.releaseVersion).toBe('1.31-2026.11.12');
  });

  it('reports a health issue when the Auto Scaling group is pointed at another version behind EKS', async () => {
    const { world, aws } = worldOf(managed(true));
    const asg = world.autoScaling.group(world.nodeGroup('win-a').autoScalingGroupName);
    const template = asg.launchTemplate;
    if (template === undefined) throw new Error('a managed group launches from a template');
    const version = await newTemplateVersion(aws, template.id);
    world.autoScaling.update(asg.name, { launchTemplate: { ...template, version } });
    expect((await nodegroup(aws))?.health?.issues?.[0]).toMatchObject({
      code: 'Ec2LaunchTemplateVersionMismatch',
    });
  });
});
