import type { ResponseLaunchTemplateData } from '@aws-sdk/client-ec2';
import { AwsApiError } from './errors.ts';
import type { Ids } from './ids.ts';
import { type ParameterStore, ssmAliasPrefix } from './ssm.ts';

export type Platform = 'windows' | 'linux';

export interface ImageRecord {
  id: string;
  name: string;
  description: string;
  platform: Platform;
  state: string;
  architecture: 'x86_64' | 'arm64';
  windowsBuild: string | undefined;
  kubernetesVersion: string;
  cachedImages: string[];
  creationDate: Date;
  ownerId: string;
  ownerAlias: string | undefined;
  tags: Record<string, string>;
}

export interface LaunchTemplateVersionRecord {
  versionNumber: number;
  data: ResponseLaunchTemplateData;
  createTime: Date;
  description: string | undefined;
}

export interface LaunchTemplateRecord {
  id: string;
  name: string;
  groupName: string;
  createTime: Date;
  versions: LaunchTemplateVersionRecord[];
  defaultVersion: number;
  /** CreateLaunchTemplateVersion ClientToken → the version it created (idempotent retries). */
  clientTokens: Map<string, number>;
}

export type InstanceStateName =
  | 'pending'
  | 'running'
  | 'shutting-down'
  | 'terminated'
  | 'stopping'
  | 'stopped';

export const instanceStateCodes: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface InstanceRecord {
  id: string;
  groupName: string;
  imageId: string;
  platform: Platform;
  instanceType: string;
  availabilityZone: string;
  subnetId: string;
  privateIp: string;
  privateDnsName: string;
  launchTime: Date;
  state: InstanceStateName;
  stateTransitionReason: string;
  /** Undefined for an instance launched from a launch configuration. */
  launchTemplate: { id: string; name: string; version: number } | undefined;
  tags: Record<string, string>;
}

/** A launch configuration: immutable, the older way to say what a group launches. */
export interface LaunchConfigurationRecord {
  name: string;
  imageId: string;
  instanceType: string;
  createdTime: Date;
}

const amiIdPattern = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** EC2's state: images, launch templates and instances, with the API's own rules. */
export class Ec2 {
  readonly images = new Map<string, ImageRecord>();
  readonly launchTemplates = new Map<string, LaunchTemplateRecord>();
  /** In launch order. */
  readonly instances = new Map<string, InstanceRecord>();

  readonly launchConfigurations = new Map<string, LaunchConfigurationRecord>();

  constructor(
    private readonly ids: Ids,
    private readonly parameters: ParameterStore,
  ) {}

  /** The AMI a launch from this data uses now: EC2 resolves a `resolve:ssm:` alias at each launch. */
  effectiveImageId(data: ResponseLaunchTemplateData): string | undefined {
    const imageId = data.ImageId;
    return imageId?.startsWith(ssmAliasPrefix) ? this.parameters.resolveAlias(imageId) : imageId;
  }

  /** DescribeImages' lookup: malformed ids and unknown ids are errors, as in EC2. */
  imageForDescribe(id: string): ImageRecord {
    if (!amiIdPattern.test(id)) {
      throw new AwsApiError('InvalidAMIID.Malformed', `Invalid id: "${id}" (expecting "ami-...")`);
    }
    const image = this.images.get(id);
    if (image === undefined)
      throw new AwsApiError('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
    return image;
  }

  createLaunchTemplate(groupName: string, name: string, data: ResponseLaunchTemplateData, at: Date) {
    const template: LaunchTemplateRecord = {
      id: this.ids.resourceId('lt'),
      name,
      groupName,
      createTime: at,
      versions: [{ versionNumber: 1, data, createTime: at, description: undefined }],
      defaultVersion: 1,
      clientTokens: new Map(),
    };
    this.launchTemplates.set(template.id, template);
    return template;
  }

  /** A launch template by id or name; EC2's NotFound errors otherwise. */
  launchTemplate(reference: {
    LaunchTemplateId?: string;
    LaunchTemplateName?: string;
  }): LaunchTemplateRecord {
    const { LaunchTemplateId: id, LaunchTemplateName: name } = reference;
    if (id !== undefined) {
      const byId = this.launchTemplates.get(id);
      if (byId === undefined) {
        throw new AwsApiError(
          'InvalidLaunchTemplateId.NotFound',
          `The specified launch template, with template ID ${id}, does not exist.`,
        );
      }
      return byId;
    }
    const byName = [...this.launchTemplates.values()].find((template) => template.name === name);
    if (byName === undefined) {
      throw new AwsApiError(
        'InvalidLaunchTemplateName.NotFoundException',
        `The specified launch template, with template name ${name ?? '(none)'}, does not exist.`,
      );
    }
    return byName;
  }

  /** `$Latest`, `$Default` or a version number, resolved now. */
  resolveVersion(template: LaunchTemplateRecord, version: string | undefined): LaunchTemplateVersionRecord {
    const number =
      version === undefined || version === '$Default'
        ? template.defaultVersion
        : version === '$Latest'
          ? template.versions.length
          : Number(version);
    const found = Number.isInteger(number) ? template.versions[number - 1] : undefined;
    if (found === undefined) {
      throw new AwsApiError(
        'InvalidLaunchTemplateId.VersionNotFound',
        `Could not find launch template version ${version ?? '$Default'} for launch template ${template.id}.`,
      );
    }
    return found;
  }

  /**
   * CreateLaunchTemplateVersion: the new version inherits the source version's parameters except
   * those given; a repeated ClientToken returns the version it created.
   */
  createLaunchTemplateVersion(
    template: LaunchTemplateRecord,
    request: {
      sourceVersion: string | undefined;
      data: ResponseLaunchTemplateData;
      description: string | undefined;
      clientToken: string | undefined;
    },
    at: Date,
  ): LaunchTemplateVersionRecord {
    const earlier =
      request.clientToken === undefined ? undefined : template.clientTokens.get(request.clientToken);
    if (earlier !== undefined) return this.resolveVersion(template, String(earlier));
    const base =
      request.sourceVersion === undefined ? {} : this.resolveVersion(template, request.sourceVersion).data;
    const version: LaunchTemplateVersionRecord = {
      versionNumber: template.versions.length + 1,
      data: { ...structuredClone(base), ...structuredClone(request.data) },
      createTime: at,
      description: request.description,
    };
    template.versions.push(version);
    if (request.clientToken !== undefined)
      template.clientTokens.set(request.clientToken, version.versionNumber);
    return version;
  }

  /** DescribeInstances' lookup of one id. */
  instanceForDescribe(id: string): InstanceRecord {
    if (!/^i-([0-9a-f]{8}|[0-9a-f]{17})$/.test(id)) {
      throw new AwsApiError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
    }
    const instance = this.instances.get(id);
    if (instance === undefined) {
      throw new AwsApiError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    }
    return instance;
  }
}
