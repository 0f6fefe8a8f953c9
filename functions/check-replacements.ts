import * as z from 'zod';
import { describeGroup, raiseDesiredCapacity, recentActivities } from './adapters/autoscaling.ts';
import { describeInstances, goneInstances } from './adapters/ec2.ts';
import { markRetiring, protectFromScaleDown } from './adapters/kubernetes/batch-nodes.ts';
import { prePullImages } from './adapters/kubernetes/pre-pull.ts';
import { autoScalingClient, ec2Client } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { LaunchFailed, NodeGroupNotFound, ReplacementNotReady } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import {
  batchSchema,
  executionSchema,
  rolloutGroupSchema,
  type WaitState,
  waitSchema,
} from './commons/state.ts';
import { nodesJoinedSince } from './domain/members.ts';
import { nodesByInstance } from './domain/nodes.ts';
import {
  launchFailure,
  lostReplacements,
  nextCheckSeconds,
  observedBootSeconds,
  replacementNotReadyCause,
  replacementProblem,
  replacementsNeeded,
} from './domain/replacements.ts';

const event = z.object({
  input: rolloutInputSchema,
  group: rolloutGroupSchema,
  batch: batchSchema,
  execution: executionSchema,
  /** null when the previous batch's cordon launched these replacements: the wait begins now. */
  wait: waitSchema.nullable(),
});

type Deps = Pick<Dependencies, 'ec2' | 'autoScaling' | 'kubernetes' | 'now'>;

/**
 * Are there enough Ready Windows replacements on the target AMI? Then the group's old nodes get our
 * PreferNoSchedule taint, so evicted pods prefer the replacements. Protects them from the
 * cluster-autoscaler meanwhile, asks the group again for a replacement that vanished (the
 * autoscaler, a person), and fails at the deadline.
 */
export const makeHandler = (deps: Deps) =>
  lambdaHandler(event, async ({ input, group, batch, execution, wait: previous }): Promise<WaitState> => {
    const now = deps.now();
    const wait = previous ?? {
      done: false,
      seconds: 1,
      deadline: now + input.readyTimeoutSeconds * 1000,
      since: now,
      lost: 0,
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
    const joined = nodesJoinedSince(live, nodes, Date.parse(execution.startTime));
    await protectFromScaleDown(kubernetes, joined, execution.name);
    await prePullImages(kubernetes, joined, input.prePullImages ? group.imagesToMove : [], execution.name);
    const expected = {
      windowsBuild: group.windowsBuild,
      requiredImages: input.requireCachedImages ? group.imagesToMove : [],
    };
    const lifecycle = new Map(current.instances.map((i) => [i.instanceId, i.lifecycleState]));
    const replacements = instances
      .filter((i) => i.imageId === group.targetAmiId)
      .map((i) => ({
        ...i,
        node: byInstance.get(i.instanceId),
        problem: replacementProblem(byInstance.get(i.instanceId), expected, lifecycle.get(i.instanceId)),
      }));
    const ready = replacements.filter((r) => r.problem === undefined);
    const gone = await goneInstances(
      deps.ec2,
      { asgName: group.asgName, amiId: group.targetAmiId },
      Date.parse(execution.startTime),
    );
    const needed = replacementsNeeded(batch.readyTarget, {
      desired: current.desired,
      old: instances.filter((i) => i.imageId !== group.targetAmiId).length,
      gone: gone.length,
    });
    if (ready.length >= needed) {
      // Replacements are up: the pods about to be evicted should go to them, not to old nodes.
      await markRetiring(
        kubernetes,
        instances.flatMap((i) =>
          i.imageId === group.targetAmiId ? [] : (byInstance.get(i.instanceId) ?? []),
        ),
        true,
      );
      return { ...wait, done: true };
    }

    const pending = replacements.filter((r) => r.problem !== undefined);
    // Fewer replacements than wanted and none on the way: the group lost some; ask for them again.
    const lost = lostReplacements({
      readyTarget: needed,
      replacements: ready.length + pending.length,
      desired: current.desired,
      live: live.length,
    });
    if (lost > 0) await raiseDesiredCapacity(deps.autoScaling, current, live.length + lost);
    const failure = launchFailure(await recentActivities(deps.autoScaling, group.asgName), wait.since);
    if (failure && ready.length + pending.length < needed) {
      throw new LaunchFailed(
        `Auto Scaling group ${group.asgName} could not launch replacements from launch template ` +
          `${group.launchTemplateId} version ${group.targetVersion}: ${failure} Fix the capacity or the template, then run again.`,
      );
    }
    if (now >= wait.deadline) {
      throw new ReplacementNotReady(
        replacementNotReadyCause({
          missing: needed - ready.length,
          targetAmiId: group.targetAmiId,
          readyTimeoutSeconds: input.readyTimeoutSeconds,
          pending: pending.map((r) => `${r.instanceId} ${r.problem}`),
          lost: wait.lost + lost,
          heldByHookIn: pending.some((r) => lifecycle.get(r.instanceId)?.startsWith('Pending:'))
            ? group.asgName
            : undefined,
        }),
      );
    }
    const boot = observedBootSeconds(
      ready.flatMap((r) => (r.node ? [{ launchTime: r.launchTime, node: r.node }] : [])),
    );
    const seconds = nextCheckSeconds(
      now,
      pending.map((r) => r.launchTime),
      boot,
      wait.since,
    );
    return {
      ...wait,
      lost: wait.lost + lost,
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
