import type { GetImageCommandInput, GetImageCommandOutput } from '@aws-sdk/client-imagebuilder';
import { account, region, windowsReleaseOf } from '../world/catalog.ts';
import { AwsApiError } from '../world/errors.ts';
import type { World } from '../world.ts';
import { type Answer, modelledParameters, type Operations } from './operations.ts';

/** Image Builder images from the scenario's `imageBuilderImages`, as GetImage describes them. */
export function imageBuilderOperations(world: World): Operations {
  return {
    GetImage(input: GetImageCommandInput): Answer<GetImageCommandOutput> {
      modelledParameters('imagebuilder:GetImage', input, ['imageBuildVersionArn']);
      const arn = input.imageBuildVersionArn ?? '';
      const match =
        /^arn:aws:imagebuilder:[a-z0-9-]+:\d{12}:image\/([a-z0-9-_]+)\/(\d+\.\d+\.\d+)\/(\d+)$/.exec(arn);
      if (match === null) {
        throw new AwsApiError(
          'InvalidParameterValueException',
          `The value supplied for parameter 'imageBuildVersionArn' is not valid.`,
        );
      }
      const image = world.scenario.imageBuilderImages.find((candidate) => candidate.arn === arn);
      if (image === undefined)
        throw new AwsApiError('ResourceNotFoundException', `Resource ${arn} not found.`, 404);
      const [, name = '', version = '', build = ''] = match;
      const ami = world.ec2.images.get(image.amiId);
      return {
        requestId: world.ids.uuid(),
        image: {
          arn,
          name,
          version: `${version}/${build}`,
          type: 'AMI',
          platform: ami?.platform === 'linux' ? 'Linux' : 'Windows',
          osVersion:
            ami?.platform === 'linux'
              ? 'Amazon Linux 2023'
              : `Microsoft Windows Server ${windowsReleaseOf(ami?.windowsBuild ?? '')}`,
          state: { status: image.status },
          imageTestsConfiguration: { imageTestsEnabled: image.testsEnabled, timeoutMinutes: 720 },
          sourcePipelineArn: `arn:aws:imagebuilder:${region}:${account}:image-pipeline/${name}`,
          dateCreated: (ami?.creationDate ?? new Date(world.scheduler.now())).toISOString(),
          outputResources: {
            amis: [{ region, image: image.amiId, name: ami?.name ?? name, accountId: account }],
          },
        },
      };
    },
  };
}
