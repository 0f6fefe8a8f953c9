import { rolloutInputSchema } from '../../functions/commons/rollout-input.ts';
import type { Scheduler } from './clock.ts';
import type { Invariants } from './invariants.ts';

/** How far past its deadline a wait may run: about one polling interval of the workflow. */
export const deadlineToleranceSeconds = 120;

interface Deadlines {
  drainTimeoutSeconds: number;
  readyTimeoutSeconds: number;
}

interface OpenWait {
  kind: 'drain' | 'replacements';
  group: string;
  subject: string;
  since: number;
  limitSeconds: number;
}

const inputDefaults: Deadlines = {
  drainTimeoutSeconds: rolloutInputSchema.shape.drainTimeoutSeconds.parse(undefined),
  readyTimeoutSeconds: rolloutInputSchema.shape.readyTimeoutSeconds.parse(undefined),
};

/** The deadlines an execution input asks for: its own fields, else the workflow's documented defaults. */
export function deadlinesOf(input: Record<string, unknown>): Deadlines {
  const given = (field: keyof Deadlines) =>
    typeof input[field] === 'number' ? input[field] : inputDefaults[field];
  return {
    drainTimeoutSeconds: given('drainTimeoutSeconds'),
    readyTimeoutSeconds: given('readyTimeoutSeconds'),
  };
}

/**
 * `invariants.waitsPastDeadline`, from what the world sees the executions do to a target group (not
 * from the workflow's own bookkeeping, which is what is under test):
 * - a drain of a node runs from the first eviction (or delete) asked for one of its pods until its
 *   instance is terminated or shuts down (whoever asked: the cluster-autoscaler may remove a node
 *   emptied by the drain), the node is uncordoned, or no execution runs for the group any more; it
 *   may last `drainTimeoutSeconds` + 120 s;
 * - a wait for replacements starts when the group's desired capacity was raised and no node of the
 *   group is being drained (cordoned, or with evictions, and not yet terminated or uncordoned), and
 *   ends at the group's next cordon or eviction, when an execution takes back launches (desired
 *   lowered, or an instance that is not a drained node terminated with desired decremented), or when
 *   no execution runs for it; it may last `readyTimeoutSeconds` + 120 s. While the execution sits in a
 *   Wait state for its maintenance window (a pause the input asked for, ending at the next opening), or
 *   is paused by a person, it is not waiting for replacements: the wait ends there and starts again
 *   when the execution leaves that state.
 * A wait still open at the end counts if it has already run too long.
 */
export class DeadlineWatch {
  private readonly deadlines = new Map<string, Deadlines>();
  private readonly running = new Map<string, number>();
  private readonly drains = new Map<string, OpenWait>();
  /** Nodes cordoned or drained by an execution and not yet terminated or uncordoned, per group. */
  private readonly busyNodes = new Map<string, Set<string>>();
  private readonly surgePending = new Set<string>();
  private readonly replacementWaits = new Map<string, OpenWait>();
  private readonly waitingForWindow = new Set<string>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly invariants: Invariants,
  ) {}

  executionStarted(group: string, input: Record<string, unknown>): void {
    this.deadlines.set(group, deadlinesOf(input));
    this.running.set(group, (this.running.get(group) ?? 0) + 1);
  }

  executionEnded(group: string): void {
    const left = (this.running.get(group) ?? 1) - 1;
    this.running.set(group, left);
    if (left > 0) return;
    for (const wait of [...this.drains.values()].filter((open) => open.group === group)) {
      this.close(this.drains, wait.subject);
    }
    this.close(this.replacementWaits, group);
    this.surgePending.delete(group);
    this.busyNodes.delete(group);
    this.waitingForWindow.delete(group);
  }

  /** An execution of the group entered (true) or left (false) a Wait state for its maintenance window. */
  windowWait(group: string, waiting: boolean): void {
    if (waiting) {
      this.waitingForWindow.add(group);
      this.close(this.replacementWaits, group);
    } else {
      this.waitingForWindow.delete(group);
      this.openReplacementWaitIfIdle(group);
    }
  }

  /** An execution raised the group's desired capacity. */
  surged(group: string): void {
    if (!this.deadlines.has(group)) return;
    this.surgePending.add(group);
    this.openReplacementWaitIfIdle(group);
  }

  /**
   * An execution shrank the group (desired lowered, or an instance terminated with the desired
   * capacity decremented) other than by terminating a node it drained: it gave up replacements it was
   * waiting for (a rollback removing its unused surge), so that wait is over.
   */
  surgeWithdrawn(group: string, node?: string): void {
    if (node !== undefined && this.busyNodes.get(group)?.has(node)) return;
    this.replacementsNoLongerAwaited(group);
  }

  cordoned(group: string, node: string): void {
    if (!this.deadlines.has(group)) return;
    this.busy(group).add(node);
    this.replacementsNoLongerAwaited(group);
  }

  /** An execution asked to evict or delete a pod of the node (accepted or not). */
  podRemovalAsked(group: string, node: string): void {
    const deadlines = this.deadlines.get(group);
    if (deadlines === undefined) return;
    this.busy(group).add(node);
    this.replacementsNoLongerAwaited(group);
    if (this.drains.has(node)) return;
    this.drains.set(node, {
      kind: 'drain',
      group,
      subject: node,
      since: this.scheduler.now(),
      limitSeconds: deadlines.drainTimeoutSeconds,
    });
  }

  /** The node's instance was asked to terminate or shut down, or the node was uncordoned: its drain is over. */
  drainOver(group: string, node: string): void {
    this.close(this.drains, node);
    const busy = this.busyNodes.get(group);
    if (busy?.delete(node)) this.openReplacementWaitIfIdle(group);
  }

  /** Waits still open that have already run more than 120 s past their deadline. */
  openOverdue(): number {
    const now = this.scheduler.now();
    const open = [...this.drains.values(), ...this.replacementWaits.values()];
    return open.filter((wait) => this.overdue(wait, now)).length;
  }

  private busy(group: string): Set<string> {
    let nodes = this.busyNodes.get(group);
    if (nodes === undefined) {
      nodes = new Set();
      this.busyNodes.set(group, nodes);
    }
    return nodes;
  }

  private openReplacementWaitIfIdle(group: string): void {
    const deadlines = this.deadlines.get(group);
    if (deadlines === undefined || !this.surgePending.has(group) || this.replacementWaits.has(group)) return;
    if (this.waitingForWindow.has(group)) return;
    if ((this.busyNodes.get(group)?.size ?? 0) > 0) return;
    this.replacementWaits.set(group, {
      kind: 'replacements',
      group,
      subject: group,
      since: this.scheduler.now(),
      limitSeconds: deadlines.readyTimeoutSeconds,
    });
  }

  private replacementsNoLongerAwaited(group: string): void {
    if (this.close(this.replacementWaits, group)) this.surgePending.delete(group);
  }

  private overdue(wait: OpenWait, now: number): boolean {
    return (now - wait.since) / 1000 > wait.limitSeconds + deadlineToleranceSeconds;
  }

  private close(waits: Map<string, OpenWait>, key: string): boolean {
    const wait = waits.get(key);
    if (wait === undefined) return false;
    waits.delete(key);
    const now = this.scheduler.now();
    if (this.overdue(wait, now)) {
      this.invariants.waitPastDeadline({
        wait: wait.kind,
        group: wait.group,
        [wait.kind === 'drain' ? 'node' : 'nodeGroup']: wait.subject,
        seconds: Math.round((now - wait.since) / 1000),
        deadlineSeconds: wait.limitSeconds,
      });
    }
    return true;
  }
}
