import * as z from 'zod';
import { instanceRefreshInProgress } from './adapters/autoscaling.ts';
import {
  describeAmi,
  describeFastLaunch,
  describeInstances,
  describeLaunchTemplateVersions,
} from './adapters/ec2.ts';
import { imageBuilderFacts } from './adapters/imagebuilder.ts';
import { clusterVersion, resolveNodeGroup } from './adapters/node-group.ts';
import { autoScalingClient, ec2Client, eksClient, imageBuilderClient } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { AmiNotFound, InvalidInput, NodeGroupNotWindows } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { executionSchema, type ManagedGroup, type Verified } from './commons/state.ts';
import { amiTags, verifyAmi, windowsBuildOf } from './domain/ami.ts';
import { fastLaunchVerdict } from './domain/fast-launch.ts';
import { refuseGroupForm } from './domain/group-form.ts';
import { originalSizeTag, ownSize } from './domain/group-size.ts';
import { type ManagedNodegroupFacts, managedGroupRefusal, releaseTarget } from './domain/managed.ts';
import { isWindowsNode, nodesByInstance, windowsBuildOfNode } from './domain/nodes.ts';
import { suspendedByOthers } from './domain/processes.ts';

// The CLI's plan has no execution (and, as a dry run, never waits).
const event = z.object({ input: rolloutInputSchema, execution: executionSchema.optional() });

type Deps = Pick<Dependencies, 'ec2' | 'autoScaling' | 'eks' | 'imageBuilder' | 'kubernetes' | 'now'>;

/** Is the AMI acceptable for this node group? Every refusal is a named error; nothing changes. */
export const makeHandler = (deps: Deps) =>
  lambdaHandler(event, async ({ input, execution }): Promise<Verified> => {
    const group = await resolveNodeGroup(
      deps.eks,
      deps.autoScaling,
      deps.ec2,
      input.clusterName,
      input.nodeGroupName,
    );
    const suspendedProcesses = suspendedByOthers(group.suspendedProcesses, group.tags);
    const launchTemplate = refuseGroupForm(
      { ...group, suspendedProcesses },
      await instanceRefreshInProgress(deps.autoScaling, group.asgName),
    );
    if (input.updateConfig !== undefined && !group.managed) {
      throw new InvalidInput(
        `updateConfig: node group ${input.nodeGroupName} is self-managed, and updateConfig is EKS's setting for managed ` +
          'node groups. Remove it; maxUnavailable sets the batch size of a self-managed group.',
      );
    }
    const refusal = group.managed && managedGroupRefusal(group.managed);
    if (refusal) throw refusal;
    const [version, kubernetes, ami] = await Promise.all([
      clusterVersion(deps.eks, input.clusterName),
      deps.kubernetes(input.clusterName),
      describeAmi(deps.ec2, input.amiId),
    ]);
    if (!ami) {
      throw new AmiNotFound(
        `AMI ${input.amiId} does not exist in this account and region (or is not shared with it): check amiId.`,
      );
    }
    const instanceIds = group.instances.map((i) => i.instanceId);
    const nodes = nodesByInstance(await kubernetes.listNodes());
    const groupNodes = instanceIds.flatMap((id) => nodes.get(id) ?? []);
    const nonWindows = groupNodes.filter((node) => !isWindowsNode(node));
    if ((instanceIds.length > 0 && groupNodes.length === 0) || nonWindows.length > 0) {
      throw new NodeGroupNotWindows(
        groupNodes.length === 0
          ? `Node group ${input.nodeGroupName} has no node in cluster ${input.clusterName}: nothing to compare the AMI with; check nodeGroupName.`
          : `Node group ${input.nodeGroupName} runs non-Windows nodes (${nonWindows.length} of ${groupNodes.length}): this service replaces Windows nodes only.`,
      );
    }
    // A group at zero instances: what it would launch (its template's AMI) stands for its nodes.
    const currentImageId =
      instanceIds.length > 0
        ? (await describeInstances(deps.ec2, instanceIds.slice(0, 1)))[0]?.imageId
        : (
            await describeLaunchTemplateVersions(deps.ec2, launchTemplate.id, [launchTemplate.version], {
              resolveAlias: true,
            })
          )[0]?.imageId;
    const currentAmi = currentImageId ? await describeAmi(deps.ec2, currentImageId) : undefined;
    if (instanceIds.length === 0 && currentAmi?.platform?.toLowerCase() !== 'windows') {
      throw new NodeGroupNotWindows(
        `Node group ${input.nodeGroupName} has no instances and its launch template launches ${currentImageId ?? 'no AMI'}, not a Windows AMI: this service replaces Windows nodes only.`,
      );
    }
    const nodeBuilds =
      instanceIds.length > 0
        ? groupNodes.flatMap((node) => windowsBuildOfNode(node) ?? [])
        : [currentAmi ? windowsBuildOf(currentAmi) : undefined].flatMap((build) => build ?? []);
    const builderArn = ami.tags[amiTags.imageBuilderArn];
    const verdict = verifyAmi(
      ami,
      {
        windowsBuilds: nodeBuilds,
        architecture: currentAmi?.architecture,
        clusterVersion: version,
      },
      builderArn ? await imageBuilderFacts(deps.imageBuilder, builderArn) : undefined,
      input,
    );
    if (verdict.refusal) throw verdict.refusal;
    // Looked at again after each WaitForFastLaunch, with every check above: the wait changes nothing.
    const now = deps.now();
    const fastLaunch = fastLaunchVerdict(await describeFastLaunch(deps.ec2, ami.amiId), {
      amiId: ami.amiId,
      waitSeconds: input.dryRun ? 0 : input.fastLaunchWaitSeconds,
      since: execution ? Date.parse(execution.startTime) : now,
      now,
    });
    if (fastLaunch.refusal) throw fastLaunch.refusal;
    const managed = group.managed && managedFacts(group.managed, ami);
    return {
      ami: {
        amiId: ami.amiId,
        name: ami.name,
        windowsBuild: verdict.windowsBuild ?? '',
        kubernetesVersion: verdict.kubernetesVersion ?? '',
      },
      group: {
        asgName: group.asgName,
        // A managed group's own template; without one, the template EKS made for its Auto Scaling group.
        launchTemplateId: group.managed?.launchTemplate?.id ?? launchTemplate.id,
        launchTemplateVersion: group.managed?.launchTemplate?.version ?? launchTemplate.version,
        ...ownSize(group, group.tags[originalSizeTag]),
        windowsBuild: nodeBuilds[0] ?? '',
        suspendedProcesses,
        managed,
      },
      checks: verdict.checks,
      fastLaunch: fastLaunch.verdict,
    };
  });

/** What the managed branch needs of the group; without a launch template, the target release (or the refusal). */
function managedFacts(group: ManagedNodegroupFacts, ami: { amiId: string; name: string }): ManagedGroup {
  const facts: ManagedGroup = {
    nodegroupName: group.nodegroupName,
    launchTemplate: group.launchTemplate,
    releaseVersion: group.releaseVersion,
    updateConfig: group.updateConfig,
  };
  if (group.launchTemplate) return facts;
  const target = releaseTarget(group, ami);
  if ('refusal' in target) throw target.refusal;
  return { ...facts, targetReleaseVersion: target.targetReleaseVersion };
}

export const handler = makeHandler({
  ec2: ec2Client(),
  autoScaling: autoScalingClient(),
  eks: eksClient(),
  imageBuilder: imageBuilderClient(),
  kubernetes: kubernetesConnector(),
  now: Date.now,
});
