import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
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
const notFound = (message: string) => new ResourceNotFoundException({ message, $metadata: {} });

beforeEach(() => {
  eks.reset();
  autoScaling.reset();
  autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
  eks.on(DescribeNodegroupCommand).rejects(notFound('No node group found for name: win-z.'));
});

const resolve = (clusterName: string, nodeGroupName: string) =>
  resolveNodeGroup(
    eks as unknown as EKSClient,
    autoScaling as unknown as AutoScalingClient,
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

  it('names clusterName as the fix when the cluster does not exist', async () => {
    eks.on(DescribeClusterCommand).rejects(notFound('No cluster found for name: staging.'));
    await expect(resolve('staging', 'win-a')).rejects.toMatchObject({
      name: 'NodeGroupNotFound',
      message: 'EKS cluster staging does not exist in this account and region: check clusterName.',
    });
  });
});
