import type {
  AMITypes,
  DescribeClusterCommandInput,
  DescribeClusterCommandOutput,
  DescribeNodegroupCommandInput,
  DescribeNodegroupCommandOutput,
  DescribeUpdateCommandInput,
  DescribeUpdateCommandOutput,
  ListNodegroupsCommandInput,
  ListNodegroupsCommandOutput,
  Nodegroup,
  NodegroupIssueCode,
  Update,
  UpdateNodegroupConfigCommandInput,
  UpdateNodegroupConfigCommandOutput,
  UpdateNodegroupVersionCommandInput,
  UpdateNodegroupVersionCommandOutput,
  UpdateParamType,
} from '@aws-sdk/client-eks';
import { account, region } from '../world/catalog.ts';
import { AwsApiError } from '../world/errors.ts';
import type { NodeGroupRecord } from '../world/fleet.ts';
import type { NodegroupUpdateRecord } from '../world/managed-updates.ts';
import type { World } from '../world.ts';
import { type Answer, modelledParameters, type Operations, page } from './operations.ts';

const notFound = (message: string) => new AwsApiError('ResourceNotFoundException', message, 404);

function nodegroupShape(world: World, group: NodeGroupRecord): Nodegroup {
  const autoScalingGroup = world.autoScaling.group(group.autoScalingGroupName);
  const managed = world.managedUpdates.group(group.spec.name);
  const { launchTemplate } = managed;
  return {
    nodegroupName: group.spec.name,
    nodegroupArn: `arn:aws:eks:${region}:${account}:nodegroup/${world.eks.name}/${group.spec.name}/${autoScalingGroup.name.slice(-36)}`,
    clusterName: world.eks.name,
    version: managed.kubernetesVersion,
    // A group with a custom AMI in its launch template has no release version.
    releaseVersion: launchTemplate === undefined ? managed.releaseVersion || undefined : undefined,
    createdAt: autoScalingGroup.createdTime,
    modifiedAt: managed.modifiedAt,
    status: managed.status,
    capacityType: 'ON_DEMAND',
    scalingConfig: { ...managed.scaling },
    // The instance type is in the launch template when there is one.
    instanceTypes: launchTemplate === undefined ? [group.instanceType] : undefined,
    subnets: [...autoScalingGroup.subnetByZone.values()],
    amiType: managed.amiType as AMITypes,
    nodeRole: `arn:aws:iam::${account}:role/${world.eks.name}-${group.spec.name}-NodeRole`,
    labels: {},
    resources: { autoScalingGroups: [{ name: autoScalingGroup.name }] },
    diskSize: launchTemplate === undefined ? (group.spec.os === 'windows' ? 50 : 20) : undefined,
    launchTemplate: launchTemplate === undefined ? undefined : { ...launchTemplate },
    health: {
      issues: world.managedUpdates.healthIssues(managed).map((issue) => ({
        code: issue.errorCode as NodegroupIssueCode,
        message: issue.errorMessage,
        resourceIds: issue.resourceIds,
      })),
    },
    updateConfig: { ...managed.updateConfig },
    tags: world.nodeGroupTags(group.spec),
  };
}

function updateShape(update: NodegroupUpdateRecord): Update {
  return {
    id: update.id,
    status: update.status,
    type: update.type,
    params: update.params.map((param) => ({ type: param.type as UpdateParamType, value: param.value })),
    createdAt: update.createdAt,
    errors: update.errors.map((error) => ({
      errorCode: error.errorCode as NonNullable<Update['errors']>[number]['errorCode'],
      errorMessage: error.errorMessage,
      resourceIds: error.resourceIds,
    })),
  };
}

export function eksOperations(world: World): Operations {
  const requireCluster = (name: string | undefined) => {
    if (name !== world.eks.name) throw notFound(`No cluster found for name: ${name}.`);
  };
  const managedGroups = () =>
    [...world.nodeGroups.values()].filter((group) => group.spec.management === 'managed');
  const requireGroup = (clusterName: string | undefined, nodegroupName: string | undefined) => {
    requireCluster(clusterName);
    return world.managedUpdates.group(nodegroupName ?? '');
  };

  return {
    DescribeCluster(input: DescribeClusterCommandInput): Answer<DescribeClusterCommandOutput> {
      modelledParameters('eks:DescribeCluster', input, ['name']);
      requireCluster(input.name);
      const { eks } = world;
      return {
        cluster: {
          name: eks.name,
          arn: eks.arn,
          createdAt: eks.createdAt,
          version: eks.version,
          endpoint: eks.endpoint,
          roleArn: `arn:aws:iam::${account}:role/${eks.name}-cluster-role`,
          resourcesVpcConfig: {
            subnetIds: eks.subnetIds,
            securityGroupIds: [],
            clusterSecurityGroupId: eks.securityGroupId,
            vpcId: eks.vpcId,
            endpointPublicAccess: false,
            endpointPrivateAccess: true,
          },
          kubernetesNetworkConfig: { serviceIpv4Cidr: '172.20.0.0/16', ipFamily: 'ipv4' },
          identity: {
            oidc: { issuer: `https://oidc.eks.${region}.amazonaws.com/id/${eks.endpoint.slice(8, 40)}` },
          },
          status: 'ACTIVE',
          certificateAuthority: { data: eks.certificateAuthorityData },
          platformVersion: 'eks.20',
          tags: {},
          accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
        },
      };
    },

    ListNodegroups(input: ListNodegroupsCommandInput): Answer<ListNodegroupsCommandOutput> {
      modelledParameters('eks:ListNodegroups', input, ['clusterName', 'maxResults', 'nextToken']);
      requireCluster(input.clusterName);
      const { items, nextToken } = page(
        managedGroups().map((group) => group.spec.name),
        { maxResults: input.maxResults, nextToken: input.nextToken },
        'InvalidParameterException',
        100,
      );
      return { nodegroups: items, nextToken };
    },

    DescribeNodegroup(input: DescribeNodegroupCommandInput): Answer<DescribeNodegroupCommandOutput> {
      modelledParameters('eks:DescribeNodegroup', input, ['clusterName', 'nodegroupName']);
      requireCluster(input.clusterName);
      const group = managedGroups().find((candidate) => candidate.spec.name === input.nodegroupName);
      if (group === undefined) throw notFound(`No node group found for name: ${input.nodegroupName}.`);
      return { nodegroup: nodegroupShape(world, group) };
    },

    UpdateNodegroupVersion(
      input: UpdateNodegroupVersionCommandInput,
    ): Answer<UpdateNodegroupVersionCommandOutput> {
      modelledParameters('eks:UpdateNodegroupVersion', input, [
        'clusterName',
        'nodegroupName',
        'launchTemplate',
        'releaseVersion',
        'version',
        'force',
        'clientRequestToken',
      ]);
      const group = requireGroup(input.clusterName, input.nodegroupName);
      world.touch(group.name, 'UpdateNodegroupVersion', group.name);
      if (input.version !== undefined && input.version !== group.kubernetesVersion) {
        throw new AwsApiError(
          'InvalidParameterException',
          `The simulator keeps node groups on Kubernetes ${group.kubernetesVersion}; requested ${input.version}.`,
        );
      }
      const update = world.managedUpdates.updateVersion(group.name, {
        launchTemplate: input.launchTemplate,
        releaseVersion: input.releaseVersion,
        force: input.force,
        clientRequestToken: input.clientRequestToken,
      });
      return { update: updateShape(update) };
    },

    UpdateNodegroupConfig(
      input: UpdateNodegroupConfigCommandInput,
    ): Answer<UpdateNodegroupConfigCommandOutput> {
      modelledParameters('eks:UpdateNodegroupConfig', input, [
        'clusterName',
        'nodegroupName',
        'updateConfig',
        'clientRequestToken',
      ]);
      const group = requireGroup(input.clusterName, input.nodegroupName);
      world.touch(group.name, 'UpdateNodegroupConfig', group.name);
      const { maxUnavailable, maxUnavailablePercentage, updateStrategy } = input.updateConfig ?? {};
      const update = world.managedUpdates.updateConfig(
        group.name,
        { maxUnavailable, maxUnavailablePercentage, updateStrategy },
        input.clientRequestToken,
      );
      return { update: updateShape(update) };
    },

    DescribeUpdate(input: DescribeUpdateCommandInput): Answer<DescribeUpdateCommandOutput> {
      modelledParameters('eks:DescribeUpdate', input, ['name', 'updateId', 'nodegroupName']);
      const group = requireGroup(input.name, input.nodegroupName);
      const update = group.updates.find((candidate) => candidate.id === input.updateId);
      if (update === undefined) throw notFound(`No update found for ID: ${input.updateId}.`);
      return { update: updateShape(update) };
    },
  };
}
