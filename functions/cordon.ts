import * as z from 'zod';
import { describeGroup, raiseDesiredCapacity } from './adapters/autoscaling.ts';
import { batchMembers, cordonNodes } from './adapters/kubernetes/batch-nodes.ts';
import { autoScalingClient } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { NodeGroupNotFound } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { batchSchema, executionSchema, rolloutGroupSchema } from './commons/state.ts';

const event = z.object({
  input: rolloutInputSchema,
  group: rolloutGroupSchema,
  batch: batchSchema,
  execution: executionSchema,
});

/**
 * Cordons the batch's nodes as they are now (matched to its instances by providerID: a node may have
 * joined since Plan), with our annotation. Then the next batch's replacements are launched, so they
 * boot while this batch drains: desired covers the original size, this batch (not yet terminated)
 * and the next one.
 */
export const makeHandler = (deps: Pick<Dependencies, 'kubernetes' | 'autoScaling'>) =>
  lambdaHandler(event, async ({ input, group, batch, execution }) => {
    const kubernetes = await deps.kubernetes(input.clusterName);
    const members = await batchMembers(
      kubernetes,
      batch.nodes.map((n) => n.instanceId),
    );
    const cordoned = await cordonNodes(
      kubernetes,
      members.flatMap((m) => (m.node ? [m.node] : [])),
      execution.name,
    );
    if (batch.nextSize > 0) {
      const current = await describeGroup(deps.autoScaling, group.asgName);
      if (!current)
        throw new NodeGroupNotFound(`Auto Scaling group ${group.asgName} disappeared during the rollout.`);
      await raiseDesiredCapacity(
        deps.autoScaling,
        current,
        group.original.desired + batch.nodes.length + batch.nextSize,
      );
    }
    return { cordoned, launched: batch.nextSize };
  });

export const handler = makeHandler({ kubernetes: kubernetesConnector(), autoScaling: autoScalingClient() });
