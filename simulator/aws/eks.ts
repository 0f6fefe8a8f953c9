import type {
  AMITypes,
  DescribeClusterCommandInput,
  DescribeClusterCommandOutput,
  DescribeNodegroupCommandInput,
  DescribeNodegroupCommandOutput,
  ListNodegroupsCommandInput,
  ListNodegroupsCommandOutput,
  Nodegroup,
} from '@aws-sdk/client-eks';
import { account, region, windowsReleaseOf } from '../world/catalog.ts';
import { AwsApiError } from '../world/errors.ts';
import type { NodeGroupRecord } from '../world/fleet.ts';
import type { World } from '../world.ts';
import { type Answer, modelledParameters, type Operations, page } from './operations.ts';

const notFound = (message: string) => new AwsApiError('ResourceNotFoundException', message, 404);

function amiTypeOf(group: NodeGroupRecord): AMITypes {
  if (group.spec.os === 'linux') return 'AL2023_x86_64_STANDARD';
  return `WINDOWS_CORE_${windowsReleaseOf(group.spec.windowsBuild ?? '')}_x86_64` as AMITypes;
}

function nodegroupShape(world: World, group: NodeGroupRecord): Nodegroup {
  const autoScalingGroup = world.autoScaling.group(group.autoScalingGroupName);
  const image = world.ec2.images.get(group.spec.amiId);
  return {
    nodegroupName: group.spec.name,
    nodegroupArn: `arn:aws:eks:${region}:${account}:nodegroup/${world.eks.name}/${group.spec.name}/${autoScalingGroup.name.slice(-36)}`,
    clusterName: world.eks.name,
    version: image?.kubernetesVersion ?? world.eks.version,
    releaseVersion: image?.name,
    createdAt: autoScalingGroup.createdTime,
    modifiedAt: autoScalingGroup.createdTime,
    status: 'ACTIVE',
    capacityType: 'ON_DEMAND',
    scalingConfig: {
      minSize: autoScalingGroup.minSize,
      maxSize: autoScalingGroup.maxSize,
      desiredSize: autoScalingGroup.desiredCapacity,
    },
    instanceTypes: [group.instanceType],
    subnets: [...autoScalingGroup.subnetByZone.values()],
    amiType: amiTypeOf(group),
    nodeRole: `arn:aws:iam::${account}:role/${world.eks.name}-${group.spec.name}-NodeRole`,
    labels: {},
    resources: { autoScalingGroups: [{ name: autoScalingGroup.name }] },
    diskSize: group.spec.os === 'windows' ? 50 : 20,
    health: { issues: [] },
    updateConfig: { maxUnavailable: 1 },
    tags: world.nodeGroupTags(group.spec),
  };
}

export function eksOperations(world: World): Operations {
  const requireCluster = (name: string | undefined) => {
    if (name !== world.eks.name) throw notFound(`No cluster found for name: ${name}.`);
  };
  const managedGroups = () =>
    [...world.nodeGroups.values()].filter((group) => group.spec.management === 'managed');

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
  };
}
