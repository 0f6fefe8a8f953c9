import type { EC2Client } from '@aws-sdk/client-ec2';
import { NodeGroupNotFound } from '../commons/errors.ts';
import {
  clientToken,
  decideLaunchTemplate,
  isSsmAlias,
  type ReferenceForm,
  referenceFormOf,
  resolveVersion,
} from '../domain/launch-template.ts';
import {
  createLaunchTemplateVersion,
  describeLaunchTemplateVersions,
  type LaunchTemplateVersion,
} from './ec2.ts';

/**
 * The version of the template equal to the current one apart from ImageId (the explicit target AMI,
 * even when the current one reads it from SSM): reused when one has it (a retry, a re-run), else
 * created; and the version to roll back to. Shared by self-managed groups and managed groups with a
 * launch template of their own, so both follow the same rules.
 */
export async function targetVersionOf(
  ec2: EC2Client,
  launchTemplateId: string,
  currentSpec: string,
  amiId: string,
  executionName: string,
): Promise<{
  form: ReferenceForm;
  versions: LaunchTemplateVersion[];
  targetVersion: number;
  previousVersion: number;
}> {
  const form = referenceFormOf(currentSpec);
  const versions = await describeLaunchTemplateVersions(ec2, launchTemplateId);
  const current = resolveVersion(currentSpec, versions);
  if (!current) {
    throw new NodeGroupNotFound(
      `Launch template ${launchTemplateId} has no version ${currentSpec}: fix the group's launch template.`,
    );
  }
  const aliases = await resolvedAliases(ec2, launchTemplateId, versions);
  const decision = decideLaunchTemplate(versions, current, amiId, form, (v) =>
    isSsmAlias(v.imageId) ? aliases.get(v.versionNumber) : v.imageId,
  );
  const targetVersion =
    decision.reuseVersion ??
    (await createLaunchTemplateVersion(
      ec2,
      launchTemplateId,
      decision.sourceVersion,
      amiId,
      `${amiId} by eks-windows-patcher execution ${executionName}`,
      clientToken(executionName, 'target'),
    ));
  return { form, versions, targetVersion, previousVersion: decision.previousVersion };
}

/** The AMIs the `resolve:ssm:` versions launch now (EC2 resolves them; no AMI call on an alias). */
async function resolvedAliases(
  ec2: EC2Client,
  launchTemplateId: string,
  versions: LaunchTemplateVersion[],
): Promise<Map<number, string | undefined>> {
  const aliased = versions.filter((v) => isSsmAlias(v.imageId)).map((v) => String(v.versionNumber));
  if (aliased.length === 0) return new Map();
  const resolved = await describeLaunchTemplateVersions(ec2, launchTemplateId, aliased, {
    resolveAlias: true,
  });
  return new Map(resolved.map((v) => [v.versionNumber, v.imageId]));
}
