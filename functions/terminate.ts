import * as z from 'zod';
import { describeGroup, terminateInstance } from './adapters/autoscaling.ts';
import { putRolloutEvents } from './adapters/events.ts';
import { markRetiring, releaseScaleDown } from './adapters/kubernetes/batch-nodes.ts';
import { removePrePulls } from './adapters/kubernetes/pre-pull.ts';
import { launchAhead } from './adapters/launch-ahead.ts';
import { recordBatchSeconds } from './adapters/lock-table.ts';
import { autoScalingClient, dynamoDbClient, ec2Client, eventBridgeClient } from './commons/clients.ts';
import { requireEnv } from './commons/config.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { NodeGroupNotFound } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import {
  batchSchema,
  countsSchema,
  drainSchema,
  executionSchema,
  lockSchema,
  rolloutGroupSchema,
  type TerminateState,
  terminateSchema,
} from './commons/state.ts';
import { batchProgress, rolloutEvent } from './domain/events.ts';
import { matchBatch, memberNodeNames, memberNodes, terminationVerdict } from './domain/members.ts';
import { nodeName } from './domain/nodes.ts';
import { nodesGone, pollSpacing } from './domain/polling.ts';

const event = z.object({
  input: rolloutInputSchema,
  execution: executionSchema,
  group: rolloutGroupSchema,
  batch: batchSchema,
  counts: countsSchema,
  lock: lockSchema,
  /** When BeforeBatch let the batch start (epoch ms). */
  startedAt: z.number(),
  drain: drainSchema,
  /** null on the first call. */
  terminate: terminateSchema.nullable(),
});

/** Lifecycle states from which the group can still terminate an instance. */
const terminable = new Set(['InService', 'Pending', 'Pending:Wait', 'Pending:Proceed', 'Standby']);

/**
 * Drained nodes leave through the group (desired decremented). Each instance is matched to its node
 * again first: one whose node joined or was uncordoned after the drain is kept, and the state machine
 * drains again. Their places go to the replacements of the batches after the next one (Batch.afterNext),
 * launched now so they boot while the batches before them drain. The next batch does not wait for the
 * instances to finish shutting down: they hold no pod and no capacity any more. The execution's last batch waits until the instances and nodes are
 * gone (at most `nodesGone.timeoutSeconds`: a node the cloud controller keeps is its business), so
 * the rollout ends with the group as it stays. A batch done is a rollout event, and how long it took
 * (from BeforeBatch's go) is kept in the lock's item if it is the slowest so far: the maintenance
 * window must hold the next batch. A removal batch (no replacements to boot) does not count.
 */
export const makeHandler = (
  deps: Pick<
    Dependencies,
    'autoScaling' | 'ec2' | 'kubernetes' | 'eventBridge' | 'dynamoDb' | 'lockTableName' | 'now'
  >,
) =>
  lambdaHandler(
    event,
    async ({
      input,
      execution,
      group,
      batch,
      counts,
      lock,
      startedAt,
      drain,
      terminate,
    }): Promise<TerminateState> => {
      const now = deps.now();
      const batchSeconds = Math.round((now - startedAt) / 1000);
      const batchDone = async () => {
        if (!batch.removal)
          await recordBatchSeconds(
            deps.dynamoDb,
            deps.lockTableName,
            lock.groupId,
            execution.id,
            batchSeconds,
          );
        await putRolloutEvents(deps.eventBridge, [
          rolloutEvent({
            kind: 'batchDone',
            input,
            executionArn: execution.id,
            at: now,
            progress: batchProgress(batch, counts, true),
            batchIndex: batch.index,
            // The moves that even the zones after the last batch share its index.
            occurrence: batch.nodes[0]?.instanceId ?? '',
            extra: {
              batchNodes: batch.nodes.map((n) => n.nodeName || n.instanceId),
              removal: batch.removal,
              batchSeconds,
            },
          }),
        ]);
      };
      const wait = terminate ?? {
        done: false,
        seconds: nodesGone.firstLookSeconds,
        deadline: now + nodesGone.timeoutSeconds * 1000,
        since: now,
        lost: 0,
        redrain: false,
        undrained: [],
      };
      const current = await describeGroup(deps.autoScaling, group.asgName);
      if (!current)
        throw new NodeGroupNotFound(`Auto Scaling group ${group.asgName} disappeared during the rollout.`);
      const inGroup = new Map(current.instances.map((i) => [i.instanceId, i.lifecycleState]));
      const kubernetes = await deps.kubernetes(input.clusterName);
      const nodes = await kubernetes.listNodes();
      const members = matchBatch(
        batch.nodes.map((n) => n.instanceId),
        nodes,
      );
      const undrained: string[] = [];
      // Left the group before this call, and not after our drain: something else removed them.
      const removedElsewhere = members.filter(
        (m) =>
          !terminable.has(inGroup.get(m.instanceId) ?? '') &&
          !(m.node && drain.nodes.includes(nodeName(m.node))),
      );
      for (const member of members) {
        if (!terminable.has(inGroup.get(member.instanceId) ?? '')) continue;
        const verdict = terminationVerdict(member, drain.nodes);
        if (verdict.terminate) await terminateInstance(deps.autoScaling, member.instanceId);
        else undrained.push(`${member.instanceId} (${verdict.reason})`);
      }
      if (undrained.length > 0) return { ...wait, done: false, seconds: 1, redrain: true, undrained };
      if (batch.next.length > 0) {
        if (batch.afterNext.length > 0)
          await launchAhead(deps, group, nodes, {
            ahead: [...batch.next, ...batch.afterNext.flat()],
            // As at cordon: none kept for this batch's instances something else removed.
            kept: (live) => (batch.removal ? live.size : batch.readyTarget - removedElsewhere.length),
          });
        await batchDone();
        return { ...wait, done: true, redrain: false, undrained };
      }
      const nodesLeft = memberNodeNames(members).length > 0;
      const instancesLeft = batch.nodes.filter(({ instanceId }) => inGroup.has(instanceId));
      const allGone = instancesLeft.length === 0 && !nodesLeft;
      const seconds = terminate
        ? pollSpacing((now - wait.since) / 1000, nodesGone.pollSeconds)
        : wait.seconds;
      const done = allGone || now >= wait.deadline;
      // The execution's replacements are all in place: the cluster-autoscaler may manage them again,
      // and old nodes left (for the next execution, or joined late) take pods as before.
      if (done) {
        const groupNodes = memberNodes(
          matchBatch(
            current.instances.map((i) => i.instanceId),
            nodes,
          ),
        );
        await releaseScaleDown(kubernetes, groupNodes);
        await markRetiring(kubernetes, groupNodes, false);
        await removePrePulls(kubernetes, groupNodes);
        await batchDone();
      }
      return { ...wait, done, seconds, redrain: false, undrained };
    },
  );

export const handler = makeHandler({
  autoScaling: autoScalingClient(),
  ec2: ec2Client(),
  eventBridge: eventBridgeClient(),
  dynamoDb: dynamoDbClient(),
  lockTableName: requireEnv('LOCK_TABLE_NAME'),
  kubernetes: kubernetesConnector(),
  now: Date.now,
});
