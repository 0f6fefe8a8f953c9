import { drainPollSeconds } from './drain.ts';
import { maxPollRounds, nodesGone, secondsUntil } from './polling.ts';
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
  /** Instances of the batch after this one in the same execution (empty: none): their replacements are launched when this one is cordoned. */
  next: string[];
  /**
   * Instances of the batches after `next`, one list per batch, at most `surgeBatches` − 1 of them
   * (none past a bake, an approval or the execution's end): the replacements of those not launched yet
   * are launched when this batch's instances are terminated, so a batch's replacements boot while the
   * `surgeBatches` batches before it drain.
   */
  afterNext: string[][];
  /** An earlier batch (or the first batch's surge) launched this batch's replacements. */
  presurged: boolean;
  /** Seconds the rollout bakes after this batch, watching the alarms (0: none). */
  bakeSeconds: number;
  /** Surplus of an earlier run: drained and terminated, not replaced. */
  removal: boolean;
  /** The rollout's last batch: the zones are evened after it, before AZRebalance is resumed. */
  balanceZones: boolean;
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

/** How the batches are cut: a canary first (its own size and bake), then `batchSize`, baking between batches. */
export interface Cadence {
  batchSize: number;
  canary?: { nodes: number; bakeSeconds: number } | undefined;
  /** Seconds of bake after every batch but the rollout's last. */
  bakeSeconds: number;
  /** A person approves the rest after the canary: nothing of the next batch starts before. */
  approvalAfterCanary?: boolean;
  /** Above 1: each terminate launches the replacements of the batches up to `surgeBatches` ahead (`Batch.afterNext`). */
  surgeBatches?: number;
}

/**
 * Cuts the ordered nodes into batches, each with its cumulative Ready target, keeping at most `limit`
 * batches: the rest is left to the next execution (see `batchesPerExecution`). A batch followed by a
 * bake does not launch the next batch's replacements: nothing of the next batch starts before the bake passes.
 */
export function toBatches(
  ordered: GroupMember[],
  cadence: Cadence,
  alreadyOnTarget: number,
  limit = Number.POSITIVE_INFINITY,
): Batch[] {
  const sizeOf = (index: number) =>
    index === 0 && cadence.canary ? cadence.canary.nodes : cadence.batchSize;
  const batches: Batch[] = [];
  let start = 0;
  while (start < ordered.length && batches.length < limit) {
    const index = batches.length;
    const nodes = ordered
      .slice(start, start + sizeOf(index))
      .map((m) => ({ instanceId: m.instanceId, nodeName: m.nodeName ?? '' }));
    const end = start + nodes.length;
    const lastOfRollout = end >= ordered.length;
    const bakeSeconds = lastOfRollout
      ? 0
      : index === 0 && cadence.canary
        ? cadence.canary.bakeSeconds
        : cadence.bakeSeconds;
    const nextInExecution = index + 1 < limit ? ordered.slice(end, end + sizeOf(index + 1)) : [];
    const previous = batches[index - 1];
    batches.push({
      index,
      nodes,
      readyTarget: alreadyOnTarget + end,
      next:
        bakeSeconds > 0 || (index === 0 && cadence.canary && cadence.approvalAfterCanary)
          ? []
          : nextInExecution.map((m) => m.instanceId),
      afterNext: [],
      presurged: (previous?.next.length ?? 0) > 0,
      bakeSeconds,
      removal: false,
      balanceZones: lastOfRollout,
    });
    start = end;
  }
  return withAfterNext(batches, cadence.surgeBatches ?? 1);
}

/**
 * Each batch whose next batch is launched early lists the batches after it up to `surgeBatches` ahead,
 * stopping at one that does not launch its own next (a bake, an approval, the execution's end).
 */
function withAfterNext(batches: Batch[], surgeBatches: number): Batch[] {
  return batches.map((batch, index) => {
    const afterNext: string[][] = [];
    for (let ahead = 1; ahead < surgeBatches && batch.next.length > 0; ahead++) {
      const later = batches[index + ahead]?.next ?? [];
      if (later.length === 0) break;
      afterNext.push(later);
    }
    return { ...batch, afterNext };
  });
}

/**
 * The surplus an earlier run left goes first, as a batch of its own that only drains and terminates;
 * its cordon launches the first real batch's replacements, as any batch's cordon launches the next's.
 */
export function withRemoval(surplus: GroupMember[], batches: Batch[], surgeBatches = 1): Batch[] {
  if (surplus.length === 0) return batches;
  const removal: Batch = {
    index: 0,
    nodes: surplus.map((m) => ({ instanceId: m.instanceId, nodeName: m.nodeName ?? '' })),
    readyTarget: 0,
    next: (batches[0]?.nodes ?? []).map((n) => n.instanceId),
    afterNext:
      surgeBatches > 1 && (batches[0]?.next.length ?? 0) > 0
        ? [batches[0]?.next ?? [], ...(batches[0]?.afterNext ?? []).slice(0, surgeBatches - 2)]
        : [],
    presurged: false,
    bakeSeconds: 0,
    removal: true,
    balanceZones: false,
  };
  return [
    removal,
    ...batches.map((batch) => ({
      ...batch,
      index: batch.index + 1,
      presurged: batch.index === 0 ? removal.next.length > 0 : batch.presurged,
    })),
  ];
}

/**
 * A rough duration. A batch drains once its replacements are Ready and the batch before it is done.
 * Its replacements are launched when the batch before it is cordoned; with `surgeBatches` k above 1,
 * the first k batches' together, and each later batch's when the batch k before it is terminated.
 */
export function estimateSeconds(
  batches: number,
  timing: { bootSeconds: number; drainSeconds: number; terminateSeconds: number; surgeBatches?: number },
): number {
  if (batches === 0) return 0;
  const { bootSeconds, drainSeconds, terminateSeconds } = timing;
  const ahead = timing.surgeBatches ?? 1;
  const started: number[] = [];
  const done: number[] = [];
  for (let index = 0; index < batches; index++) {
    const launched = index < ahead ? 0 : ((ahead > 1 ? done : started)[index - ahead] ?? 0);
    started.push(Math.max(launched + bootSeconds, done[index - 1] ?? 0));
    done.push((started[index] ?? 0) + drainSeconds);
  }
  return (done[batches - 1] ?? 0) + terminateSeconds;
}

/** The tag by which the cluster-autoscaler's AWS provider discovers the groups it scales (`--node-group-auto-discovery`). */
export const autoscalerDiscoveryTag = 'k8s.io/cluster-autoscaler/enabled';

/**
 * Batches whose replacements boot ahead, unless the input says: three, so that boots, the longest
 * part of a Windows batch, overlap the drains of the batches before them; one on a group the
 * cluster-autoscaler discovers, because it may remove an old node whose replacement is already booting:
 * that replacement stays as a surplus the autoscaler removes after the rollout in whatever zone, and
 * AZRebalance then evens the zones by terminating instances without a drain.
 */
export function surgeBatchesFor(asked: number | undefined, groupTags: Record<string, string>): number {
  return asked ?? (autoscalerDiscoveryTag in groupTags ? 1 : 3);
}

/**
 * The most instances above the group's size a rollout takes: while a batch drains, the next ones'
 * replacements boot, so two batches of surge at least, or surgeBatches of them, never more than it replaces.
 */
export function peakSurge(surgeBatches: number, maxUnavailable: number, nodesToReplace: number): number {
  return Math.min(Math.max(2, surgeBatches) * maxUnavailable, nodesToReplace);
}

/**
 * Bytes of the execution state an execution's batches may take: Step Functions fails a state above
 * 256 KiB (States.DataLimitExceeded, which no Catch sees), and the rest of the state (the input, the
 * verified AMI and group, the steps' results) needs room too.
 */
export const batchesStateBudgetBytes = 150 * 1024;

/** How many of the batches, of these serialized sizes, fit the state budget (at least one). */
export function batchesWithinState(sizes: number[], budget = batchesStateBudgetBytes): number {
  let total = 0;
  const fitting = sizes.findIndex((size) => {
    total += size;
    return total > budget;
  });
  return fitting === -1 ? sizes.length : Math.max(1, fitting);
}

/** History events an execution may use: Step Functions stops at 25,000; the rest is left for retries. */
export const historyEventBudget = 20_000;
/** History events of an execution outside its batches (validation, plan, launch template, finish, rollback). */
const eventsPerExecution = 100;
/** History events of a batch beyond its waits: Map iteration, Choice states, Surge, Cordon, Terminate, first looks. */
const eventsPerBatch = 40;
/** History events of one polling round: Wait (entered, exited), Lambda Task (5), Choice (2). */
const eventsPerRound = 9;
/** Rounds of the check before a batch: a look, a wait for the window or a pause, another look, and slack. */
const gateRounds = 4;

/** Alarms are read every minute of a bake, less often in a long one: a bake takes at most 100 rounds. */
export const bakePollSeconds = (bakeSeconds: number): number => Math.max(60, Math.ceil(bakeSeconds / 100));

/** A bake in progress: `since`/`until` in epoch milliseconds, `seconds` to the next look. */
export interface BakeProgress {
  done: boolean;
  seconds: number;
  since: number;
  until: number;
}

/** After a look with every alarm quiet: the bake begins at the first look and passes once its time is up. */
export function nextBakeLook(previous: BakeProgress | null, bakeSeconds: number, now: number): BakeProgress {
  const bake = previous ?? { done: false, seconds: 1, since: now, until: now + bakeSeconds * 1000 };
  const left = secondsUntil(bake.until, now);
  if (left <= 0) return { ...bake, done: true, seconds: 1 };
  return { ...bake, done: false, seconds: Math.min(left, bakePollSeconds(bakeSeconds)) };
}

/** Seconds of batches an execution may take on: its TimeoutSeconds is 21 days; a day is left for the rest. */
export const executionSecondsBudget = 20 * 86_400;

/**
 * How many batches one execution may take on so that its history stays within the budget, and its
 * duration within `executionSecondsBudget`, even when every wait and bake runs to its deadline (each
 * wait takes at most `maxPollRounds` rounds); the rest is done by a new execution of the same input,
 * which resumes from the nodes already on the target. Waits for a maintenance window are not counted.
 */
export function batchesPerExecution(timeouts: {
  readyTimeoutSeconds: number;
  drainTimeoutSeconds: number;
  bakeSeconds?: number;
  canary?: { bakeSeconds: number } | undefined;
}): number {
  const bake = Math.max(timeouts.bakeSeconds ?? 0, timeouts.canary?.bakeSeconds ?? 0);
  const rounds =
    maxPollRounds(timeouts.readyTimeoutSeconds, overduePollSeconds) +
    maxPollRounds(timeouts.drainTimeoutSeconds, drainPollSeconds.expected) +
    gateRounds +
    (bake > 0 ? Math.ceil(bake / bakePollSeconds(bake)) + 1 : 0);
  const lastBatchWait = eventsPerRound * maxPollRounds(nodesGone.timeoutSeconds, nodesGone.pollSeconds);
  const byHistory = Math.floor(
    (historyEventBudget - eventsPerExecution - lastBatchWait) / (eventsPerBatch + eventsPerRound * rounds),
  );
  const byTime = Math.floor(
    (executionSecondsBudget - nodesGone.timeoutSeconds) /
      (timeouts.readyTimeoutSeconds + timeouts.drainTimeoutSeconds + bake),
  );
  return Math.max(1, Math.min(byHistory, byTime));
}
