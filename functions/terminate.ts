import * as z from 'zod';
import { describeGroup, terminateInstance } from './adapters/autoscaling.ts';
import { autoScalingClient } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { NodeGroupNotFound } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { batchSchema, rolloutGroupSchema, type WaitState, waitSchema } from './commons/state.ts';
import { nodesGone, pollSpacing } from './domain/polling.ts';

const event = z.object({
  input: rolloutInputSchema,
  group: rolloutGroupSchema,
  batch: batchSchema,
  /** null on the first call. */
  terminate: waitSchema.nullable(),
});

/** Lifecycle states from which the group can still terminate an instance. */
const terminable = new Set(['InService', 'Pending', 'Pending:Wait', 'Pending:Proceed', 'Standby']);

/**
 * Drained nodes leave through the group (desired decremented). The next batch does not wait for
 * them to finish shutting down: they hold no pod and no capacity any more. The execution's last batch
 * waits until the instances and nodes are gone (at most `nodesGone.timeoutSeconds`: a node the cloud
 * controller keeps is its business), so the rollout ends with the group as it stays.
 */
export const makeHandler = (deps: Pick<Dependencies, 'autoScaling' | 'kubernetes' | 'now'>) =>
  lambdaHandler(event, async ({ input, group, batch, terminate }): Promise<WaitState> => {
    const now = deps.now();
    const wait = terminate ?? {
      done: false,
      seconds: nodesGone.firstLookSeconds,
      deadline: now + nodesGone.timeoutSeconds * 1000,
      since: now,
    };
    const current = await describeGroup(deps.autoScaling, group.asgName);
    if (!current)
      throw new NodeGroupNotFound(`Auto Scaling group ${group.asgName} disappeared during the rollout.`);
    const inGroup = new Map(current.instances.map((i) => [i.instanceId, i.lifecycleState]));
    for (const { instanceId } of batch.nodes) {
      if (terminable.has(inGroup.get(instanceId) ?? ''))
        await terminateInstance(deps.autoScaling, instanceId);
    }
    if (batch.nextSize > 0) return { ...wait, done: true };
    const kubernetes = await deps.kubernetes(input.clusterName);
    const nodesLeft = await Promise.all(
      batch.nodes.map(async ({ nodeName }) =>
        nodeName ? (await kubernetes.getNode(nodeName)) !== undefined : false,
      ),
    );
    const instancesLeft = batch.nodes.filter(({ instanceId }) => inGroup.has(instanceId));
    const gone = instancesLeft.length === 0 && !nodesLeft.includes(true);
    const seconds = terminate ? pollSpacing((now - wait.since) / 1000, nodesGone.pollSeconds) : wait.seconds;
    return { ...wait, done: gone || now >= wait.deadline, seconds };
  });

export const handler = makeHandler({
  autoScaling: autoScalingClient(),
  kubernetes: kubernetesConnector(),
  now: Date.now,
});
