import { z } from 'zod';
import type { Dependencies } from './commons/dependencies.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { batchSchema, executionSchema } from './commons/state.ts';
import { cordonedByAnnotation } from './domain/nodes.ts';

const event = z.object({ input: rolloutInputSchema, batch: batchSchema, execution: executionSchema });

/**
 * Marks the batch unschedulable, with our annotation so a rollback uncordons only what we cordoned.
 * A node already unschedulable is left as it is (someone else cordoned it; it stays cordoned).
 */
export const makeHandler = (deps: Pick<Dependencies, 'kubernetes'>) =>
  lambdaHandler(event, async ({ input, batch, execution }) => {
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
    return { cordoned };
  });

export const handler = makeHandler({ kubernetes: kubernetesConnector() });
