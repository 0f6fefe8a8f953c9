import * as z from 'zod';
import { describeGroup, updateGroup } from './adapters/autoscaling.ts';
import { createLaunchTemplateVersion, describeLaunchTemplateVersions } from './adapters/ec2.ts';
import { autoScalingClient, ec2Client } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { NodeGroupNotFound } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { executionSchema, planSchema, type RolloutGroup, verifiedSchema } from './commons/state.ts';
import { decideLaunchTemplate, resolveVersion } from './domain/launch-template.ts';

const event = z.object({
  input: rolloutInputSchema,
  execution: executionSchema,
  verified: verifiedSchema,
  plan: planSchema,
});

/** A launch template version with only ImageId changed, and the group pointed at it. */
export const makeHandler = (deps: Pick<Dependencies, 'ec2' | 'autoScaling'>) =>
  lambdaHandler(event, async ({ input, execution, verified, plan }): Promise<RolloutGroup> => {
    const { asgName, launchTemplateId } = verified.group;
    const group = await describeGroup(deps.autoScaling, asgName);
    if (!group?.launchTemplate) {
      throw new NodeGroupNotFound(
        `Auto Scaling group ${asgName} or its launch template disappeared before the rollout.`,
      );
    }
    const versions = await describeLaunchTemplateVersions(deps.ec2, launchTemplateId);
    const current = resolveVersion(group.launchTemplate.version, versions);
    if (!current) {
      throw new NodeGroupNotFound(
        `Launch template ${launchTemplateId} has no version ${group.launchTemplate.version}: fix the group's launch template.`,
      );
    }
    const decision = decideLaunchTemplate(versions, current, input.amiId);
    const targetVersion =
      decision.reuseVersion ??
      (await createLaunchTemplateVersion(
        deps.ec2,
        launchTemplateId,
        decision.sourceVersion,
        input.amiId,
        `${input.amiId} by eks-windows-patcher execution ${execution.name}`,
      ));
    if (group.launchTemplate.version !== String(targetVersion)) {
      await updateGroup(deps.autoScaling, asgName, {
        launchTemplate: { id: launchTemplateId, version: String(targetVersion) },
      });
    }
    return {
      asgName,
      launchTemplateId,
      previousVersion: String(decision.previousVersion),
      targetVersion: String(targetVersion),
      targetAmiId: input.amiId,
      windowsBuild: verified.ami.windowsBuild,
      original: {
        minSize: verified.group.minSize,
        maxSize: verified.group.maxSize,
        desired: verified.group.desired,
      },
      imagesToMove: plan.imagesToMove,
    };
  });

export const handler = makeHandler({ ec2: ec2Client(), autoScaling: autoScalingClient() });
