import type { InstanceRecord } from './ec2.ts';

/**
 * AZRebalance as AWS documents it: when a group's Availability Zones differ by more than one
 * instance (after TerminateInstanceInAutoScalingGroup with a decrement, a suspended process resumed,
 * a zone back from an outage), Auto Scaling launches in the zone with the fewest instances first and,
 * once that instance runs, terminates one in the fullest zone, without any drain. It may exceed the
 * group's max size meanwhile by 10% or one instance, whichever is greater. Suspended AZRebalance,
 * Launch or Terminate stops it.
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-benefits.html#AutoScalingBehavior.Rebalancing
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-suspend-resume-processes.html
 */

/** What a group carries for AZRebalance. */
export interface RebalancingGroup {
  name: string;
  availabilityZones: string[];
  suspendedProcesses: Map<string, unknown>;
  maxSize: number;
  desiredCapacity: number;
  /** The instance AZRebalance launched and has not yet balanced by a termination. */
  rebalanceLaunch: string | undefined;
}

/** What AZRebalance asks of the group's Auto Scaling. */
export interface RebalanceHost {
  /** Launches one instance into the zone with the fewest; its id, or undefined when the launch failed. */
  launch(reason: string): string | undefined;
  /** Looks at the group again soon. */
  schedule(): void;
  record(event: string, detail: Record<string, unknown>): void;
}

export const rebalanceReason = 'an Availability Zone rebalancing operation';

/** Instances each zone holds, in the group's zone order. */
export const zoneCounts = (zones: string[], live: InstanceRecord[]): number[] =>
  zones.map((zone) => live.filter((instance) => instance.availabilityZone === zone).length);

/** The margin above max size a rebalancing may use: 10% of max or one instance, whichever is greater. */
export const rebalanceMargin = (maxSize: number): number => Math.max(1, Math.floor(maxSize / 10));

/**
 * Before the group acts on its capacity: while the rebalancing instance is still pending, the group
 * waits (nothing is terminated before it runs). True when the group must wait.
 */
export function holdForRebalance(
  group: RebalancingGroup,
  live: InstanceRecord[],
  host: RebalanceHost,
): boolean {
  const launched = live.find((instance) => instance.id === group.rebalanceLaunch);
  if (launched?.state === 'pending') {
    host.schedule();
    return true;
  }
  return false;
}

/**
 * The termination that follows a rebalancing launch (the group is then one above desired): its
 * cause names the rebalancing; undefined for an ordinary scale-in. Clears the pending rebalancing.
 */
export function rebalanceTermination(group: RebalancingGroup): string | undefined {
  const reason = group.rebalanceLaunch === undefined ? undefined : rebalanceReason;
  group.rebalanceLaunch = undefined;
  return reason;
}

/** After the group matches its desired capacity: launches in the emptiest zone when the zones are uneven. */
export function rebalance(group: RebalancingGroup, live: InstanceRecord[], host: RebalanceHost): void {
  if (['AZRebalance', 'Launch', 'Terminate'].some((process) => group.suspendedProcesses.has(process))) return;
  if (group.rebalanceLaunch !== undefined || live.length === 0 || live.length !== group.desiredCapacity)
    return;
  const counts = zoneCounts(group.availabilityZones, live);
  if (Math.max(...counts) - Math.min(...counts) <= 1) return;
  if (live.length + 1 > group.maxSize + rebalanceMargin(group.maxSize)) return;
  const launched = host.launch(rebalanceReason);
  if (launched === undefined) return;
  group.rebalanceLaunch = launched;
  host.record('AZRebalance', { group: group.name, instanceId: launched, zoneCounts: counts });
  host.schedule();
}
