import { drainPollSeconds } from './drain.ts';
import { maxPollRounds, nodesGone } from './polling.ts';
import { overduePollSeconds } from './replacements.ts';

/** An instance of the node group as the plan sees it. */
export interface GroupMember {
  instanceId: string;
  imageId: string;
  availabilityZone: string;
  /** Milliseconds since the epoch. */
  launchTime: number;
  /** Kubernetes node name; undefined when the instance never joined. */
  nodeName: string | undefined;
}

/** One node to replace; kept small because it travels in the state (ids, not objects). */
export interface PlannedNode {
  instanceId: string;
  nodeName: string;
}

export interface Batch {
  index: number;
  nodes: PlannedNode[];
  /** Ready nodes on the target AMI the group must have before this batch is cordoned. */
  readyTarget: number;
  /** Size of the batch after this one in the same execution (0: none): launched when this one is cordoned. */
  nextSize: number;
}

export interface Selection {
  toReplace: GroupMember[];
  onTarget: GroupMember[];
}

/** Nodes already on the target AMI are skipped, so a re-run resumes where it stopped. */
export function selectNodes(members: GroupMember[], targetAmiId: string): Selection {
  return {
    toReplace: members.filter((m) => m.imageId !== targetAmiId),
    onTarget: members.filter((m) => m.imageId === targetAmiId),
  };
}

/**
 * Replacement order: oldest first within each availability zone, zones interleaved (the zone with the
 * most nodes left goes first), so every batch spreads across zones and no zone is drained at once.
 */
export function orderForReplacement(members: GroupMember[]): GroupMember[] {
  const byZone = new Map<string, GroupMember[]>();
  for (const member of [...members].sort(
    (a, b) => a.launchTime - b.launchTime || a.instanceId.localeCompare(b.instanceId),
  )) {
    byZone.set(member.availabilityZone, [...(byZone.get(member.availabilityZone) ?? []), member]);
  }
  const ordered: GroupMember[] = [];
  while (ordered.length < members.length) {
    const zones = [...byZone.entries()]
      .filter(([, queue]) => queue.length > 0)
      .sort(([zoneA, a], [zoneB, b]) => b.length - a.length || zoneA.localeCompare(zoneB));
    for (const [, queue] of zones) {
      const next = queue.shift();
      if (next) ordered.push(next);
    }
  }
  return ordered;
}

/**
 * Cuts the ordered nodes into batches of `batchSize`, each with its cumulative Ready target, keeping
 * at most `limit` batches: the rest is left to the next execution (see `batchesPerExecution`).
 */
export function toBatches(
  ordered: GroupMember[],
  batchSize: number,
  alreadyOnTarget: number,
  limit = Number.POSITIVE_INFINITY,
): Batch[] {
  const batches: Batch[] = [];
  const end = Math.min(ordered.length, limit * batchSize);
  for (let start = 0; start < end; start += batchSize) {
    const nodes = ordered
      .slice(start, start + batchSize)
      .map((m) => ({ instanceId: m.instanceId, nodeName: m.nodeName ?? '' }));
    const nextSize = Math.max(0, Math.min(batchSize, end - start - batchSize));
    batches.push({
      index: batches.length,
      nodes,
      readyTarget: alreadyOnTarget + start + nodes.length,
      nextSize,
    });
  }
  return batches;
}

/**
 * A rough duration. The first batch waits for its replacements to boot; each later batch's
 * replacements boot while the batch before it drains, so a batch costs the longer of the two.
 */
export function estimateSeconds(
  batches: number,
  timing: { bootSeconds: number; drainSeconds: number; terminateSeconds: number },
): number {
  if (batches === 0) return 0;
  const { bootSeconds, drainSeconds, terminateSeconds } = timing;
  return bootSeconds + (batches - 1) * Math.max(bootSeconds, drainSeconds) + drainSeconds + terminateSeconds;
}

/** History events an execution may use: Step Functions stops at 25,000; the rest is left for retries. */
export const historyEventBudget = 20_000;
/** History events of an execution outside its batches (validation, plan, launch template, finish, rollback). */
const eventsPerExecution = 100;
/** History events of a batch beyond its waits: Map iteration, Choice states, Surge, Cordon, Terminate, first looks. */
const eventsPerBatch = 40;
/** History events of one polling round: Wait (entered, exited), Lambda Task (5), Choice (2). */
const eventsPerRound = 9;

/**
 * How many batches one execution may take on so that its history stays within the budget even when
 * every wait runs to its deadline (each wait takes at most `maxPollRounds` rounds); the rest is done
 * by a new execution of the same input, which resumes from the nodes already on the target.
 */
export function batchesPerExecution(timeouts: {
  readyTimeoutSeconds: number;
  drainTimeoutSeconds: number;
}): number {
  const rounds =
    maxPollRounds(timeouts.readyTimeoutSeconds, overduePollSeconds) +
    maxPollRounds(timeouts.drainTimeoutSeconds, drainPollSeconds.expected);
  const lastBatchWait = eventsPerRound * maxPollRounds(nodesGone.timeoutSeconds, nodesGone.pollSeconds);
  return Math.max(
    1,
    Math.floor(
      (historyEventBudget - eventsPerExecution - lastBatchWait) / (eventsPerBatch + eventsPerRound * rounds),
    ),
  );
}
