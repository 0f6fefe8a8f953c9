import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  ListNodegroupsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetParametersCommand } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { KubernetesThrottled } from '../../functions/commons/errors.ts';
import { notificationTopicArn } from '../../simulator/runner.ts';
import { named, targetAmi, windowsNodes, worldOf } from './world-fixture.ts';

describe('EC2', () => {
  it('describes Windows and Linux AMIs as EC2 does', async () => {
    const { aws } = worldOf();
    const { Images = [] } = await aws.ec2.send(
      new DescribeImagesCommand({ ImageIds: [targetAmi, 'ami-0bbb0000000000002'] }),
    );
    expect(Images[0]).toMatchObject({
      Platform: 'windows',
      PlatformDetails: 'Windows',
      Architecture: 'x86_64',
      State: 'available',
    });
    expect(Images[1]?.Platform).toBeUndefined();
    expect(Images[1]).toMatchObject({
      PlatformDetails: 'Linux/UNIX',
      Name: 'amazon-eks-node-al2023-x86_64-standard-1.31-v20261015',
    });
  });

  it('names the current Windows AMI with its build and Kubernetes version', async () => {
    const { aws } = worldOf();
    const { Images = [] } = await aws.ec2.send(
      new DescribeImagesCommand({ ImageIds: ['ami-0aaa0000000000001'] }),
    );
    expect(Images[0]?.Name).toBe('Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15');
    expect(Images[0]?.Tags).toBeUndefined();
  });

  it('tags an AMI whose name does not tell its Windows build and Kubernetes version', async () => {
    const { aws } = worldOf((document) => {
      document.amis.push({
        id: 'ami-0ddd0000000000004',
        name: 'golden-windows 2026-11-12',
        platform: 'windows',
        state: 'available',
        windowsBuild: '10.0.20348',
        kubernetesVersion: '1.31',
      });
    });
    const { Images = [] } = await aws.ec2.send(
      new DescribeImagesCommand({ ImageIds: ['ami-0ddd0000000000004'] }),
    );
    expect(Images[0]?.Tags).toEqual([
      { Key: 'eks-windows-patcher/windows-build', Value: '10.0.20348' },
      { Key: 'eks-windows-patcher/kubernetes-version', Value: '1.31' },
    ]);
  });

  it.each([
    ['ami-0123456789abcdef0', 'InvalidAMIID.NotFound'],
    ['ami-zzz', 'InvalidAMIID.Malformed'],
  ])('refuses %s with %s', async (id, code) => {
    const { aws } = worldOf();
    await expect(aws.ec2.send(new DescribeImagesCommand({ ImageIds: [id] }))).rejects.toMatchObject({
      name: code,
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('finds a group’s instances by tag and state, refusing filters it does not know', async () => {
    const { aws } = worldOf();
    const { Reservations = [] } = await aws.ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:aws:autoscaling:groupName', Values: ['win-a'] },
          { Name: 'instance-state-name', Values: ['running'] },
        ],
      }),
    );
    const instances = Reservations.flatMap((reservation) => reservation.Instances ?? []);
    expect(instances).toHaveLength(3);
    expect(instances[0]).toMatchObject({ Platform: 'windows', State: { Code: 16, Name: 'running' } });
    const launchTimes = instances.map((instance) => instance.LaunchTime?.getTime() ?? 0);
    expect([...launchTimes].sort((a, b) => a - b)).toEqual(launchTimes);
    await expect(
      aws.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'flavour', Values: ['x'] }] })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('lists launch template versions, resolving $Latest and $Default', async () => {
    const { world, aws } = worldOf();
    const template = [...world.ec2.launchTemplates.values()].find(
      (candidate) => candidate.groupName === 'win-a',
    );
    const { LaunchTemplateVersions = [] } = await aws.ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: template?.id,
        Versions: ['$Latest', '$Default'],
      }),
    );
    expect(LaunchTemplateVersions.map((version) => [version.VersionNumber, version.DefaultVersion])).toEqual([
      [1, true],
      [1, true],
    ]);
    expect(LaunchTemplateVersions[0]?.LaunchTemplateData?.ImageId).toBe('ami-0aaa0000000000001');
  });

  it('keeps the version an interrupted run left behind when nodes already run the target', async () => {
    const { world } = worldOf((document) => {
      named(document.nodeGroups, 'win-a').nodesAlreadyOnTarget = 1;
    });
    const template = [...world.ec2.launchTemplates.values()].find(
      (candidate) => candidate.groupName === 'win-a',
    );
    expect(template?.versions.map((version) => version.data.ImageId)).toEqual([
      'ami-0aaa0000000000001',
      targetAmi,
    ]);
    expect(
      [...world.ec2.instances.values()].filter((instance) => instance.imageId === targetAmi),
    ).toHaveLength(1);
  });
});

describe('EKS', () => {
  it('describes the cluster with its endpoint and certificate authority', async () => {
    const { aws } = worldOf();
    const { cluster } = await aws.eks.send(new DescribeClusterCommand({ name: 'prod' }));
    expect(cluster).toMatchObject({ version: '1.31', status: 'ACTIVE' });
    expect(cluster?.endpoint).toMatch(/^https:\/\/[0-9A-F]{32}\.gr7\.us-east-1\.eks\.amazonaws\.com$/);
    expect(Buffer.from(cluster?.certificateAuthority?.data ?? '', 'base64').toString()).toContain(
      'BEGIN CERTIFICATE',
    );
  });

  it('lists managed node groups only, with the Auto Scaling group EKS made for each', async () => {
    const { aws } = worldOf();
    const { nodegroups } = await aws.eks.send(new ListNodegroupsCommand({ clusterName: 'prod' }));
    expect(nodegroups).toEqual(['linux']);
    const { nodegroup } = await aws.eks.send(
      new DescribeNodegroupCommand({ clusterName: 'prod', nodegroupName: 'linux' }),
    );
    const asgName = nodegroup?.resources?.autoScalingGroups?.[0]?.name ?? '';
    expect(asgName).toMatch(/^eks-linux-[0-9a-f-]{36}$/);
    const { AutoScalingGroups = [] } = await aws.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName] }),
    );
    expect(AutoScalingGroups[0]?.Tags?.find((tag) => tag.Key === 'eks:nodegroup-name')?.Value).toBe('linux');
  });

  it('throws the modelled ResourceNotFoundException for a self-managed group or unknown cluster', async () => {
    const { aws } = worldOf();
    const missing = aws.eks.send(
      new DescribeNodegroupCommand({ clusterName: 'prod', nodegroupName: 'win-a' }),
    );
    await expect(missing).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(aws.eks.send(new DescribeClusterCommand({ name: 'staging' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'No cluster found for name: staging.',
    });
  });
});

describe('SSM and SNS', () => {
  it('answers the public latest-AMI parameters from the AMIs of the world', async () => {
    const { aws } = worldOf();
    const name =
      '/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id';
    const { Parameters, InvalidParameters } = await aws.ssm.send(
      new GetParametersCommand({ Names: [name, '/nope'] }),
    );
    expect(Parameters?.map((parameter) => parameter.Value)).toEqual([targetAmi]);
    expect(InvalidParameters).toEqual(['/nope']);
  });

  it('records notifications and refuses subjects SNS refuses', async () => {
    const { world, aws } = worldOf();
    await aws.sns.send(
      new PublishCommand({ TopicArn: notificationTopicArn, Subject: 'Rollout done', Message: 'ok' }),
    );
    expect(world.notifications).toMatchObject([{ subject: 'Rollout done', message: 'ok' }]);
    await expect(
      aws.sns.send(
        new PublishCommand({ TopicArn: notificationTopicArn, Subject: 'line\nbreak', Message: 'x' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('records events put on the default bus, fails a malformed entry alone, and refuses more than 10', async () => {
    const { world, aws } = worldOf();
    const entry = { Source: 'eks-windows-patcher', DetailType: 'Rollout Started', Detail: '{"eventId":"x"}' };
    const result = await aws.eventBridge.send(
      new PutEventsCommand({ Entries: [entry, { ...entry, Detail: 'not json' }] }),
    );
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[1]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    expect(world.busEvents).toMatchObject([
      { source: 'eks-windows-patcher', detailType: 'Rollout Started', detail: { eventId: 'x' } },
    ]);
    await expect(
      aws.eventBridge.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry) })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('what the simulator does not model', () => {
  it('fails loudly on an unmodelled operation and records it', async () => {
    const { world, aws } = worldOf();
    await expect(aws.ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1 }))).rejects.toThrow(
      'The simulator does not model ec2:RunInstances',
    );
    expect(world.simulatorGaps).toEqual(['ec2:RunInstances']);
  });

  it('fails loudly on a parameter it would otherwise ignore', async () => {
    const { aws } = worldOf();
    await expect(
      aws.ec2.send(new DescribeImagesCommand({ ImageIds: [targetAmi], DryRun: true })),
    ).rejects.toThrow('ec2:DescribeImages with DryRun');
  });
});

describe('throttle faults', () => {
  it('refuses the next calls of an AWS operation with its service’s throttling error', async () => {
    const { aws } = worldOf((document) => {
      document.faults.push({ kind: 'throttle', api: 'ec2:DescribeImages', times: 2 });
    });
    const describe = () => aws.ec2.send(new DescribeImagesCommand({ ImageIds: [targetAmi] }));
    for (let call = 0; call < 2; call++) {
      await expect(describe()).rejects.toMatchObject({
        name: 'RequestLimitExceeded',
        $fault: 'server',
        $metadata: { httpStatusCode: 503 },
      });
    }
    expect((await describe()).Images).toHaveLength(1);
  });

  it('throttles Kubernetes calls as KubernetesThrottled', async () => {
    const { world, kubernetes } = worldOf((document) => {
      document.faults.push({ kind: 'throttle', api: 'k8s:cordon', times: 1 });
    });
    const [node] = windowsNodes(world);
    await expect(kubernetes.patchNode(node?.name ?? '', { unschedulable: true })).rejects.toBeInstanceOf(
      KubernetesThrottled,
    );
    expect((await kubernetes.patchNode(node?.name ?? '', { unschedulable: true })).spec?.unschedulable).toBe(
      true,
    );
  });

  it('deregisters the target AMI after the given time (amiDeregistered)', async () => {
    const { aws, advance } = worldOf((document) => {
      document.faults.push({ kind: 'amiDeregistered', afterSeconds: 600 });
    });
    advance(600);
    const { Images = [] } = await aws.ec2.send(new DescribeImagesCommand({ ImageIds: [targetAmi] }));
    expect(Images[0]?.State).toBe('deregistered');
  });
});
