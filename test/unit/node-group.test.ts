import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { resolveNodeGroup } from '../../functions/adapters/node-group.ts';

const eks = mockClient(EKSClient);
const autoScaling = mockClient(AutoScalingClient);
const ec2 = mockClient(EC2Client);
const notFound = (message: string) => new ResourceNotFoundException({ message, $metadata: {} });

beforeEach(() => {
  eks.reset();
  autoScaling.reset();
  ec2.reset();
  autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  eks.on(DescribeNodegroupCommand).rejects(notFound('No node group found for name: win-z.'));
});

const resolve = (clusterName: string, nodeGroupName: string) =>
  resolveNodeGroup(
    eks as unknown as EKSClient,
    autoScaling as unknown as AutoScalingClient,
    ec2 as unknown as EC2Client,
    clusterName,
    nodeGroupName,
  );

describe('resolving the node group of an execution input', () => {
  it('names nodeGroupName as the fix when the cluster exists but the group does not', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { name: 'prod', version: '1.31' } });
    await expect(resolve('prod', 'win-z')).rejects.toMatchObject({
      name: 'NodeGroupNotFound',
      message: expect.stringContaining('check nodeGroupName'),
    });
  });

  it('refuses a Karpenter NodePool by name, saying how Karpenter rolls it instead', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { name: 'prod', version: '1.31' } });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-0abc' }] }] });
    await expect(resolve('prod', 'windows-pool')).rejects.toMatchObject({
      name: 'NodeGroupNotSupported',
      message: expect.stringMatching(/windows-pool is a Karpenter NodePool.*amiSelectorTerms.*drift/),
    });
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input.Filters).toEqual([
      { Name: 'tag:karpenter.sh/nodepool', Values: ['windows-pool'] },
      { Name: 'tag-key', Values: ['kubernetes.io/cluster/prod'] },
      { Name: 'instance-state-name', Values: ['pending', 'running'] },
    ]);
  });

  it('names clusterName as the fix when the cluster does not exist', async () => {
    eks.on(DescribeClusterCommand).rejects(notFound('No cluster found for name: staging.'));
    await expect(resolve('staging', 'win-a')).rejects.toMatchObject({
      name: 'NodeGroupNotFound',
      message: 'EKS cluster staging does not exist in this account and region: check clusterName.',
    });
  });
});
