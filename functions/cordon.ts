import * as z from 'zod';
import { describeGroup, raiseDesiredCapacity } from './adapters/autoscaling.ts';
import { autoScalingClient } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { NodeGroupNotFound } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { batchSchema, executionSchema, rolloutGroupSchema } from './commons/state.ts';
import { cordonedByAnnotation } from './domain/nodes.ts';

const event = z.object({
  input: rolloutInputSchema,
  group: rolloutGroupSchema,
  batch: batchSchema,
  execution: executionSchema,
});

/**
 * Marks the batch unschedulable, with our annotation so a rollback uncordons only what we cordoned.
 * A node already unschedulable is left as it is (someone else cordoned it; it stays cordoned).
 * Then the next batch's replacements are launched, so they boot while this batch drains: desired
 * covers the original size, this batch (not yet terminated) and the next one.
 */
export const makeHandler = (deps: Pick<Dependencies, 'kubernetes' | 'autoScaling'>) =>
  lambdaHandler(event, async ({ input, group, batch, execution }) => {
    const kubernetes = await deps.kubernetes(input.clusterName);
    const cordoned: string[] = [];
    for (const { nodeName } of batch.nodes) {
      const node = nodeName ? await kubernetes.getNode(nodeName) : undefined;
      if (!node || node.spec?.unschedulable) continue;
      await kubernetes.patchNode(nodeName, {
        unschedulable: true,
        annotations: { [cordonedByAnnotation]: execution.name },
      });
      cordoned.push(nodeName);
    }
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
