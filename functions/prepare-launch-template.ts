import * as z from 'zod';
import { describeGroup, pointGroupAt, suspendForRollout } from './adapters/autoscaling.ts';
import {
  createLaunchTemplateVersion,
  describeLaunchTemplateVersions,
  type LaunchTemplateVersion,
  setDefaultVersion,
} from './adapters/ec2.ts';
import { autoScalingClient, ec2Client } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { NodeGroupNotFound } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { executionSchema, planSchema, type RolloutGroup, verifiedSchema } from './commons/state.ts';
import {
  clientToken,
  decideLaunchTemplate,
  isSsmAlias,
  referenceFormOf,
  resolveVersion,
} from './domain/launch-template.ts';
import { processesToSuspend } from './domain/processes.ts';

const event = z.object({
  input: rolloutInputSchema,
  execution: executionSchema,
  verified: verifiedSchema,
  plan: planSchema,
});

/**
 * Makes the group launch the target AMI without changing how it names its version: AZRebalance
 * suspended first, then a version equal to the current one apart from ImageId (reused or created,
 * with the explicit AMI even when the current one reads it from SSM), and the group (a number),
 * the default version (`$Default`) or nothing (`$Latest`: the new version is the newest) moved to it.
 */
export const makeHandler = (deps: Pick<Dependencies, 'ec2' | 'autoScaling'>) =>
  lambdaHandler(event, async ({ input, execution, verified, plan }): Promise<RolloutGroup> => {
    const { asgName, launchTemplateId } = verified.group;
    const group = await describeGroup(deps.autoScaling, asgName);
    if (!group?.launchTemplate) {
      throw new NodeGroupNotFound(
        `Auto Scaling group ${asgName} or its launch template disappeared before the rollout.`,
      );
    }
    await suspendForRollout(deps.autoScaling, asgName, processesToSuspend(verified.group.suspendedProcesses));
    const spec = verified.group.launchTemplateVersion;
    const form = referenceFormOf(spec);
    const versions = await describeLaunchTemplateVersions(deps.ec2, launchTemplateId);
    const current = resolveVersion(spec, versions);
    if (!current) {
      throw new NodeGroupNotFound(
        `Launch template ${launchTemplateId} has no version ${spec}: fix the group's launch template.`,
      );
    }
    const aliases = await resolvedAliases(deps, launchTemplateId, versions);
    const decision = decideLaunchTemplate(versions, current, input.amiId, form, (v) =>
      isSsmAlias(v.imageId) ? aliases.get(v.versionNumber) : v.imageId,
    );
    const targetVersion =
      decision.reuseVersion ??
      (await createLaunchTemplateVersion(
        deps.ec2,
        launchTemplateId,
        decision.sourceVersion,
        input.amiId,
        `${input.amiId} by eks-windows-patcher execution ${execution.name}`,
        clientToken(execution.name, 'target'),
      ));
    if (form === 'number' && group.launchTemplate.version !== String(targetVersion)) {
      await pointGroupAt(deps.autoScaling, group, { id: launchTemplateId, version: String(targetVersion) });
    }
    if (form === '$Default' && !versions.some((v) => v.isDefault && v.versionNumber === targetVersion)) {
      await setDefaultVersion(deps.ec2, launchTemplateId, targetVersion);
    }
    return {
      asgName,
      launchTemplateId,
      reference: form,
      previousVersion: String(decision.previousVersion),
      targetVersion: String(targetVersion),
      targetAmiId: input.amiId,
      suspendedBefore: verified.group.suspendedProcesses,
      windowsBuild: verified.ami.windowsBuild,
      original: {
        minSize: verified.group.minSize,
        maxSize: verified.group.maxSize,
        desired: verified.group.desired,
      },
      imagesToMove: plan.imagesToMove,
    };
  });

/** The AMIs the `resolve:ssm:` versions launch now (EC2 resolves them; no AMI call on an alias). */
async function resolvedAliases(
  deps: Pick<Dependencies, 'ec2'>,
  launchTemplateId: string,
  versions: LaunchTemplateVersion[],
): Promise<Map<number, string | undefined>> {
  const aliased = versions.filter((v) => isSsmAlias(v.imageId)).map((v) => String(v.versionNumber));
  if (aliased.length === 0) return new Map();
  const resolved = await describeLaunchTemplateVersions(deps.ec2, launchTemplateId, aliased, {
    resolveAlias: true,
  });
  return new Map(resolved.map((v) => [v.versionNumber, v.imageId]));
}

export const handler = makeHandler({ ec2: ec2Client(), autoScaling: autoScalingClient() });
