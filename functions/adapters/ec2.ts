import {
  CreateLaunchTemplateVersionCommand,
  DescribeFastLaunchImagesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  type EC2Client,
  type Image,
  ModifyLaunchTemplateCommand,
  paginateDescribeInstances,
  type ResponseLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import type { AmiFacts } from '../domain/ami.ts';
import type { FastLaunchFacts } from '../domain/fast-launch.ts';

const tagMap = (tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).flatMap((t) => (t.Key ? [[t.Key, t.Value ?? '']] : [])));

const toAmiFacts = (image: Image): AmiFacts => ({
  amiId: image.ImageId ?? '',
  name: image.Name ?? '',
  state: image.State ?? 'unknown',
  platform: image.Platform,
  architecture: image.Architecture,
  tags: tagMap(image.Tags),
});

/** The AMI, or undefined when EC2 does not know it (deregistered long ago, or never existed). */
export async function describeAmi(ec2: EC2Client, amiId: string): Promise<AmiFacts | undefined> {
  try {
    const { Images } = await ec2.send(new DescribeImagesCommand({ ImageIds: [amiId] }));
    const image = Images?.[0];
    return image ? toAmiFacts(image) : undefined;
  } catch (error) {
    if (
      (error as Error).name === 'InvalidAMIID.NotFound' ||
      (error as Error).name === 'InvalidAMIID.Unavailable'
    ) {
      return undefined;
    }
    throw error;
  }
}

/** The AMI's EC2 Fast Launch settings, or undefined when it is not configured for the AMI. */
export async function describeFastLaunch(
  ec2: EC2Client,
  amiId: string,
): Promise<FastLaunchFacts | undefined> {
  const { FastLaunchImages } = await ec2.send(new DescribeFastLaunchImagesCommand({ ImageIds: [amiId] }));
  const image = FastLaunchImages?.find((item) => item.ImageId === amiId);
  if (image?.State === undefined) return undefined;
  return {
    state: image.State,
    targetResourceCount: image.SnapshotConfiguration?.TargetResourceCount,
    stateTransitionReason: image.StateTransitionReason,
  };
}

export interface InstanceFacts {
  instanceId: string;
  imageId: string;
  availabilityZone: string;
  launchTime: number;
  state: string;
  privateDnsName: string;
}

/** Instances by id, in chunks (a request names at most a few hundred ids). */
export async function describeInstances(ec2: EC2Client, instanceIds: string[]): Promise<InstanceFacts[]> {
  const facts: InstanceFacts[] = [];
  for (let start = 0; start < instanceIds.length; start += 200) {
    const page = await ec2.send(
      new DescribeInstancesCommand({ InstanceIds: instanceIds.slice(start, start + 200) }),
    );
    for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
      facts.push({
        instanceId: instance.InstanceId ?? '',
        imageId: instance.ImageId ?? '',
        availabilityZone: instance.Placement?.AvailabilityZone ?? '',
        launchTime: instance.LaunchTime?.getTime() ?? 0,
        state: instance.State?.Name ?? 'unknown',
        privateDnsName: instance.PrivateDnsName ?? '',
      });
    }
  }
  return facts;
}

/**
 * Instances of the group from `amiId` launched since `since` (epoch ms) that are shutting down or
 * terminated: replacements something removed. EC2 lists terminated instances for about an hour.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/terminating-instances.html
 */
export async function goneInstances(
  ec2: EC2Client,
  group: { asgName: string; amiId: string },
  since: number,
): Promise<string[]> {
  const gone: string[] = [];
  const pages = paginateDescribeInstances(
    { client: ec2, pageSize: 1000 },
    {
      Filters: [
        { Name: 'tag:aws:autoscaling:groupName', Values: [group.asgName] },
        { Name: 'image-id', Values: [group.amiId] },
        { Name: 'instance-state-name', Values: ['shutting-down', 'terminated'] },
      ],
    },
  );
  for await (const page of pages) {
    for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
      if ((instance.LaunchTime?.getTime() ?? 0) >= since) gone.push(instance.InstanceId ?? '');
    }
  }
  return gone;
}

/** Whether a running or pending instance carries the tag `key=value` (and the cluster's own tag). */
export async function anyInstanceTagged(
  ec2: EC2Client,
  tag: { key: string; value: string },
  clusterName: string,
): Promise<boolean> {
  const page = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:${tag.key}`, Values: [tag.value] },
        { Name: 'tag-key', Values: [`kubernetes.io/cluster/${clusterName}`] },
        { Name: 'instance-state-name', Values: ['pending', 'running'] },
      ],
      MaxResults: 5,
    }),
  );
  return (page.Reservations ?? []).some((reservation) => (reservation.Instances ?? []).length > 0);
}

export interface LaunchTemplateVersion {
  launchTemplateId: string;
  versionNumber: number;
  /** As the version says it: an AMI id, or a `resolve:ssm:` alias (unless described with resolveAlias). */
  imageId: string | undefined;
  isDefault: boolean;
  /** Everything the version launches with, to tell versions that differ only in ImageId. */
  data: ResponseLaunchTemplateData;
}

export async function describeLaunchTemplateVersions(
  ec2: EC2Client,
  launchTemplateId: string,
  versions?: string[],
  options: { resolveAlias?: boolean } = {},
): Promise<LaunchTemplateVersion[]> {
  const found: LaunchTemplateVersion[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: launchTemplateId,
        Versions: versions,
        ResolveAlias: options.resolveAlias,
        NextToken,
      }),
    );
    for (const v of page.LaunchTemplateVersions ?? []) {
      found.push({
        launchTemplateId,
        versionNumber: v.VersionNumber ?? 0,
        imageId: v.LaunchTemplateData?.ImageId,
        isDefault: v.DefaultVersion ?? false,
        data: v.LaunchTemplateData ?? {},
      });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return found;
}

/** The AMI a launch from this version uses now: EC2 resolves a `resolve:ssm:` alias for us. */
export async function effectiveImageId(
  ec2: EC2Client,
  launchTemplateId: string,
  version: number,
): Promise<string | undefined> {
  const [resolved] = await describeLaunchTemplateVersions(ec2, launchTemplateId, [String(version)], {
    resolveAlias: true,
  });
  return resolved?.imageId;
}

/**
 * A new version from `sourceVersion` with only ImageId given (the rest inherited). The client token
 * makes a retried call return the version the first call created.
 */
export async function createLaunchTemplateVersion(
  ec2: EC2Client,
  launchTemplateId: string,
  sourceVersion: number,
  imageId: string,
  description: string,
  clientToken: string,
): Promise<number> {
  const { LaunchTemplateVersion } = await ec2.send(
    new CreateLaunchTemplateVersionCommand({
      LaunchTemplateId: launchTemplateId,
      SourceVersion: String(sourceVersion),
      VersionDescription: description.slice(0, 255),
      LaunchTemplateData: { ImageId: imageId },
      ClientToken: clientToken,
    }),
  );
  return LaunchTemplateVersion?.VersionNumber ?? 0;
}

/** Makes `version` the template's default (what `$Default` groups launch). */
export async function setDefaultVersion(ec2: EC2Client, launchTemplateId: string, version: number) {
  await ec2.send(
    new ModifyLaunchTemplateCommand({ LaunchTemplateId: launchTemplateId, DefaultVersion: String(version) }),
  );
}
