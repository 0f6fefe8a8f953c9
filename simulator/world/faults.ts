import type { FaultSpec } from '../scenario.ts';

/** The scenario's faults, consumed as the world meets them. */
export class Faults {
  private readonly throttlesLeft = new Map<string, number>();
  private launchFailuresLeft = 0;
  private readonly crashesLeft = new Set<string>();
  readonly nodesNeverReady: boolean;
  readonly neverReadyWorkloads: ReadonlySet<string>;
  readonly amiDeregistrations: { afterSeconds: number; amiId?: string }[];

  constructor(faults: FaultSpec[]) {
    const neverReady = new Set<string>();
    for (const fault of faults) {
      if (fault.kind === 'throttle') {
        this.throttlesLeft.set(fault.api, (this.throttlesLeft.get(fault.api) ?? 0) + fault.times);
      }
      if (fault.kind === 'launchFailure') this.launchFailuresLeft += fault.times;
      if (fault.kind === 'handlerCrash') this.crashesLeft.add(fault.step);
      if (fault.kind === 'pdbNeverAllows') neverReady.add(fault.workload);
    }
    this.nodesNeverReady = faults.some((fault) => fault.kind === 'nodeNeverReady');
    this.neverReadyWorkloads = neverReady;
    this.amiDeregistrations = faults.flatMap((fault) => (fault.kind === 'amiDeregistered' ? [fault] : []));
  }

  /** Whether this call of `api` (`ec2:DescribeImages`, `k8s:evict`) is refused. */
  throttles(api: string): boolean {
    const left = this.throttlesLeft.get(api) ?? 0;
    if (left === 0) return false;
    this.throttlesLeft.set(api, left - 1);
    return true;
  }

  /** Whether this launch attempt fails for lack of capacity. */
  launchFails(): boolean {
    if (this.launchFailuresLeft === 0) return false;
    this.launchFailuresLeft--;
    return true;
  }

  /** Whether this (the first) call of a step's handler crashes. */
  crashes(step: string): boolean {
    return this.crashesLeft.delete(step);
  }

  /** Throttled operations the scenario names, to check that the simulator models them. */
  throttledApis(): string[] {
    return [...this.throttlesLeft.keys()];
  }
}
