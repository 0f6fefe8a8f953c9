import { AwsApiError } from './errors.ts';

export interface ParameterRecord {
  name: string;
  value: string;
  version: number;
  lastModified: Date;
}

/** `resolve:ssm:` in a launch template's ImageId: EC2 reads the parameter at each launch. */
export const ssmAliasPrefix = 'resolve:ssm:';

/** Systems Manager Parameter Store: the account's own String parameters. */
export class ParameterStore {
  readonly parameters = new Map<string, ParameterRecord>();

  put(name: string, value: string, at: Date): ParameterRecord {
    const earlier = this.parameters.get(name);
    const record = { name, value, version: (earlier?.version ?? 0) + 1, lastModified: at };
    this.parameters.set(name, record);
    return record;
  }

  /**
   * An alias's parameter (`resolve:ssm:/name`, `/name:3` for a version or `/name:label` are accepted;
   * only the latest version is kept, as nothing in the world writes older ones).
   * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-systems-manager-parameter-to-find-AMI.html
   */
  resolveAlias(imageId: string): string {
    const reference = imageId.slice(ssmAliasPrefix.length);
    const name = reference.replace(/:[^/:]+$/, '');
    const parameter = this.parameters.get(name);
    if (parameter === undefined) {
      throw new AwsApiError(
        'InvalidParameterValue',
        `Invalid value for ImageId: the SSM parameter ${name} does not exist or cannot be accessed.`,
      );
    }
    return parameter.value;
  }
}
