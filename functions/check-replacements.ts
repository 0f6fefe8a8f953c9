import * as z from 'zod';
import { describeGroup, recentActivities } from './adapters/autoscaling.ts';
import { describeInstances } from './adapters/ec2.ts';
import { autoScalingClient, ec2Client } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { LaunchFailed, NodeGroupNotFound, ReplacementNotReady } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { batchSchema, rolloutGroupSchema, type WaitState, waitSchema } from './commons/state.ts';
import { nodesByInstance } from './domain/nodes.ts';
import {
  defaultBootSeconds,
  launchFailure,
  nextCheckSeconds,
  observedBootSeconds,
  replacementProblem,
} from './domain/replacements.ts';

const event = z.object({
  input: rolloutInputSchema,
  group: rolloutGroupSchema,
  batch: batchSchema,
  /** null when the previous batch's cordon launched these replacements: the wait begins now. */
  wait: waitSchema.nullable(),
});

type Deps = Pick<Dependencies, 'ec2' | 'autoScaling' | 'kubernetes' | 'now'>;

/** Are there enough Ready Windows replacements on the target AMI? Fails at the deadline. */
export const makeHandler = (deps: Deps) =>
  lambdaHandler(event, async ({ input, group, batch, wait: previous }): Promise<WaitState> => {
    const now = deps.now();
    const wait = previous ?? {
      done: false,
      seconds: 1,
      deadline: now + input.readyTimeoutSeconds * 1000,
      since: now,
    };
    const current = await describeGroup(deps.autoScaling, group.asgName);
    if (!current)
      throw new NodeGroupNotFound(`Auto Scaling group ${group.asgName} disappeared during the rollout.`);
    const live = current.instances
      .filter((i) => !/^Terminat/.test(i.lifecycleState))
      .map((i) => i.instanceId);
    const kubernetes = await deps.kubernetes(input.clusterName);
    const [instances, nodes] = await Promise.all([describeInstances(deps.ec2, live), kubernetes.listNodes()]);
    const byInstance = nodesByInstance(nodes);
    const expected = {
      windowsBuild: group.windowsBuild,
      requiredImages: input.requireCachedImages ? group.imagesToMove : [],
    };
    const replacements = instances
      .filter((i) => i.imageId === group.targetAmiId)
      .map((i) => ({
        ...i,
        node: byInstance.get(i.instanceId),
        problem: replacementProblem(byInstance.get(i.instanceId), expected),
      }));
    const ready = replacements.filter((r) => r.problem === undefined);
    if (ready.length >= batch.readyTarget) return { ...wait, done: true };

    const pending = replacements.filter((r) => r.problem !== undefined);
    const failure = launchFailure(await recentActivities(deps.autoScaling, group.asgName), wait.since);
    if (failure && ready.length + pending.length < batch.readyTarget) {
      throw new LaunchFailed(
        `Auto Scaling group ${group.asgName} could not launch replacements from launch template ` +
          `${group.launchTemplateId} version ${group.targetVersion}: ${failure} Fix the capacity or the template, then run again.`,
      );
    }
    if (now >= wait.deadline) {
      const missing = batch.readyTarget - ready.length;
      const detail =
        pending.map((r) => `${r.instanceId} ${r.problem}`).join('; ') || 'no instance was launched';
      throw new ReplacementNotReady(
        `${missing} replacement node(s) from ${group.targetAmiId} were not Ready within ${input.readyTimeoutSeconds} s ` +
          `(${detail}): check the AMI's bootstrap (user data, kubelet logs) before running again; no old node was drained in this batch.`,
      );
    }
    const boot =
      observedBootSeconds(
        ready.flatMap((r) => (r.node ? [{ launchTime: r.launchTime, node: r.node }] : [])),
      ) ?? defaultBootSeconds;
    const seconds = nextCheckSeconds(
      now,
      pending.map((r) => r.launchTime),
      boot,
      wait.since,
    );
    return {
      ...wait,
      done: false,
      seconds: Math.min(seconds, Math.max(1, Math.ceil((wait.deadline - now) / 1000))),
    };
  });

export const handler = makeHandler({
  ec2: ec2Client(),
  autoScaling: autoScalingClient(),
  kubernetes: kubernetesConnector(),
  now: Date.now,
});
