import type { Scheduler } from './clock.ts';
import type { NodeRecord, PodRecord, WorkloadRecord } from './cluster.ts';
import type { InstanceRecord } from './ec2.ts';

export interface RolloutMetrics {
  /** The fewest Ready, schedulable nodes a target group had at any moment (null: no target group). */
  minSchedulableReadyNodes: number | null;
  /** Accepted evictions ÷ replicas evicted at least once (a replica follows its pods across re-creations). */
  evictionsPerPod: number;
  /** Seconds × pods that Deployments and StatefulSets were below their desired Ready count. */
  unavailablePodSeconds: number;
  /** The most instances a target group had (pending or running) above its size at the start. */
  peakExtraInstances: number;
  /** Hours that instances of the target groups ran (launch to terminated) until the executions ended. */
  instanceHours: number;
  /** Pods returned by every pod list call of the Kubernetes API. */
  podsListed: number;
  /** Calls the handlers made to the Kubernetes API and to AWS APIs (refused ones too). */
  kubernetesCalls: number;
  awsCalls: number;
}

interface Billing {
  group: string;
  from: number;
  to: number | undefined;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/**
 * What a rollout costs the cluster, measured by the world as it happens; each observation is O(1) or
 * touches only what changed. `freeze()` at the end of the executions stops the clock on it.
 */
export class Metrics {
  private frozenAt: number | undefined;
  private readonly schedulableReady = new Map<string, Set<string>>();
  private readonly minimum = new Map<string, number>();
  private readonly evictionsOf = new Map<string, number>();
  private evictions = 0;
  private readonly deficits = new Map<WorkloadRecord, { pods: number; since: number }>();
  private unavailableMilliseconds = 0;
  private readonly live = new Map<string, number>();
  private readonly baseline = new Map<string, number>();
  private peakExtra = 0;
  private readonly billing = new Map<string, Billing>();
  private listed = 0;
  private readonly calls = { kubernetes: 0, aws: 0 };

  constructor(
    private readonly scheduler: Scheduler,
    /** The node groups the started executions target. */
    private readonly targets: ReadonlySet<string>,
    private readonly startedAt: number,
  ) {}

  private get now() {
    return this.scheduler.now();
  }

  private get running() {
    return this.frozenAt === undefined;
  }

  /** The group's size when the world was built: what "extra" instances are counted above. */
  setBaseline(group: string, instances: number): void {
    this.baseline.set(group, instances);
  }

  /** A group became a target: its current state is its first observation. */
  targetAdded(group: string): void {
    this.observeNodes(group);
  }

  /** A node registered, changed condition or schedulability, or was deleted. */
  nodeChanged(node: NodeRecord, deleted: boolean): void {
    const nodes = this.schedulableReady.get(node.groupName) ?? new Set<string>();
    this.schedulableReady.set(node.groupName, nodes);
    if (!deleted && node.ready === 'True' && !node.unschedulable) nodes.add(node.name);
    else nodes.delete(node.name);
    this.observeNodes(node.groupName);
  }

  /** The Eviction API accepted the eviction of a pod. */
  evicted(pod: PodRecord): void {
    if (!this.running) return;
    this.evictions++;
    this.evictionsOf.set(pod.lineage, (this.evictionsOf.get(pod.lineage) ?? 0) + 1);
  }

  /** The pods of these workloads changed: their Ready count is taken again. */
  workloadsChanged(workloads: Iterable<WorkloadRecord>, readyPods: (workload: WorkloadRecord) => number) {
    if (!this.running) return;
    for (const workload of workloads) {
      const desired = workload.desiredReplicas;
      if (desired === undefined) continue;
      const ready = readyPods(workload);
      this.accrue(workload);
      this.deficits.set(workload, { pods: Math.max(0, desired - ready), since: this.now });
    }
  }

  /** An instance is pending or running: it counts toward its group's size and is billed. */
  instanceUp(instance: InstanceRecord): void {
    const live = (this.live.get(instance.groupName) ?? 0) + 1;
    this.live.set(instance.groupName, live);
    this.billing.set(instance.id, {
      group: instance.groupName,
      from: Math.max(instance.launchTime.getTime(), this.startedAt),
      to: undefined,
    });
    if (this.running && this.targets.has(instance.groupName)) {
      const extra = live - (this.baseline.get(instance.groupName) ?? live);
      this.peakExtra = Math.max(this.peakExtra, extra);
    }
  }

  /** An instance began shutting down: it no longer counts toward its group's size. */
  instanceDown(instance: InstanceRecord): void {
    this.live.set(instance.groupName, (this.live.get(instance.groupName) ?? 1) - 1);
  }

  /** An instance is terminated: billing stops. */
  instanceTerminated(instance: InstanceRecord): void {
    const bill = this.billing.get(instance.id);
    if (bill !== undefined && bill.to === undefined) bill.to = this.now;
  }

  podsListedByCall(count: number): void {
    this.listed += count;
  }

  /** A call of the Kubernetes API (`k8s:…`) or of an AWS API. */
  apiCalled(api: string): void {
    if (!this.running) return;
    if (api.startsWith('k8s:')) this.calls.kubernetes++;
    else this.calls.aws++;
  }

  /** The executions ended: what happens after (the world settling) is not the rollout's. */
  freeze(): void {
    if (!this.running) return;
    for (const workload of this.deficits.keys()) this.accrue(workload);
    this.frozenAt = this.now;
  }

  report(): RolloutMetrics {
    const until = this.frozenAt ?? this.now;
    const minima = [...this.targets].flatMap((group) => {
      const minimum = this.minimum.get(group);
      return minimum === undefined ? [] : [minimum];
    });
    let billedMilliseconds = 0;
    for (const bill of this.billing.values()) {
      if (!this.targets.has(bill.group)) continue;
      billedMilliseconds += Math.max(0, Math.min(bill.to ?? until, until) - bill.from);
    }
    const unavailable =
      this.unavailableMilliseconds +
      (this.running
        ? [...this.deficits.values()].reduce((sum, d) => sum + d.pods * (until - d.since), 0)
        : 0);
    return {
      minSchedulableReadyNodes: minima.length === 0 ? null : Math.min(...minima),
      evictionsPerPod: this.evictionsOf.size === 0 ? 0 : round2(this.evictions / this.evictionsOf.size),
      unavailablePodSeconds: Math.round(unavailable / 1000),
      peakExtraInstances: this.peakExtra,
      instanceHours: round2(billedMilliseconds / 3_600_000),
      podsListed: this.listed,
      kubernetesCalls: this.calls.kubernetes,
      awsCalls: this.calls.aws,
    };
  }

  private observeNodes(group: string): void {
    if (!this.running || !this.targets.has(group)) return;
    const count = this.schedulableReady.get(group)?.size ?? 0;
    this.minimum.set(group, Math.min(this.minimum.get(group) ?? count, count));
  }

  private accrue(workload: WorkloadRecord): void {
    const deficit = this.deficits.get(workload);
    if (deficit === undefined) return;
    this.unavailableMilliseconds += deficit.pods * (this.now - deficit.since);
    deficit.since = this.now;
  }
}
