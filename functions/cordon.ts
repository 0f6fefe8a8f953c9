import * as z from 'zod';
import { describeGroup, raiseDesiredCapacity } from './adapters/autoscaling.ts';
import { describeInstances } from './adapters/ec2.ts';
import { cordonNodes } from './adapters/kubernetes/batch-nodes.ts';
import { autoScalingClient, ec2Client } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { NodeGroupNotFound } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { batchSchema, executionSchema, rolloutGroupSchema } from './commons/state.ts';
import { matchBatch, memberNodes } from './domain/members.ts';
import { isNodeReady, nodesByInstance } from './domain/nodes.ts';
import { nextBatchDesired } from './domain/replacements.ts';

const event = z.object({
  input: rolloutInputSchema,
  group: rolloutGroupSchema,
  batch: batchSchema,
  execution: executionSchema,
});

/**
 * Cordons the batch's nodes as they are now (matched to its instances by providerID: a node may have
 * joined since Plan), with our annotation. Then the next batch's replacements are launched, so they
 * boot while this batch drains: one for each instance of the next batch still in the group, on top of
 * what the group holds now (nextBatchDesired).
 */
export const makeHandler = (deps: Pick<Dependencies, 'kubernetes' | 'autoScaling' | 'ec2'>) =>
  lambdaHandler(event, async ({ input, group, batch, execution }) => {
    const kubernetes = await deps.kubernetes(input.clusterName);
    const nodes = await kubernetes.listNodes();
    const members = matchBatch(
      batch.nodes.map((n) => n.instanceId),
      nodes,
    );
    const cordoned = await cordonNodes(kubernetes, memberNodes(members), execution.name);
    if (batch.next.length === 0) return { cordoned, launched: 0 };
    const current = await describeGroup(deps.autoScaling, group.asgName);
    if (!current)
      throw new NodeGroupNotFound(`Auto Scaling group ${group.asgName} disappeared during the rollout.`);
    const live = current.instances.filter((i) => !/^Terminat/.test(i.lifecycleState));
    const liveIds = new Set(live.map((i) => i.instanceId));
    const byInstance = nodesByInstance(nodes);
    const images = await describeInstances(
      deps.ec2,
      live.map((i) => i.instanceId),
    );
    const onTarget = images.filter((i) => i.imageId === group.targetAmiId);
    const booting = onTarget.filter((i) => {
      const node = byInstance.get(i.instanceId);
      return !(node && isNodeReady(node));
    });
    const inBatch = batch.nodes.filter((n) => liveIds.has(n.instanceId)).length;
    const desired = nextBatchDesired(
      {
        desired: current.desired,
        live: live.length,
        booting: booting.length,
        old: images.length - onTarget.length,
      },
      {
        // A removal batch's own instances are an earlier run's replacements: it keeps what it holds.
        kept: batch.removal ? live.length : batch.readyTarget - (batch.nodes.length - inBatch),
        next: batch.next.filter((id) => liveIds.has(id)).length,
      },
    );
    await raiseDesiredCapacity(deps.autoScaling, current, desired);
    return { cordoned, launched: Math.max(0, desired - current.desired) };
  });

export const handler = makeHandler({
  kubernetes: kubernetesConnector(),
  autoScaling: autoScalingClient(),
  ec2: ec2Client(),
});
