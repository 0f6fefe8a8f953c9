import type {
  GetParameterCommandInput,
  GetParameterCommandOutput,
  GetParametersCommandInput,
  GetParametersCommandOutput,
  Parameter,
} from '@aws-sdk/client-ssm';
import { region } from '../world/catalog.ts';
import { AwsApiError } from '../world/errors.ts';
import type { World } from '../world.ts';
import { type Answer, modelledParameters, type Operations } from './operations.ts';

const publicAmiParameter = /^\/aws\/service\/ami-windows-latest\/(Windows_Server-[A-Za-z0-9_.-]+)\/image_id$/;

/**
 * The public `/aws/service/ami-windows-latest/<name prefix>/image_id` parameters: the newest
 * available AMI of the world whose name continues the prefix with its date.
 */
function publicParameter(world: World, name: string): Parameter | undefined {
  const prefix = publicAmiParameter.exec(name)?.[1];
  if (prefix === undefined) return undefined;
  const [latest] = [...world.ec2.images.values()]
    .filter((image) => image.state === 'available' && image.name.startsWith(`${prefix}-`))
    .sort((a, b) => b.creationDate.getTime() - a.creationDate.getTime());
  if (latest === undefined) return undefined;
  return {
    Name: name,
    Type: 'String',
    Value: latest.id,
    Version: 1,
    LastModifiedDate: latest.creationDate,
    ARN: `arn:aws:ssm:${region}::parameter${name}`,
    DataType: 'text',
  };
}

export function ssmOperations(world: World): Operations {
  return {
    GetParameter(input: GetParameterCommandInput): Answer<GetParameterCommandOutput> {
      modelledParameters('ssm:GetParameter', input, ['Name', 'WithDecryption']);
      const parameter = publicParameter(world, input.Name ?? '');
      if (parameter === undefined) throw new AwsApiError('ParameterNotFound', '');
      return { Parameter: parameter };
    },

    GetParameters(input: GetParametersCommandInput): Answer<GetParametersCommandOutput> {
      modelledParameters('ssm:GetParameters', input, ['Names', 'WithDecryption']);
      const names = input.Names ?? [];
      if (names.length > 10) {
        throw new AwsApiError(
          'ValidationException',
          `1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 10`,
        );
      }
      const found = names.map((name) => ({ name, parameter: publicParameter(world, name) }));
      return {
        Parameters: found.flatMap(({ parameter }) => parameter ?? []),
        InvalidParameters: found.filter(({ parameter }) => parameter === undefined).map(({ name }) => name),
      };
    },
  };
}
