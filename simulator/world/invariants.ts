import type { Timeline } from './timeline.ts';

export interface InvariantCounts {
  pdbViolations: number;
  podsDeletedWithoutEviction: number;
  nonTargetNodesTouched: number;
  cordonedNodesLeft: number;
  capacityBelowMinimum: number;
  /** Auto Scaling processes the service suspended and left suspended (counted at the end). */
  processesLeftSuspended: number;
  /** Groups whose launch template reference changed form, e.g. `$Latest` → `7` (counted at the end). */
  launchTemplateReferenceChanged: number;
  concurrentRollouts: number;
  waitsPastDeadline: number;
}

export interface ForcedDeletion {
  t: number;
  pod: string;
  node: string | undefined;
  /** The PDBs that allowed no disruption when it was deleted: what `overridePdbAfterTimeout` overrode. */
  budgets: string[];
}

/** What the rollout must never do, counted by the world as it happens. */
export class Invariants {
  readonly counts: InvariantCounts = {
    pdbViolations: 0,
    podsDeletedWithoutEviction: 0,
    nonTargetNodesTouched: 0,
    cordonedNodesLeft: 0,
    capacityBelowMinimum: 0,
    processesLeftSuspended: 0,
    launchTemplateReferenceChanged: 0,
    concurrentRollouts: 0,
    waitsPastDeadline: 0,
  };
  /** Plain deletes the execution asked for with `overridePdbAfterTimeout`: reported, not counted. */
  readonly forcedDeletions: ForcedDeletion[] = [];
  private readonly groupsBelowMinimum = new Set<string>();
  /** Per node group, the executions that changed it. */
  private readonly changedBy = new Map<string, Set<string>>();
  private readonly endedExecutions = new Set<string>();
  private readonly concurrentPairs = new Set<string>();

  constructor(private readonly timeline: Timeline) {}

  podRemovedWithoutEviction(
    pod: string,
    node: string | undefined,
    how: string,
    forced: boolean,
    budgets: string[] = [],
  ): void {
    if (forced) {
      this.forcedDeletions.push({ t: this.timeline.elapsedSeconds(), pod, node, budgets });
      return;
    }
    this.counts.podsDeletedWithoutEviction++;
    this.timeline.record('InvariantViolated', { invariant: 'podsDeletedWithoutEviction', pod, node, how });
  }

  pdbViolated(pdb: string, pod: string): void {
    this.counts.pdbViolations++;
    this.timeline.record('InvariantViolated', { invariant: 'pdbViolations', pdb, pod });
  }

  nonTargetTouched(group: string, action: string, resource: string): void {
    this.counts.nonTargetNodesTouched++;
    this.timeline.record('InvariantViolated', {
      invariant: 'nonTargetNodesTouched',
      group,
      action,
      resource,
    });
  }

  /** An execution (or work it triggered) changed a target group: two running executions that both did break the lock. */
  groupChangedBy(group: string, execution: string): void {
    if (this.endedExecutions.has(execution)) return;
    const executions = this.changedBy.get(group) ?? new Set<string>();
    this.changedBy.set(group, executions.add(execution));
    for (const other of executions) {
      const pair = `${group}\n${[execution, other].sort().join('\n')}`;
      if (other === execution || this.endedExecutions.has(other) || this.concurrentPairs.has(pair)) continue;
      this.concurrentPairs.add(pair);
      this.counts.concurrentRollouts++;
      this.timeline.record('InvariantViolated', {
        invariant: 'concurrentRollouts',
        group,
        executions: [other, execution],
      });
    }
  }

  executionEnded(execution: string): void {
    this.endedExecutions.add(execution);
  }

  /** A wait of an execution that ended (or was still open) more than 120 s past its deadline. */
  waitPastDeadline(detail: Record<string, unknown>): void {
    this.counts.waitsPastDeadline++;
    this.timeline.record('InvariantViolated', { invariant: 'waitsPastDeadline', ...detail });
  }

  /** Counts each moment a target group falls below its minimum of Ready nodes (once per dip). */
  observeCapacity(group: string, readyNodes: number, minSize: number): void {
    const below = readyNodes < minSize;
    if (below && !this.groupsBelowMinimum.has(group)) {
      this.counts.capacityBelowMinimum++;
      this.timeline.record('InvariantViolated', {
        invariant: 'capacityBelowMinimum',
        group,
        readyNodes,
        minSize,
      });
    }
    if (below) this.groupsBelowMinimum.add(group);
    else this.groupsBelowMinimum.delete(group);
  }
}
