import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { V1Node } from '@kubernetes/client-node';
import { NodeGroupNotFound } from '../commons/errors.ts';
import { isNodeReady, nodesByInstance } from '../domain/nodes.ts';
import { nextBatchDesired } from '../domain/replacements.ts';
import { describeGroup, raiseDesiredCapacity } from './autoscaling.ts';
import { describeInstances } from './ec2.ts';

/**
 * Launches the replacements of instances still to come (`ahead`), from what the group holds now:
 * one for each of them still in the group, on top of its old instances and the replacements it keeps
 * (`kept`, given the ids of the group's live instances). Absolute, so a retry launches nothing more.
 * Returns how many it asked for.
 */
export async function launchAhead(
  clients: { autoScaling: AutoScalingClient; ec2: EC2Client },
  group: { asgName: string; targetAmiId: string },
  nodes: V1Node[],
  plan: { ahead: string[]; kept: (liveIds: Set<string>) => number },
): Promise<number> {
  const current = await describeGroup(clients.autoScaling, group.asgName);
  if (!current)
    throw new NodeGroupNotFound(`Auto Scaling group ${group.asgName} disappeared during the rollout.`);
  const live = current.instances.filter((i) => !/^Terminat/.test(i.lifecycleState));
  const liveIds = new Set(live.map((i) => i.instanceId));
  const byInstance = nodesByInstance(nodes);
  const images = await describeInstances(clients.ec2, [...liveIds]);
  const onTarget = images.filter((i) => i.imageId === group.targetAmiId);
  const booting = onTarget.filter((i) => {
    const node = byInstance.get(i.instanceId);
    return !(node && isNodeReady(node));
  });
  const desired = nextBatchDesired(
    {
      desired: current.desired,
      live: live.length,
      booting: booting.length,
      old: images.length - onTarget.length,
    },
    { kept: plan.kept(liveIds), next: plan.ahead.filter((id) => liveIds.has(id)).length },
  );
  await raiseDesiredCapacity(clients.autoScaling, current, desired);
  return Math.max(0, desired - current.desired);
}
