import type { BatchPoint, FaultSpec } from '../scenario.ts';
import type { Scheduler } from './clock.ts';

/** What arming or clearing a fault does to the rest of the world. */
export interface FaultEffects {
  /** The workload's pods fail their readiness probe (or pass it again). */
  setWorkloadNeverReady(workload: string, neverReady: boolean): void;
  /** `amiId` undefined: the execution's target. */
  deregisterImage(amiId: string | undefined): void;
  /** As StopExecution (`ABORTED`) or the state machine's timeout (`TIMED_OUT`): the named execution, or the first one still running. */
  stopExecution(executionName: string | undefined, ending: ExecutionEnding): void;
  scaleWorkload(workload: string, replicas: number): void;
  restartWorkload(workload: string): void;
  /** Desired capacity of the node group raised by `count` from outside the rollout. */
  scaleOut(group: string, count: number): void;
  /** The kubelet of the group's `index`-th starting instance stops. */
  nodeUnreachable(group: string, index: number): void;
}

/** How a stopped execution ends. */
export type ExecutionEnding = 'ABORTED' | 'TIMED_OUT';

/** The index of the batch a point names, among `count` batches. */
export function batchIndexOf(point: BatchPoint, count: number): number {
  if (point === 'first') return 0;
  if (point === 'last') return count - 1;
  if (point === 'middle') return Math.floor((count - 1) / 2);
  return point;
}

/**
 * The scenario's faults, consumed as the world meets them. A fault with `batch` is armed when an
 * execution starts that batch; the others from the start. `clear()` is the operator fixing the causes.
 */
export class Faults {
  /** Per operation, each throttle fault's window: calls let through first, then calls refused. */
  private readonly throttleWindows = new Map<string, { passesLeft: number; refusalsLeft: number }[]>();
  /** Per workload, how many of its pods stay Terminating once asked to go. */
  private readonly stuckLeft = new Map<string, number>();
  private launchFailuresLeft = 0;
  private readonly crashesLeft = new Set<string>();
  private readonly stopsAfter = new Map<string, ExecutionEnding>();
  private listLagSeconds = 0;
  private readonly neverReadyWorkloads = new Set<string>();
  private nodesNeverReadyArmed = false;
  private waiting: FaultSpec[];
  private cleared = false;

  constructor(
    private readonly specs: FaultSpec[],
    private readonly scheduler: Scheduler,
    private readonly effects: FaultEffects,
  ) {
    this.waiting = specs.filter((fault) => fault.batch !== undefined);
    for (const fault of specs) if (fault.batch === undefined) this.arm(fault, undefined, false);
  }

  get nodesNeverReady(): boolean {
    return this.nodesNeverReadyArmed;
  }

  /** Whether the workload's pods fail readiness now. */
  workloadNeverReady(workload: string): boolean {
    return this.neverReadyWorkloads.has(workload);
  }

  /** An execution starts batch `index` of `count`: the faults aimed at it are armed. */
  batchStarted(executionName: string, index: number, count: number): void {
    const due = this.waiting.filter(
      (fault) => fault.batch !== undefined && batchIndexOf(fault.batch, count) === index,
    );
    this.waiting = this.waiting.filter((fault) => !due.includes(fault));
    for (const fault of due) this.arm(fault, executionName, true);
  }

  /** The causes are fixed: nothing fires any more, unhealthy workloads recover (a deregistered AMI stays so). */
  clear(): void {
    this.cleared = true;
    this.waiting = [];
    this.throttleWindows.clear();
    this.stuckLeft.clear();
    this.launchFailuresLeft = 0;
    this.crashesLeft.clear();
    this.stopsAfter.clear();
    this.nodesNeverReadyArmed = false;
    for (const workload of this.neverReadyWorkloads) this.effects.setWorkloadNeverReady(workload, false);
    this.neverReadyWorkloads.clear();
  }

  /**
   * Whether this call of `api` (`ec2:DescribeImages`, `k8s:evict`) is refused. Each throttle fault
   * lets its `after` calls pass, then refuses `times` calls; a call refused by one fault does not use
   * up another's refusals (two faults of 2 refuse 4 calls).
   */
  throttles(api: string): boolean {
    let refused = false;
    for (const window of this.throttleWindows.get(api) ?? []) {
      if (window.passesLeft > 0) window.passesLeft--;
      else if (window.refusalsLeft > 0 && !refused) {
        window.refusalsLeft--;
        refused = true;
      }
    }
    return refused;
  }

  /** Whether a pod of this workload, now asked to go, stays Terminating for ever (one of the fault's `count`). */
  staysTerminating(workload: string): boolean {
    const left = this.stuckLeft.get(workload) ?? 0;
    if (left === 0) return false;
    this.stuckLeft.set(workload, left - 1);
    return true;
  }

  /** Whether this launch attempt fails for lack of capacity. */
  launchFails(): boolean {
    if (this.launchFailuresLeft === 0) return false;
    this.launchFailuresLeft--;
    return true;
  }

  /** Whether this (the first since the fault was armed) call of a step's handler crashes. */
  crashes(step: string): boolean {
    return this.crashesLeft.delete(step);
  }

  /** How the execution ends now that this step's handler has returned, if a fault stops it there. */
  stopsAfterStep(step: string): ExecutionEnding | undefined {
    const ending = this.stopsAfter.get(step);
    this.stopsAfter.delete(step);
    return ending;
  }

  /** ListExecutions omits executions started less than this long ago (eventual consistency). */
  get listExecutionsLagSeconds(): number {
    return this.listLagSeconds;
  }

  /** Throttled operations the scenario names, to check that the simulator models them. */
  throttledApis(): string[] {
    return [...new Set(this.specs.flatMap((fault) => (fault.kind === 'throttle' ? [fault.api] : [])))];
  }

  /** `live`: the world is running (not being built), so effects apply now. */
  private arm(fault: FaultSpec, executionName: string | undefined, live: boolean): void {
    switch (fault.kind) {
      case 'throttle': {
        const windows = this.throttleWindows.get(fault.api) ?? [];
        windows.push({ passesLeft: fault.after, refusalsLeft: fault.times });
        this.throttleWindows.set(fault.api, windows);
        return;
      }
      case 'podStuckTerminating':
        this.stuckLeft.set(fault.workload, (this.stuckLeft.get(fault.workload) ?? 0) + fault.count);
        return;
      case 'launchFailure':
        this.launchFailuresLeft += fault.times;
        return;
      case 'handlerCrash':
        this.crashesLeft.add(fault.step);
        return;
      case 'nodeNeverReady':
        this.nodesNeverReadyArmed = true;
        return;
      case 'pdbNeverAllows':
        this.neverReadyWorkloads.add(fault.workload);
        // While the world is built, the workload is created unhealthy instead.
        if (live) this.effects.setWorkloadNeverReady(fault.workload, true);
        return;
      case 'amiDeregistered':
        this.atPoint(fault.afterSeconds, () => this.effects.deregisterImage(fault.amiId));
        return;
      case 'scaleWorkload':
        this.atPoint(fault.afterSeconds, () => this.effects.scaleWorkload(fault.workload, fault.replicas));
        return;
      case 'restartWorkload':
        this.atPoint(fault.afterSeconds, () => this.effects.restartWorkload(fault.workload));
        return;
      case 'scaleOut':
        this.atPoint(fault.afterSeconds, () => this.effects.scaleOut(fault.group, fault.count));
        return;
      case 'nodeUnreachable':
        this.atPoint(fault.afterSeconds, () => this.effects.nodeUnreachable(fault.group, fault.node));
        return;
      case 'executionStopped':
      case 'executionTimedOut': {
        const ending = fault.kind === 'executionStopped' ? 'ABORTED' : 'TIMED_OUT';
        if (fault.step !== undefined) this.stopsAfter.set(fault.step, ending);
        else this.atPoint(fault.afterSeconds, () => this.effects.stopExecution(executionName, ending));
        return;
      }
      case 'listExecutionsLag':
        this.listLagSeconds = fault.seconds;
    }
  }

  /** Now (armed at a batch), or `afterSeconds` from the start unless cleared by then. */
  private atPoint(afterSeconds: number | undefined, action: () => void): void {
    if (afterSeconds === undefined) {
      action();
      return;
    }
    this.scheduler.after(afterSeconds, () => {
      if (!this.cleared) action();
    });
  }
}
