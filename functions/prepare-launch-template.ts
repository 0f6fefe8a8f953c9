import * as z from 'zod';
import { describeGroup, pointGroupAt, suspendForRollout, tagGroup } from './adapters/autoscaling.ts';
import { setDefaultVersion } from './adapters/ec2.ts';
import { targetVersionOf } from './adapters/launch-template.ts';
import { replaceWarmPoolInstances } from './adapters/warm-pool.ts';
import { autoScalingClient, ec2Client } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { NodeGroupNotFound } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import {
  executionSchema,
  planSchema,
  type RolloutGroup,
  rolloutGroupBasis,
  verifiedSchema,
} from './commons/state.ts';
import { formatGroupSize, originalSizeTag } from './domain/group-size.ts';
import { processesToSuspend } from './domain/processes.ts';

const event = z.object({
  input: rolloutInputSchema,
  execution: executionSchema,
  verified: verifiedSchema,
  plan: planSchema,
});

/**
 * Makes the group launch the target AMI without changing how it names its version. First the group's
 * own size goes into a tag (unless an earlier run's is there), so that whatever stops this run, the next
 * one knows what size to give the group back; then AZRebalance is suspended, a version equal to the
 * current one apart from ImageId is reused or created (with the explicit AMI even when the current one
 * reads it from SSM), and the group (a number), the default version (`$Default`) or nothing (`$Latest`:
 * the new version is the newest) is moved to it. Last, the warm pool's instances made from another AMI
 * are terminated, so that no surge takes one (domain/warm-pool.ts).
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
    const basis = rolloutGroupBasis(input.amiId, verified, plan);
    if (group.tags[originalSizeTag] === undefined)
      await tagGroup(deps.autoScaling, asgName, originalSizeTag, formatGroupSize(basis.original));
    await suspendForRollout(deps.autoScaling, asgName, processesToSuspend(verified.group.suspendedProcesses));
    const { form, versions, targetVersion, previousVersion } = await targetVersionOf(
      deps.ec2,
      launchTemplateId,
      verified.group.launchTemplateVersion,
      input.amiId,
      execution.name,
    );
    if (form === 'number' && group.launchTemplate.version !== String(targetVersion)) {
      await pointGroupAt(deps.autoScaling, group, { id: launchTemplateId, version: String(targetVersion) });
    }
    if (form === '$Default' && !versions.some((v) => v.isDefault && v.versionNumber === targetVersion)) {
      await setDefaultVersion(deps.ec2, launchTemplateId, targetVersion);
    }
    // Now that the group names the target version, the pool refills from it.
    await replaceWarmPoolInstances(deps, asgName, input.amiId);
    return {
      ...basis,
      launchTemplateId,
      reference: form,
      previousVersion: String(previousVersion),
      targetVersion: String(targetVersion),
    };
  });

export const handler = makeHandler({ ec2: ec2Client(), autoScaling: autoScalingClient() });
