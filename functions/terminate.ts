import { z } from 'zod';
import { describeGroup, terminateInstance } from './adapters/autoscaling.ts';
import { autoScalingClient } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { NodeGroupNotFound } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { batchSchema, rolloutGroupSchema, type WaitState, waitSchema } from './commons/state.ts';

const event = z.object({
  input: rolloutInputSchema,
  group: rolloutGroupSchema,
  batch: batchSchema,
  wait: waitSchema,
});

/** Lifecycle states from which the group can still terminate an instance. */
const terminable = new Set(['InService', 'Pending', 'Pending:Wait', 'Pending:Proceed', 'Standby']);

/** Drained nodes leave through the group (desired decremented); done when instances and nodes are gone. */
export const makeHandler = (deps: Pick<Dependencies, 'autoScaling' | 'kubernetes'>) =>
  lambdaHandler(event, async ({ input, group, batch, wait }): Promise<WaitState> => {
    const current = await describeGroup(deps.autoScaling, group.asgName);
    if (!current)
      throw new NodeGroupNotFound(`Auto Scaling group ${group.asgName} disappeared during the rollout.`);
    const inGroup = new Map(current.instances.map((i) => [i.instanceId, i.lifecycleState]));
    for (const { instanceId } of batch.nodes) {
      if (terminable.has(inGroup.get(instanceId) ?? ''))
        await terminateInstance(deps.autoScaling, instanceId);
    }
    const kubernetes = await deps.kubernetes(input.clusterName);
    const nodesLeft = await Promise.all(
      batch.nodes.map(async ({ nodeName }) =>
        nodeName ? (await kubernetes.getNode(nodeName)) !== undefined : false,
      ),
    );
    const instancesLeft = batch.nodes.filter(({ instanceId }) => inGroup.has(instanceId));
    const done = instancesLeft.length === 0 && !nodesLeft.includes(true);
    return { ...wait, done, seconds: 30 };
  });

export const handler = makeHandler({ autoScaling: autoScalingClient(), kubernetes: kubernetesConnector() });
