import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, type EKSClient } from '@aws-sdk/client-eks';
import { NodeGroupNotFound, NodeGroupNotSupported } from '../commons/errors.ts';
import { managedNodeGroupAsgTag } from '../domain/targets.ts';
import { describeGroup, type GroupState, groupsWithTagKey } from './autoscaling.ts';
import { anyInstanceTagged } from './ec2.ts';
import { describeManagedNodegroup, type ManagedNodegroup } from './managed-node-group.ts';

/** Tags by which a self-managed node group's Auto Scaling group is known by its node group name. */
const nodeGroupNameTags = ['alpha.eksctl.io/nodegroup-name', 'eks:nodegroup-name'];
/** The tag Karpenter puts on the instances of a NodePool. */
const karpenterNodePoolTag = 'karpenter.sh/nodepool';

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
 * The Auto Scaling group behind `nodeGroupName`: a managed node group's (with what EKS records of
 * it: EKS rolls it, the rollout drives EKS), or a self-managed group's.
 */
export async function resolveNodeGroup(
  eks: EKSClient,
  autoScaling: AutoScalingClient,
  ec2: EC2Client,
  clusterName: string,
  nodeGroupName: string,
): Promise<GroupState & { managed?: ManagedNodegroup }> {
  const managed = await describeManagedNodegroup(eks, clusterName, nodeGroupName);
  if (managed) {
    const group = managed.autoScalingGroupName
      ? await describeGroup(autoScaling, managed.autoScalingGroupName)
      : undefined;
    if (!group) {
      throw new NodeGroupNotFound(
        `Managed node group ${nodeGroupName} of cluster ${clusterName} has no Auto Scaling group yet (status ${managed.status}): ` +
          'run the rollout again once EKS has created its nodes.',
      );
    }
    return lockedAsNodegroup(group, managed);
  }
  const direct = await describeGroup(autoScaling, nodeGroupName);
  const clusterTag = `kubernetes.io/cluster/${clusterName}`;
  // The Auto Scaling group of a managed node group, named directly: EKS owns it, so it is rolled as that group.
  const owner = direct?.tags[managedNodeGroupAsgTag];
  const ownerGroup = owner ? await describeManagedNodegroup(eks, clusterName, owner) : undefined;
  if (direct && ownerGroup) return lockedAsNodegroup(direct, ownerGroup);
  if (direct && clusterTag in direct.tags) return direct;
  const tagged = (await groupsWithTagKey(autoScaling, clusterTag)).find((group) =>
    nodeGroupNameTags.some((key) => group.tags[key] === nodeGroupName),
  );
  if (tagged) return tagged;
  // No such cluster at all: say so (clusterName is what to fix), not that the node group is missing.
  await clusterVersion(eks, clusterName);
  // Karpenter tags the instances of a NodePool `karpenter.sh/nodepool=<name>` and
  // `kubernetes.io/cluster/<cluster>=owned` (karpenter-provider-aws, "Tags" of EC2NodeClass).
  if (await anyInstanceTagged(ec2, { key: karpenterNodePoolTag, value: nodeGroupName }, clusterName)) {
    throw new NodeGroupNotSupported(
      `${nodeGroupName} is a Karpenter NodePool of cluster ${clusterName}, not a node group: Karpenter launches and replaces its ` +
        'nodes itself, with no Auto Scaling group or launch template to move. Roll it with Karpenter: put the AMI in its ' +
        "EC2NodeClass's amiSelectorTerms (e.g. id: ami-...) and let drift replace the nodes, paced by the NodePool's disruption budgets.",
    );
  }
  throw new NodeGroupNotFound(
    `No node group ${nodeGroupName} in cluster ${clusterName}: no managed node group of that name, and no Auto Scaling ` +
      `group named so (or tagged alpha.eksctl.io/nodegroup-name=${nodeGroupName}) with the tag ${clusterTag}; check nodeGroupName.`,
  );
}

/** A managed group is known (and locked) by its node group's ARN, however the input named it. */
function lockedAsNodegroup(group: GroupState, managed: ManagedNodegroup) {
  return { ...group, arn: managed.nodegroupArn ?? group.arn, managed };
}
