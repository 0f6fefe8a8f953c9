import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DescribeClusterCommand, DescribeNodegroupCommand, type EKSClient } from '@aws-sdk/client-eks';
import { NodeGroupNotFound, NodeGroupNotSupported } from '../commons/errors.ts';
import { describeGroup, type GroupState, groupsWithTagKey } from './autoscaling.ts';

/** Tags by which a self-managed node group's Auto Scaling group is known by its node group name. */
const nodeGroupNameTags = ['alpha.eksctl.io/nodegroup-name', 'eks:nodegroup-name'];

const isMissing = (error: unknown) => (error as Error).name === 'ResourceNotFoundException';

export async function clusterVersion(eks: EKSClient, clusterName: string): Promise<string> {
  try {
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: clusterName }));
    return cluster?.version ?? '';
  } catch (error) {
    if (isMissing(error)) {
      throw new NodeGroupNotFound(
        `EKS cluster ${clusterName} does not exist in this account and region: check clusterName.`,
      );
    }
    throw error;
  }
}

/**
 * The Auto Scaling group behind `nodeGroupName`. Managed node groups are refused: EKS owns their
 * group and rolls them itself (UpdateNodegroupVersion), which this service does not drive yet.
 */
export async function resolveNodeGroup(
  eks: EKSClient,
  autoScaling: AutoScalingClient,
  clusterName: string,
  nodeGroupName: string,
): Promise<GroupState> {
  try {
    await eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName: nodeGroupName }));
    throw new NodeGroupNotSupported(
      `Node group ${nodeGroupName} of cluster ${clusterName} is an EKS managed node group: EKS replaces its nodes itself; ` +
        'use a self-managed Windows node group (an Auto Scaling group) with this service.',
    );
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  const direct = await describeGroup(autoScaling, nodeGroupName);
  const clusterTag = `kubernetes.io/cluster/${clusterName}`;
  if (direct && clusterTag in direct.tags) return direct;
  const tagged = (await groupsWithTagKey(autoScaling, clusterTag)).find((group) =>
    nodeGroupNameTags.some((key) => group.tags[key] === nodeGroupName),
  );
  if (tagged) return tagged;
  // No such cluster at all: say so (clusterName is what to fix), not that the node group is missing.
  await clusterVersion(eks, clusterName);
  throw new NodeGroupNotFound(
    `No node group ${nodeGroupName} in cluster ${clusterName}: no managed node group of that name, and no Auto Scaling ` +
      `group named so (or tagged alpha.eksctl.io/nodegroup-name=${nodeGroupName}) with the tag ${clusterTag}; check nodeGroupName.`,
  );
}
