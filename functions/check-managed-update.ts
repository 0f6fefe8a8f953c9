import * as z from 'zod';
import { describeGroup } from './adapters/autoscaling.ts';
import { describeInstances } from './adapters/ec2.ts';
import { describeUpdate } from './adapters/managed-node-group.ts';
import { autoScalingClient, ec2Client, eksClient } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { ManagedUpdateStalled } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { logger } from './commons/powertools.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { type ManagedUpdate, rolloutGroupSchema } from './commons/state.ts';
import { managedUpdatePoll, updateFailure } from './domain/managed.ts';
import { controllerOf, isNodeReady, nodesByInstance, podKey } from './domain/nodes.ts';

const event = z.object({ input: rolloutInputSchema, group: rolloutGroupSchema });

type Deps = Pick<Dependencies, 'ec2' | 'eks' | 'autoScaling' | 'kubernetes' | 'now'>;

/**
 * One look at EKS's update (DescribeUpdate) and, from the Kubernetes side, how many of the group's
 * nodes are Ready on the target AMI. Failed: EKS's error by name, with the nodes and their pods.
 */
export const makeHandler = (deps: Deps) =>
  lambdaHandler(event, async ({ input, group }): Promise<ManagedUpdate> => {
    const managed = group.managed;
    if (!managed) throw new TypeError('CheckManagedUpdate needs a managed node group');
    const { update: wait, nodegroupName } = managed;
    const { clusterName } = input;
    const kubernetes = await deps.kubernetes(clusterName);
    const [update, asg, nodes] = await Promise.all([
      describeUpdate(deps.eks, { clusterName, nodegroupName, updateId: wait.id }),
      describeGroup(deps.autoScaling, group.asgName),
      kubernetes.listNodes(),
    ]);
    const live = (asg?.instances ?? [])
      .filter((i) => !/^Terminat/.test(i.lifecycleState))
      .map((i) => i.instanceId);
    const byInstance = nodesByInstance(nodes);
    const onTarget = (await describeInstances(deps.ec2, live)).filter((instance) => {
      const node = byInstance.get(instance.instanceId);
      return instance.imageId === group.targetAmiId && node !== undefined && isNodeReady(node);
    }).length;
    const progress = { ...wait, nodesOnTarget: Math.min(onTarget, group.original.desired) };
    logger.info('Managed node group update', {
      nodegroupName,
      updateId: wait.id,
      status: update.status,
      nodesOnTarget: progress.nodesOnTarget,
      nodes: progress.nodes,
    });
    if (update.status === 'Successful') return { ...progress, done: true };
    if (update.status === 'Failed' || update.status === 'Cancelled') {
      const pods = await kubernetes.listPods(undefined);
      const podsOn = (nodeName: string) =>
        pods
          .filter((pod) => pod.spec?.nodeName === nodeName && controllerOf(pod)?.kind !== 'DaemonSet')
          .map(podKey);
      throw updateFailure(nodegroupName, wait.id, update.errors, podsOn);
    }
    const now = deps.now();
    if (now >= wait.deadline) {
      throw new ManagedUpdateStalled(
        `EKS's update ${wait.id} of managed node group ${nodegroupName} is still ${update.status} at the rollout's deadline ` +
          `(${progress.nodesOnTarget} of ${progress.nodes} nodes on ${group.targetAmiId}): follow it with aws eks describe-update, ` +
          'and run the rollout again once it has ended.',
      );
    }
    return { ...progress, done: false, seconds: managedUpdatePoll(wait.since, wait.deadline, now) };
  });

export const handler = makeHandler({
  ec2: ec2Client(),
  eks: eksClient(),
  autoScaling: autoScalingClient(),
  kubernetes: kubernetesConnector(),
  now: Date.now,
});
