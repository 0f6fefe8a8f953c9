import { GetImageCommand, type ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import type { ImageBuilderFacts } from '../domain/ami.ts';
import { type DistributedAmi, imageNameFromArn } from '../domain/targets.ts';

/** An Image Builder image as start-rollout needs it: its name and the AMIs its distribution wrote. */
export interface BuiltImage {
  arn: string;
  name: string;
  amis: DistributedAmi[];
}

/** GetImage for an image ARN; undefined when the image no longer exists. */
export async function getBuiltImage(
  imageBuilder: ImagebuilderClient,
  imageArn: string,
): Promise<BuiltImage | undefined> {
  try {
    const { image } = await imageBuilder.send(new GetImageCommand({ imageBuildVersionArn: imageArn }));
    if (image === undefined) return undefined;
    const amis = (image.outputResources?.amis ?? []).flatMap(({ region, accountId, image: amiId }) =>
      region !== undefined && accountId !== undefined && amiId !== undefined
        ? [{ region, accountId, amiId }]
        : [],
    );
    return { arn: image.arn ?? imageArn, name: image.name ?? imageNameFromArn(imageArn), amis };
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/** The Image Builder image an AMI was distributed from (its `Ec2ImageBuilderArn` tag), as VerifyAmi checks it. */
export async function imageBuilderFacts(
  imageBuilder: ImagebuilderClient,
  arn: string,
): Promise<ImageBuilderFacts> {
  const { image } = await imageBuilder.send(new GetImageCommand({ imageBuildVersionArn: arn }));
  return {
    arn,
    status: image?.state?.status ?? 'UNKNOWN',
    testsEnabled: image?.imageTestsConfiguration?.imageTestsEnabled ?? false,
  };
}
