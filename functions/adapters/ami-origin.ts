import { GetImageCommand, type ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import type { ImageBuilderFacts } from '../domain/ami.ts';

/** The Image Builder image an AMI was distributed from (its `Ec2ImageBuilderArn` tag). */
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
