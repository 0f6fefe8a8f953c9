import * as z from 'zod';
import { describeGroup } from './adapters/autoscaling.ts';
import { describeInstances } from './adapters/ec2.ts';
import { autoScalingClient, ec2Client } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { NodeGroupNotFound } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import {
  type BalanceState,
  balanceSchema,
  batchSchema,
  drainSchema,
  rolloutGroupSchema,
} from './commons/state.ts';
import { capList } from './domain/limits.ts';
import { nodeName, nodesByInstance } from './domain/nodes.ts';
import { replacementProblem } from './domain/replacements.ts';
import { balancingMoves } from './domain/zones.ts';

const event = z.object({
  input: rolloutInputSchema,
  group: rolloutGroupSchema,
  batch: batchSchema,
  drain: drainSchema.nullable(),
  /** null before the first look. */
  balance: balanceSchema.nullable(),
});

/**
 * Moves after which the rollout stops evening the zones (each one is a batch: a launch, a drain, a
 * termination); Finish then leaves AZRebalance suspended rather than let Auto Scaling move nodes undrained.
 */
export const maxBalancingPasses = 3;

/**
 * After the rollout's last batch (and after each move): are the group's zones even? If not, the
 * nodes to move, as a batch the state machine runs like any other: the group launches their
 * replacements (into its emptiest zones, as Auto Scaling does), then they are cordoned, drained and
 * terminated in the fullest zones. So AZRebalance, resumed at Finish, has nothing to move.
 * Carries the pods each drain deleted or left Terminating, for the report.
 */
export const makeHandler = (deps: Pick<Dependencies, 'autoScaling' | 'ec2' | 'kubernetes'>) =>
  lambdaHandler(event, async ({ input, group, batch, drain, balance }): Promise<BalanceState> => {
    const passes = (balance?.passes ?? 0) + 1;
    const forced = capList([...(balance?.forced ?? []), ...(drain?.forced ?? [])]).items;
    const leftTerminating = capList([
      ...(balance?.leftTerminating ?? []),
      ...(drain?.leftTerminating ?? []),
    ]).items;
    const done = { needed: false, passes, batch: null, forced, leftTerminating };
    if (passes > maxBalancingPasses) return done;
    const current = await describeGroup(deps.autoScaling, group.asgName);
    if (!current)
      throw new NodeGroupNotFound(`Auto Scaling group ${group.asgName} disappeared during the rollout.`);
    const inService = current.instances
      .filter((i) => i.lifecycleState === 'InService')
      .map((i) => i.instanceId);
    const kubernetes = await deps.kubernetes(input.clusterName);
    const [instances, nodes] = await Promise.all([
      describeInstances(deps.ec2, inService),
      kubernetes.listNodes(),
    ]);
    const byInstance = nodesByInstance(nodes);
    const moves = balancingMoves(current.availabilityZones, instances);
    if (moves.length === 0) return done;
    // Counted as CheckReplacements counts them, which waits for this many.
    const expected = {
      windowsBuild: group.windowsBuild,
      requiredImages: input.requireCachedImages ? group.imagesToMove : [],
    };
    const ready = instances.filter(
      (i) =>
        i.imageId === group.targetAmiId &&
        replacementProblem(byInstance.get(i.instanceId), expected) === undefined,
    ).length;
    return {
      ...done,
      needed: true,
      batch: {
        index: batch.index,
        nodes: moves.map((m) => {
          const node = byInstance.get(m.instanceId);
          return { instanceId: m.instanceId, nodeName: node ? nodeName(node) : '' };
        }),
        readyTarget: ready + moves.length,
        next: [],
        afterNext: [],
        presurged: false,
        bakeSeconds: 0,
        removal: false,
        balanceZones: true,
      },
    };
  });

export const handler = makeHandler({
  autoScaling: autoScalingClient(),
  ec2: ec2Client(),
  kubernetes: kubernetesConnector(),
});
