import * as z from 'zod';
import { describeAmi, describeInstances } from './adapters/ec2.ts';
import { imageBuilderFacts } from './adapters/imagebuilder.ts';
import { clusterVersion, resolveNodeGroup } from './adapters/node-group.ts';
import { autoScalingClient, ec2Client, eksClient, imageBuilderClient } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { AmiNotFound, NodeGroupNotWindows } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import type { Verified } from './commons/state.ts';
import { amiTags, verifyAmi } from './domain/ami.ts';
import { isWindowsNode, nodesByInstance, windowsBuildOfNode } from './domain/nodes.ts';

const event = z.object({ input: rolloutInputSchema });

type Deps = Pick<Dependencies, 'ec2' | 'autoScaling' | 'eks' | 'imageBuilder' | 'kubernetes'>;

/** Is the AMI acceptable for this node group? Every refusal is a named error; nothing changes. */
export const makeHandler = (deps: Deps) =>
  lambdaHandler(event, async ({ input }): Promise<Verified> => {
    const group = await resolveNodeGroup(deps.eks, deps.autoScaling, input.clusterName, input.nodeGroupName);
    if (!group.launchTemplate) {
      throw new NodeGroupNotWindows(
        `Auto Scaling group ${group.asgName} has no launch template (launch configurations cannot be versioned): ` +
          'move the group to a launch template first.',
      );
    }
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
    if (groupNodes.length === 0 || nonWindows.length > 0) {
      throw new NodeGroupNotWindows(
        groupNodes.length === 0
          ? `Node group ${input.nodeGroupName} has no node in cluster ${input.clusterName}: nothing to compare the AMI with; check nodeGroupName.`
          : `Node group ${input.nodeGroupName} runs non-Windows nodes (${nonWindows.length} of ${groupNodes.length}): this service replaces Windows nodes only.`,
      );
    }
    const currentImageId = (await describeInstances(deps.ec2, instanceIds.slice(0, 1)))[0]?.imageId;
    const currentAmi = currentImageId ? await describeAmi(deps.ec2, currentImageId) : undefined;
    const nodeBuilds = groupNodes.flatMap((node) => windowsBuildOfNode(node) ?? []);
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
    return {
      ami: {
        amiId: ami.amiId,
        name: ami.name,
        windowsBuild: verdict.windowsBuild ?? '',
        kubernetesVersion: verdict.kubernetesVersion ?? '',
      },
      group: {
        asgName: group.asgName,
        launchTemplateId: group.launchTemplate.id,
        launchTemplateVersion: group.launchTemplate.version,
        minSize: group.minSize,
        maxSize: group.maxSize,
        desired: group.desired,
        windowsBuild: nodeBuilds[0] ?? '',
      },
      checks: verdict.checks,
    };
  });

export const handler = makeHandler({
  ec2: ec2Client(),
  autoScaling: autoScalingClient(),
  eks: eksClient(),
  imageBuilder: imageBuilderClient(),
  kubernetes: kubernetesConnector(),
});
