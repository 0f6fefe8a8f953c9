import type { InstanceRecord } from './ec2.ts';

/**
 * An Auto Scaling warm pool (PoolState Stopped, no reuse on scale-in), as AWS documents it
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-warm-pools.html):
 * - instances are launched into the pool from the launch template version the group names at that
 *   moment, run their first boot (Warmed:Pending), then stop (Warmed:Stopped);
 * - a scale-out takes a Warmed:Stopped instance first, as it is, and starts it into the group (a
 *   shorter boot); only an empty pool means a cold launch;
 * - the pool keeps max(MinSize, MaxGroupPreparedCapacity − desired) instances, MaxGroupPreparedCapacity
 *   defaulting to the group's max size, launching new ones from the CURRENT template and terminating
 *   extras;
 * - "existing instances are not affected" by a new launch template: only an instance refresh, or
 *   terminating them (the pool then refills from the current template), replaces them.
 */
export interface WarmPoolSpec {
  minSize: number;
}

export type WarmedState = 'Warmed:Pending' | 'Warmed:Stopped' | 'Warmed:Terminating';

/** What the pool needs from its group. */
export interface WarmPoolHost {
  /** Launches one instance into the pool from what the group names now; a message when it cannot. */
  prepare(zone: string, whenStopped: () => void): InstanceRecord | string;
  /** Starts a stopped pool instance into the group, booting in `seconds`. */
  resume(instance: InstanceRecord, seconds: number): void;
  terminate(instance: InstanceRecord, whenTerminated: () => void): void;
  /** Seconds a cold launch takes to boot. */
  coldBootSeconds(): number;
  record(event: string, detail: Record<string, unknown>): void;
}

/**
 * Starting a stopped, already initialised Windows instance: EC2 start, Windows boot, kubelet join,
 * without the first boot's sysprep and EC2Launch set-up (never longer than a cold boot).
 */
const warmStartSeconds = 120;

export class WarmPool {
  readonly minSize: number;
  /** The instances in the pool, in launch order, with their Auto Scaling lifecycle state. */
  private readonly members = new Map<string, { instance: InstanceRecord; state: WarmedState }>();

  constructor(
    spec: WarmPoolSpec,
    private readonly host: WarmPoolHost,
  ) {
    this.minSize = spec.minSize;
  }

  /** The pool's instances as DescribeWarmPool lists them. */
  instances(): { instance: InstanceRecord; state: WarmedState }[] {
    return [...this.members.values()];
  }

  stateOf(instanceId: string): WarmedState | undefined {
    return this.members.get(instanceId)?.state;
  }

  /** How many instances the pool keeps for a group of this size. */
  targetSize(group: { maxSize: number; desiredCapacity: number }): number {
    return Math.max(this.minSize, group.maxSize - group.desiredCapacity);
  }

  /** An instance of the starting state, already stopped in the pool. */
  adopt(instance: InstanceRecord): void {
    this.members.set(instance.id, { instance, state: 'Warmed:Stopped' });
  }

  /** A scale-out's instance: a stopped one (in `zone` if any), started into the group; undefined when none is. */
  take(zone: string): InstanceRecord | undefined {
    const stopped = this.instances().filter((member) => member.state === 'Warmed:Stopped');
    const member = stopped.find((m) => m.instance.availabilityZone === zone) ?? stopped[0];
    if (member === undefined) return undefined;
    this.members.delete(member.instance.id);
    this.host.resume(member.instance, Math.min(warmStartSeconds, this.host.coldBootSeconds()));
    return member.instance;
  }

  /** Terminates a pool instance (TerminateInstanceInAutoScalingGroup); false when it is not in the pool or already going. */
  terminate(instanceId: string, whenTerminated: () => void): boolean {
    const member = this.members.get(instanceId);
    if (member === undefined || member.state === 'Warmed:Terminating') return false;
    member.state = 'Warmed:Terminating';
    this.host.terminate(member.instance, () => {
      this.members.delete(instanceId);
      whenTerminated();
    });
    return true;
  }

  /**
   * Brings the pool to its size: launches from the current template into the zones with the fewest
   * pool instances, or terminates extras (those on the oldest template version first). Returns false
   * when a launch failed (the caller retries later).
   */
  maintain(group: { maxSize: number; desiredCapacity: number; availabilityZones: string[] }): boolean {
    const target = this.targetSize(group);
    const live = () => this.instances().filter((member) => member.state !== 'Warmed:Terminating');
    while (live().length < target) {
      const zone = this.emptiestZone(group.availabilityZones, live());
      let member: { instance: InstanceRecord; state: WarmedState } | undefined;
      const prepared = this.host.prepare(zone, () => {
        if (member?.state === 'Warmed:Pending') member.state = 'Warmed:Stopped';
      });
      if (typeof prepared === 'string') {
        this.host.record('WarmPoolLaunchFailed', { zone, reason: prepared });
        return false;
      }
      member = { instance: prepared, state: 'Warmed:Pending' };
      this.members.set(prepared.id, member);
    }
    const extras = live()
      .sort((a, b) => (a.instance.launchTemplate?.version ?? 0) - (b.instance.launchTemplate?.version ?? 0))
      .slice(0, Math.max(0, live().length - target));
    for (const extra of extras) this.terminate(extra.instance.id, () => {});
    return true;
  }

  private emptiestZone(zones: string[], live: { instance: InstanceRecord }[]): string {
    const count = (zone: string) => live.filter((m) => m.instance.availabilityZone === zone).length;
    return zones.reduce((best, zone) => (count(zone) < count(best) ? zone : best));
  }
}
