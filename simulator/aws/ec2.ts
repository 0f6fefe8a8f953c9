import type {
  CreateLaunchTemplateVersionCommandInput,
  CreateLaunchTemplateVersionCommandOutput,
  DescribeFastLaunchImagesCommandInput,
  DescribeFastLaunchImagesCommandOutput,
  DescribeImagesCommandInput,
  DescribeImagesCommandOutput,
  DescribeInstancesCommandInput,
  DescribeInstancesCommandOutput,
  DescribeLaunchTemplatesCommandInput,
  DescribeLaunchTemplatesCommandOutput,
  DescribeLaunchTemplateVersionsCommandInput,
  DescribeLaunchTemplateVersionsCommandOutput,
  Filter,
  Image,
  Instance,
  LaunchTemplate,
  LaunchTemplateVersion,
  ModifyLaunchTemplateCommandInput,
  ModifyLaunchTemplateCommandOutput,
  ResponseLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import { account } from '../world/catalog.ts';
import {
  type ImageRecord,
  type InstanceRecord,
  instanceStateCodes,
  type LaunchTemplateRecord,
  type LaunchTemplateVersionRecord,
} from '../world/ec2.ts';
import { AwsApiError } from '../world/errors.ts';
import type { World } from '../world.ts';
import {
  type Answer,
  matchesPattern,
  modelledParameters,
  type Operations,
  page,
  tagList,
} from './operations.ts';

const launchTemplateCreator = `arn:aws:iam::${account}:role/eks-windows-patcher`;

/** EC2 filters: every filter must match (AND), any of its values (OR); unknown names are refused. */
function filtered<T>(
  items: T[],
  filters: Filter[] | undefined,
  tagsOf: (item: T) => Record<string, string>,
  fields: Record<string, (item: T) => string[]>,
): T[] {
  const valuesOf = (name: string): ((item: T) => string[]) => {
    if (name.startsWith('tag:')) return (item) => [tagsOf(item)[name.slice(4)] ?? []].flat();
    if (name === 'tag-key') return (item) => Object.keys(tagsOf(item));
    if (name === 'tag-value') return (item) => Object.values(tagsOf(item));
    const field = fields[name];
    if (field === undefined)
      throw new AwsApiError('InvalidParameterValue', `The filter '${name}' is invalid`);
    return field;
  };
  const checks = (filters ?? []).map(({ Name = '', Values = [] }) => {
    const values = valuesOf(Name);
    return (item: T) =>
      values(item).some((value) => Values.some((pattern) => matchesPattern(pattern, value)));
  });
  return items.filter((item) => checks.every((check) => check(item)));
}

function imageShape(image: ImageRecord): Image {
  const windows = image.platform === 'windows';
  return {
    ImageId: image.id,
    ImageLocation: `${image.ownerAlias ?? image.ownerId}/${image.name}`,
    State: image.state as Image['State'],
    OwnerId: image.ownerId,
    ImageOwnerAlias: image.ownerAlias,
    CreationDate: image.creationDate.toISOString(),
    Public: image.ownerAlias === 'amazon',
    Architecture: image.architecture,
    ImageType: 'machine',
    Name: image.name,
    Description: image.description,
    // The wire value is lowercase `windows`; the SDK's enum spells it `Windows`.
    Platform: windows ? ('windows' as Image['Platform']) : undefined,
    PlatformDetails: windows ? 'Windows' : 'Linux/UNIX',
    UsageOperation: windows ? 'RunInstances:0002' : 'RunInstances',
    RootDeviceType: 'ebs',
    RootDeviceName: windows ? '/dev/sda1' : '/dev/xvda',
    BlockDeviceMappings: [
      {
        DeviceName: windows ? '/dev/sda1' : '/dev/xvda',
        Ebs: {
          DeleteOnTermination: true,
          VolumeSize: windows ? 50 : 20,
          VolumeType: 'gp3',
          Encrypted: false,
        },
      },
    ],
    VirtualizationType: 'hvm',
    Hypervisor: 'xen',
    EnaSupport: true,
    SriovNetSupport: 'simple',
    ImdsSupport: 'v2.0',
    Tags: Object.keys(image.tags).length > 0 ? tagList(image.tags) : undefined,
  };
}

function instanceShape(world: World, instance: InstanceRecord): Instance {
  const windows = instance.platform === 'windows';
  const terminated = instance.state === 'terminated';
  return {
    InstanceId: instance.id,
    ImageId: instance.imageId,
    InstanceType: instance.instanceType as Instance['InstanceType'],
    LaunchTime: instance.launchTime,
    AmiLaunchIndex: 0,
    Architecture: 'x86_64',
    Placement: { AvailabilityZone: instance.availabilityZone, GroupName: '', Tenancy: 'default' },
    // Terminated instances have released their network interface.
    PrivateDnsName: terminated ? '' : instance.privateDnsName,
    PrivateIpAddress: terminated ? undefined : instance.privateIp,
    PublicDnsName: '',
    SubnetId: terminated ? undefined : instance.subnetId,
    VpcId: terminated ? undefined : world.eks.vpcId,
    State: { Code: instanceStateCodes[instance.state], Name: instance.state },
    StateTransitionReason: instance.stateTransitionReason,
    Platform: windows ? ('windows' as Instance['Platform']) : undefined,
    PlatformDetails: windows ? 'Windows' : 'Linux/UNIX',
    UsageOperation: windows ? 'RunInstances:0002' : 'RunInstances',
    Monitoring: { State: 'disabled' },
    RootDeviceType: 'ebs',
    RootDeviceName: windows ? '/dev/sda1' : '/dev/xvda',
    Hypervisor: 'xen',
    VirtualizationType: 'hvm',
    EnaSupport: true,
    EbsOptimized: false,
    SecurityGroups: terminated
      ? []
      : [{ GroupId: world.eks.securityGroupId, GroupName: `eks-cluster-sg-${world.eks.name}` }],
    MetadataOptions: {
      State: 'applied',
      HttpTokens: 'required',
      HttpPutResponseHopLimit: 2,
      HttpEndpoint: 'enabled',
    },
    PrivateDnsNameOptions: { HostnameType: 'ip-name' },
    Tags: tagList(instance.tags),
  };
}

function launchTemplateVersionShape(
  template: LaunchTemplateRecord,
  version: LaunchTemplateVersionRecord,
): LaunchTemplateVersion {
  return {
    LaunchTemplateId: template.id,
    LaunchTemplateName: template.name,
    VersionNumber: version.versionNumber,
    VersionDescription: version.description,
    CreateTime: version.createTime,
    CreatedBy: launchTemplateCreator,
    DefaultVersion: version.versionNumber === template.defaultVersion,
    LaunchTemplateData: structuredClone(version.data),
  };
}

function launchTemplateShape(template: LaunchTemplateRecord): LaunchTemplate {
  return {
    LaunchTemplateId: template.id,
    LaunchTemplateName: template.name,
    CreateTime: template.createTime,
    CreatedBy: launchTemplateCreator,
    DefaultVersionNumber: template.defaultVersion,
    LatestVersionNumber: template.versions.length,
  };
}

export function ec2Operations(world: World): Operations {
  const { ec2 } = world;
  const now = () => new Date(world.scheduler.now());

  return {
    DescribeImages(input: DescribeImagesCommandInput): Answer<DescribeImagesCommandOutput> {
      modelledParameters('ec2:DescribeImages', input, ['ImageIds', 'Owners', 'Filters', 'IncludeDeprecated']);
      const candidates =
        input.ImageIds === undefined
          ? [...ec2.images.values()]
          : input.ImageIds.map((id) => ec2.imageForDescribe(id));
      const owned = candidates.filter(
        (image) =>
          input.Owners === undefined ||
          input.Owners.some((owner) =>
            owner === 'self'
              ? image.ownerId === account
              : owner === image.ownerId || owner === image.ownerAlias,
          ),
      );
      const images = filtered(owned, input.Filters, (image) => image.tags, {
        'image-id': (image) => [image.id],
        name: (image) => [image.name],
        state: (image) => [image.state],
        architecture: (image) => [image.architecture],
        'owner-id': (image) => [image.ownerId],
        'owner-alias': (image) => (image.ownerAlias === undefined ? [] : [image.ownerAlias]),
        platform: (image) => (image.platform === 'windows' ? ['windows'] : []),
      });
      return { Images: images.map(imageShape) };
    },

    /** Only AMIs with Fast Launch configured are listed; the snapshots left are not part of the answer. */
    DescribeFastLaunchImages(
      input: DescribeFastLaunchImagesCommandInput,
    ): Answer<DescribeFastLaunchImagesCommandOutput> {
      modelledParameters('ec2:DescribeFastLaunchImages', input, ['ImageIds']);
      const ids = input.ImageIds ?? [...ec2.images.keys()];
      const items = ids.flatMap((id) => {
        const image = ec2.imageForDescribe(id);
        const fast = world.fastLaunch.describe(id);
        return fast === undefined
          ? []
          : [
              {
                ImageId: id,
                ResourceType: 'snapshot' as const,
                SnapshotConfiguration: { TargetResourceCount: fast.targetResourceCount },
                MaxParallelLaunches: fast.maxParallelLaunches,
                OwnerId: image.ownerId,
                State: fast.state,
                StateTransitionReason: `Fast Launch ${fast.state}`,
                StateTransitionTime: fast.stateTransitionTime,
              },
            ];
      });
      return { FastLaunchImages: items };
    },

    DescribeInstances(input: DescribeInstancesCommandInput): Answer<DescribeInstancesCommandOutput> {
      modelledParameters('ec2:DescribeInstances', input, [
        'InstanceIds',
        'Filters',
        'MaxResults',
        'NextToken',
      ]);
      if (input.InstanceIds !== undefined && input.MaxResults !== undefined) {
        throw new AwsApiError(
          'InvalidParameterCombination',
          'The parameter instancesSet cannot be used with the parameter maxResults',
        );
      }
      const candidates =
        input.InstanceIds === undefined
          ? [...ec2.instances.values()]
          : input.InstanceIds.map((id) => ec2.instanceForDescribe(id));
      const instances = filtered(candidates, input.Filters, (instance) => instance.tags, {
        'instance-id': (instance) => [instance.id],
        'instance-state-name': (instance) => [instance.state],
        'instance-state-code': (instance) => [String(instanceStateCodes[instance.state])],
        'image-id': (instance) => [instance.imageId],
        'instance-type': (instance) => [instance.instanceType],
        'availability-zone': (instance) => [instance.availabilityZone],
        'private-dns-name': (instance) => (instance.state === 'terminated' ? [] : [instance.privateDnsName]),
        'private-ip-address': (instance) => (instance.state === 'terminated' ? [] : [instance.privateIp]),
        'subnet-id': (instance) => [instance.subnetId],
        'vpc-id': () => [world.eks.vpcId],
      });
      const { items, nextToken } = page(
        instances,
        { maxResults: input.MaxResults, nextToken: input.NextToken },
        'InvalidParameterValue',
      );
      return {
        Reservations: items.map((instance) => ({
          ReservationId: `r-${instance.id.slice(2)}`,
          OwnerId: account,
          RequesterId: '940372691376',
          Groups: [],
          Instances: [instanceShape(world, instance)],
        })),
        NextToken: nextToken,
      };
    },

    DescribeLaunchTemplates(
      input: DescribeLaunchTemplatesCommandInput,
    ): Answer<DescribeLaunchTemplatesCommandOutput> {
      modelledParameters('ec2:DescribeLaunchTemplates', input, ['LaunchTemplateIds', 'LaunchTemplateNames']);
      const templates = [
        ...(input.LaunchTemplateIds ?? []).map((id) => ec2.launchTemplate({ LaunchTemplateId: id })),
        ...(input.LaunchTemplateNames ?? []).map((name) => ec2.launchTemplate({ LaunchTemplateName: name })),
      ];
      const all = input.LaunchTemplateIds === undefined && input.LaunchTemplateNames === undefined;
      return {
        LaunchTemplates: (all ? [...ec2.launchTemplates.values()] : templates).map(launchTemplateShape),
      };
    },

    DescribeLaunchTemplateVersions(
      input: DescribeLaunchTemplateVersionsCommandInput,
    ): Answer<DescribeLaunchTemplateVersionsCommandOutput> {
      modelledParameters('ec2:DescribeLaunchTemplateVersions', input, [
        'LaunchTemplateId',
        'LaunchTemplateName',
        'Versions',
        'MaxResults',
        'NextToken',
        'ResolveAlias',
      ]);
      const template = ec2.launchTemplate(input);
      const versions =
        input.Versions === undefined
          ? [...template.versions].reverse()
          : input.Versions.map((version) => ec2.resolveVersion(template, version));
      const { items, nextToken } = page(
        versions,
        { maxResults: input.MaxResults, nextToken: input.NextToken },
        'InvalidNextToken',
      );
      return {
        // ResolveAlias shows the AMI a `resolve:ssm:` alias stands for now, instead of the alias.
        LaunchTemplateVersions: items.map((version) => {
          const shape = launchTemplateVersionShape(template, version);
          if (input.ResolveAlias === true && shape.LaunchTemplateData !== undefined)
            shape.LaunchTemplateData.ImageId = ec2.effectiveImageId(version.data);
          return shape;
        }),
        NextToken: nextToken,
      };
    },

    CreateLaunchTemplateVersion(
      input: CreateLaunchTemplateVersionCommandInput,
    ): Answer<CreateLaunchTemplateVersionCommandOutput> {
      modelledParameters('ec2:CreateLaunchTemplateVersion', input, [
        'LaunchTemplateId',
        'LaunchTemplateName',
        'SourceVersion',
        'VersionDescription',
        'LaunchTemplateData',
        'ClientToken',
      ]);
      if (input.LaunchTemplateData === undefined) {
        throw new AwsApiError(
          'MissingParameter',
          'The request must contain the parameter LaunchTemplateData',
        );
      }
      const template = ec2.launchTemplate(input);
      const version = ec2.createLaunchTemplateVersion(
        template,
        {
          sourceVersion: input.SourceVersion,
          // The request's data carries the same fields as the response's for what launches read.
          data: structuredClone(input.LaunchTemplateData) as ResponseLaunchTemplateData,
          description: input.VersionDescription,
          clientToken: input.ClientToken,
        },
        now(),
      );
      world.touch(template.groupName, 'CreateLaunchTemplateVersion', template.id);
      world.timeline.record('LaunchTemplateVersionCreated', {
        launchTemplateId: template.id,
        version: version.versionNumber,
        imageId: version.data.ImageId,
        group: template.groupName,
      });
      return { LaunchTemplateVersion: launchTemplateVersionShape(template, version) };
    },

    ModifyLaunchTemplate(input: ModifyLaunchTemplateCommandInput): Answer<ModifyLaunchTemplateCommandOutput> {
      modelledParameters('ec2:ModifyLaunchTemplate', input, [
        'LaunchTemplateId',
        'LaunchTemplateName',
        'DefaultVersion',
      ]);
      const template = ec2.launchTemplate(input);
      if (input.DefaultVersion !== undefined) {
        template.defaultVersion = ec2.resolveVersion(template, input.DefaultVersion).versionNumber;
        world.touch(template.groupName, 'ModifyLaunchTemplate', template.id);
        world.timeline.record('LaunchTemplateDefaultVersionSet', {
          launchTemplateId: template.id,
          version: template.defaultVersion,
        });
      }
      return { LaunchTemplate: launchTemplateShape(template) };
    },
  };
}
