import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { V1Pod } from '@kubernetes/client-node';
import * as z from 'zod';
import { describeGroup } from './adapters/autoscaling.ts';
import { cordonNodes, protectFromScaleDown } from './adapters/kubernetes/batch-nodes.ts';
import {
  deletePods,
  evictablePods,
  evictionRound,
  judgePods,
  podsOfControllers,
  podsOnNewestNodes,
  podsStillOn,
  readControllers,
} from './adapters/kubernetes/drain-round.ts';
import type { KubernetesPort } from './adapters/kubernetes/port.ts';
import { prePullImages } from './adapters/kubernetes/pre-pull.ts';
import { autoScalingClient } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { DrainTimeout } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { metrics } from './commons/powertools.ts';
import { type RolloutInput, rolloutInputSchema } from './commons/rollout-input.ts';
import {
  batchSchema,
  type DrainState,
  drainSchema,
  executionSchema,
  rolloutGroupSchema,
} from './commons/state.ts';
import {
  atDeadline,
  blindRefusals,
  controllersOf,
  type DrainRoundFacts,
  drainForecast,
  drainWaitSeconds,
  followedKeys,
  joinWatchSeconds,
  lateAllowanceSeconds,
  leftoverReasons,
  type OwnerBaseline,
  observedStartSeconds,
  overdueDeletions,
  ownerBaselines,
  ownersNotYetReady,
  ownersWaitedFor,
  type StartTimes,
  soughtControllers,
  startSampleSize,
} from './domain/drain.ts';
import { capList, listText } from './domain/limits.ts';
import {
  instancesWithoutNode,
  matchBatch,
  memberNodeNames,
  memberNodes,
  nodesJoinedSince,
} from './domain/members.ts';
import { controllerOf, imagesOnSchedulableNodes, podKey } from './domain/nodes.ts';
import { expectedBootSeconds } from './domain/replacements.ts';

/** A value of each owner that has one, by controller uid. */
const byOwner = <T>(owners: OwnerBaseline[], value: (owner: OwnerBaseline) => T | undefined) =>
  new Map(
    owners.flatMap((owner) => {
      const found = value(owner);
      return found === undefined ? [] : [[owner.uid, found] as const];
    }),
  );

/** Owners with the start times seen for them, where they had none. */
const withStartTimes = (owners: OwnerBaseline[], seen: Map<string, StartTimes>): OwnerBaseline[] =>
  owners.map((owner) => {
    const startSeconds = owner.startSeconds ?? seen.get(owner.uid);
    return startSeconds === undefined ? owner : { ...owner, startSeconds };
  });

/** The evictable pods on the nodes, from a list of each node's pods (DrainBlocked for a pod the rules refuse). */
const listedPods = async (kubernetes: KubernetesPort, nodeNames: string[], input: RolloutInput) =>
  evictablePods(await judgePods(kubernetes, nodeNames, input), nodeNames);

/**
 * The evictable pods on the batch's nodes this round. The pods of the last round are followed by
 * name (a GET each, see `podsStillOn`) rather than by listing the nodes again; a node new to the
 * batch is listed, and every node once more before the drain may end (no followed pod left, every
 * controller `settled` back to Ready), so that a pod bound there since (a pod naming the node, one
 * tolerating the cordon) is evicted too.
 */
async function roundPods(
  kubernetes: KubernetesPort,
  drain: DrainState,
  nodeNames: string[],
  settled: boolean,
  input: RolloutInput,
): Promise<V1Pod[]> {
  if (drain.followed === null) return listedPods(kubernetes, nodeNames, input);
  const followed = await podsStillOn(kubernetes, drain.followed, nodeNames);
  if (followed.length === 0 && settled) return listedPods(kubernetes, nodeNames, input);
  const unlisted = nodeNames.filter((name) => !drain.nodes.includes(name));
  const joined = unlisted.length === 0 ? [] : await listedPods(kubernetes, unlisted, input);
  const keys = new Set(followed.map(podKey));
  return [...followed, ...joined.filter((pod) => !keys.has(podKey(pod)))];
}

const event = z.object({
  input: rolloutInputSchema,
  group: rolloutGroupSchema,
  batch: batchSchema,
  execution: executionSchema,
  drain: drainSchema.nullable(),
});

function cappedBlockers(blockers: string[]): Pick<DrainState, 'blockers' | 'blockersOmitted'> {
  const { items, omitted } = capList(blockers);
  return { blockers: items, blockersOmitted: omitted };
}

/** When the drain of this batch began: its deadline minus the allowed time. */
const drainStart = (state: DrainState, input: RolloutInput) =>
  state.deadline - input.drainTimeoutSeconds * 1000;

/**
 * One round of the drain: evict what may go (PDBs decide, through the Eviction API), and report
 * "done" once the batch holds no evictable pod and the evicted pods are Ready elsewhere. The first
 * call only takes the "Ready before" baseline, so that no retry of a round that already evicted can
 * take it again without those pods. The state machine waits between rounds, as long as the pods show
 * it will take, never past the deadline; at the deadline whatever is left fails the drain (see
 * `atDeadline`: overridePdbAfterTimeout deletes refused pods, force stops waiting for stuck ones).
 */
export const makeHandler = (deps: Pick<Dependencies, 'kubernetes' | 'autoScaling' | 'now'>) =>
  lambdaHandler(
    event,
    async ({ input, group, batch, execution, drain }): Promise<DrainState> => {
      const kubernetes = await deps.kubernetes(input.clusterName);
      const now = deps.now();
      const [nodes, current] = await Promise.all([
        kubernetes.listNodes(),
        describeGroup(deps.autoScaling, group.asgName),
      ]);
      // The next batch's replacements join while this batch drains, empty: the autoscaler must leave them.
      const instanceIds = (current?.instances ?? [])
        .filter((i) => !/^Terminat/.test(i.lifecycleState))
        .map((i) => i.instanceId);
      const joined = nodesJoinedSince(instanceIds, nodes, Date.parse(execution.startTime));
      await protectFromScaleDown(kubernetes, joined, execution.name);
      // They join without the images their pods will need, unless the AMI caches them: pulled now, not then.
      await prePullImages(kubernetes, joined, input.prePullImages ? group.imagesToMove : [], execution.name);
      // Matched again each round: a node that joined since Cordon is cordoned and drained like the others.
      const members = matchBatch(
        batch.nodes.map((n) => n.instanceId),
        nodes,
      );
      await cordonNodes(kubernetes, memberNodes(members), execution.name);
      const nodeNames = memberNodeNames(members);
      if (drain === null) {
        const pods = await listedPods(kubernetes, nodeNames, input);
        // The controllers' status, not their pods: what a round lists stays the batch's own pods.
        const controllers = await readControllers(kubernetes, controllersOf(pods));
        // Once per batch: how long pods take to start on the new nodes (earlier batches' replacements
        // ran there). The next batch's replacements, newest and still empty, may come first: twice the batch.
        const owners = ownerBaselines(pods, controllers);
        const seen = observedStartSeconds(
          await podsOnNewestNodes(kubernetes, joined, soughtControllers(pods), 2 * batch.nodes.length),
        );
        return {
          done: false,
          seconds: 1,
          deadline: now + input.drainTimeoutSeconds * 1000,
          nodes: nodeNames,
          owners: withStartTimes(owners, seen),
          evicted: 0,
          forced: [],
          forcedOmitted: 0,
          leftTerminating: [],
          blockers: [],
          blockersOmitted: 0,
          followed: followedKeys(pods),
        };
      }
      const controllers = await readControllers(kubernetes, drain.owners);
      const settled = ownersWaitedFor(drain.owners, controllers).length === 0;
      const pods = await roundPods(kubernetes, drain, nodeNames, settled, input);
      const pastDeadline = now >= drain.deadline;
      const { abandoned, failing } = pastDeadline
        ? atDeadline(pods, now, input)
        : { abandoned: [], failing: [] };
      if (failing.length > 0) {
        throw new DrainTimeout(
          `Drain of ${listText(nodeNames)} did not finish within ${input.drainTimeoutSeconds} s: ` +
            `${listText(leftoverReasons(failing, drain.blockers, now))}. ` +
            'Make the PDB allow a disruption (are its pods healthy?), remove what holds a Terminating pod ' +
            '(a finalizer, an unreachable node), or raise drainTimeoutSeconds; or start again with ' +
            'overridePdbAfterTimeout to delete the pods the PDBs still refuse at the deadline (force does not ' +
            'override PDBs), or with force to stop waiting at the deadline for pods stuck Terminating.',
        );
      }
      const waitingFor = pods.filter((pod) => !abandoned.includes(pod));
      const { evicted, refused, blockers } = await evictionRound(kubernetes, waitingFor, input);
      const deleted = pastDeadline ? refused : [];
      const forced = capList([
        ...drain.forced,
        ...(await deletePods(kubernetes, deleted, input.gracePeriodSeconds)),
      ]);
      const overdue = overdueDeletions(waitingFor, now);
      const evictedOwners = new Set([...evicted, ...deleted].map((pod) => controllerOf(pod)?.uid));
      const next: DrainState = {
        ...drain,
        owners: drain.owners.map((owner) =>
          evictedOwners.has(owner.uid) ? { ...owner, lastEvictedAt: now } : owner,
        ),
        nodes: [...new Set([...drain.nodes, ...nodeNames])],
        evicted: drain.evicted + evicted.length,
        forced: forced.items,
        forcedOmitted: drain.forcedOmitted + forced.omitted,
        leftTerminating: [...new Set([...drain.leftTerminating, ...abandoned.map(podKey)])],
        followed: followedKeys(waitingFor),
        ...cappedBlockers([...blockers, ...leftoverReasons(overdue, [], now)]),
      };
      const waited = waitingFor.length > 0 ? [] : ownersWaitedFor(drain.owners, controllers);
      const notReady = ownersNotYetReady(waited, controllers);
      if (waitingFor.length === 0 && notReady.length === 0) {
        const drainSeconds = Math.round((now - drainStart(drain, input)) / 1000);
        metrics.addMetric('DrainSeconds', MetricUnit.Seconds, drainSeconds);
        return { ...next, done: true, seconds: 1 };
      }
      const lateUntil = drain.deadline + lateAllowanceSeconds(input.drainTimeoutSeconds) * 1000;
      if (waitingFor.length === 0 && now >= lateUntil) {
        throw new DrainTimeout(
          `Evicted pods of ${nodeNames.join(', ')} were not Ready elsewhere within ${input.drainTimeoutSeconds} s: ${notReady.join('; ')}. ` +
            'Check that the cluster has room for them (pending pods, image pulls), or raise drainTimeoutSeconds.',
        );
      }
      const facts: DrainRoundFacts = {
        now,
        batchPods: waitingFor,
        evicted: [...evicted, ...deleted].map((pod) => ({
          pod,
          graceSeconds: input.gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30,
        })),
        refused: pastDeadline ? [] : refused,
        imagesPresent: imagesOnSchedulableNodes(nodes),
        learned: byOwner(drain.owners, (owner) => owner.startSeconds),
        evictedEarlier: byOwner(drain.owners, (owner) => owner.lastEvictedAt),
      };
      // By selector: controllers of refusals the batch's pods cannot forecast; and, once per drain, a
      // sample of the controllers waited for whose start time is still unknown (their replacements may
      // have gone to another rollout's new nodes: pods started during the rollout show it).
      const blind = controllersOf(blindRefusals(facts));
      const unknown = waited.filter((owner) => owner.startSeconds === undefined && !owner.lookedUp);
      const elsewhere = [
        ...(blind.length === 0 ? [] : await podsOfControllers(kubernetes, blind, controllers)),
        ...(unknown.length === 0
          ? []
          : await podsOfControllers(kubernetes, unknown, controllers, startSampleSize(batch.nodes.length))),
      ];
      const forecast = drainForecast({ ...facts, elsewhere, waited: waited.map((owner) => owner.uid) });
      const lookedUp = new Set(unknown.map((owner) => owner.uid));
      next.owners = withStartTimes(next.owners, observedStartSeconds(elsewhere)).map((owner) =>
        lookedUp.has(owner.uid) ? { ...owner, lookedUp: true } : owner,
      );
      const elapsedSeconds = (now - drainStart(drain, input)) / 1000;
      const paced = drainWaitSeconds(forecast, now, elapsedSeconds, drain.deadline, lateUntil);
      // An instance still to launch or join is looked at soon after it joins, to protect its node (above).
      const joining =
        (current?.desired ?? 0) > instanceIds.length || instancesWithoutNode(instanceIds, nodes).length > 0;
      const seconds = joining
        ? Math.max(
            1,
            Math.min(
              paced,
              joinWatchSeconds(elapsedSeconds, expectedBootSeconds(undefined, input.readyTimeoutSeconds)),
            ),
          )
        : paced;
      return waitingFor.length > 0
        ? { ...next, done: false, seconds }
        : {
            ...next,
            done: false,
            ...cappedBlockers(notReady.map((owner) => `waiting for ${owner}`)),
            seconds,
          };
    },
    { emitsMetrics: true },
  );

export const handler = makeHandler({
  kubernetes: kubernetesConnector(),
  autoScaling: autoScalingClient(),
  now: Date.now,
});
