import * as z from 'zod';
import { cordonNodes } from './adapters/kubernetes/batch-nodes.ts';
import { launchAhead } from './adapters/launch-ahead.ts';
import { autoScalingClient, ec2Client } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { batchSchema, executionSchema, rolloutGroupSchema } from './commons/state.ts';
import { matchBatch, memberNodes } from './domain/members.ts';

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
 * what the group holds now (nextBatchDesired). Usually the first batch's surge or the terminate of the
 * batch before this one launched them already, and this asks for nothing more.
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
    const launched = await launchAhead(deps, group, nodes, {
      ahead: batch.next,
      // A removal batch's own instances are an earlier run's replacements: it keeps what it holds.
      kept: (live) =>
        batch.removal
          ? live.size
          : batch.readyTarget - batch.nodes.filter((n) => !live.has(n.instanceId)).length,
    });
    return { cordoned, launched };
  });

export const handler = makeHandler({
  kubernetes: kubernetesConnector(),
  autoScaling: autoScalingClient(),
  ec2: ec2Client(),
});
