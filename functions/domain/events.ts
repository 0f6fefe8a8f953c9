/** The `source` of every rollout event on the default EventBridge bus; rules match on it. */
export const eventSource = 'eks-windows-patcher';

/** EventBridge `detail-type` of each moment of a rollout (docs/events.md documents each). */
export const detailTypes = {
  started: 'Rollout Started',
  batchDone: 'Rollout Batch Done',
  waitingForWindow: 'Rollout Waiting For Window',
  approvalRequested: 'Rollout Approval Requested',
  paused: 'Rollout Paused',
  resumed: 'Rollout Resumed',
  succeeded: 'Rollout Succeeded',
  failed: 'Rollout Failed',
  rolledBack: 'Rollout Rolled Back',
} as const;
export type RolloutEventKind = keyof typeof detailTypes;

/** Where the rollout stands: nodes this execution replaced so far, out of the nodes it replaces. */
export interface Progress {
  nodesReplaced: number;
  nodesToReplace: number;
}

/** What every rollout event says, plus the fields of its kind. */
export interface RolloutEventFacts {
  kind: RolloutEventKind;
  /** The rollout's input (the fields every event names). */
  input: { clusterName: string; nodeGroupName: string; amiId: string };
  executionArn: string;
  /** Epoch milliseconds of the moment. */
  at: number;
  progress: Progress;
  /** The batch (0-based, as in the plan) the moment belongs to; null before the first batch or after the last. */
  batchIndex: number | null;
  /**
   * Tells apart two moments of one kind at one batch boundary (the opening waited for, when the pause
   * was asked); empty when there is only one.
   */
  occurrence?: string;
  /** Fields of this kind only (`until`, `error`, `actions`, …). */
  extra?: Record<string, unknown>;
}

export interface RolloutEvent {
  detailType: (typeof detailTypes)[RolloutEventKind];
  /** The execution ARN: EventBridge's `resources`. */
  resource: string;
  detail: Record<string, unknown>;
}

/**
 * The event of a moment. `eventId` is the same each time the same moment is published again (a
 * retried Lambda, a second look at the same pause), so consumers can drop repeats: EventBridge's own
 * `id` differs on every PutEvents.
 */
export function rolloutEvent(facts: RolloutEventFacts): RolloutEvent {
  const batch = facts.batchIndex === null ? '-' : String(facts.batchIndex);
  const eventId = [facts.executionArn, facts.kind, batch, facts.occurrence ?? ''].join('/');
  return {
    detailType: detailTypes[facts.kind],
    resource: facts.executionArn,
    detail: {
      eventId,
      clusterName: facts.input.clusterName,
      nodeGroupName: facts.input.nodeGroupName,
      amiId: facts.input.amiId,
      executionArn: facts.executionArn,
      at: new Date(facts.at).toISOString(),
      nodesReplaced: facts.progress.nodesReplaced,
      nodesToReplace: facts.progress.nodesToReplace,
      batchIndex: facts.batchIndex,
      ...facts.extra,
    },
  };
}

/** The plan's counts a batch's events need (the Map's `progress`). */
export interface PlanCounts {
  nodesToReplace: number;
  /** Nodes of the group already on the target AMI when the execution planned. */
  nodesOnTarget: number;
}

/**
 * Nodes replaced before a batch starts (`done`: false) or once it is done. A batch's `readyTarget` is
 * the group's nodes on the target after it; a removal batch (surplus of an earlier run) replaces none.
 * Before the first batch (`null`) none is replaced yet.
 */
export function batchProgress(
  batch: { nodes: unknown[]; readyTarget: number; removal: boolean } | null,
  counts: PlanCounts,
  done: boolean,
): Progress {
  if (batch === null) return { nodesReplaced: 0, nodesToReplace: counts.nodesToReplace };
  const after = batch.removal ? 0 : batch.readyTarget - counts.nodesOnTarget;
  const replaced = done || batch.removal ? after : after - batch.nodes.length;
  return {
    nodesReplaced: Math.min(counts.nodesToReplace, Math.max(0, replaced)),
    nodesToReplace: counts.nodesToReplace,
  };
}
