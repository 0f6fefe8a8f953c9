/**
 * Keeping the group's Availability Zones even. Auto Scaling launches into the zone with the fewest
 * instances, and AZRebalance (once resumed) answers zones that differ by more than one instance by
 * launching in the emptiest and terminating in the fullest, without a drain. A rollout that ends with
 * uneven zones therefore moves nodes itself first, drained like any batch.
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-benefits.html#AutoScalingBehavior.Rebalancing
 */

export interface ZoneMember {
  instanceId: string;
  availabilityZone: string;
  /** Milliseconds since the epoch. */
  launchTime: number;
}

/** Instances per zone, in the group's zone order (a zone the group lists but no instance uses counts 0). */
export function zoneCounts(zones: string[], members: { availabilityZone: string }[]): number[] {
  return zones.map((zone) => members.filter((m) => m.availabilityZone === zone).length);
}

/** Whether AZRebalance would leave the zones alone: they differ by at most one instance. */
export function zonesEven(zones: string[], members: { availabilityZone: string }[]): boolean {
  const counts = zoneCounts(zones, members);
  return counts.length === 0 || Math.max(...counts) - Math.min(...counts) <= 1;
}

/**
 * The launches after which the zones are even, Auto Scaling putting each into the zone with the
 * fewest instances (`pending`: launches asked for and not yet in the group, placed the same way):
 * every zone raised to one below the fullest. Evens the zones without terminating anything.
 */
export function launchesToEven(
  zones: string[],
  members: { availabilityZone: string }[],
  pending = 0,
): number {
  const counts = zoneCounts(zones, members);
  if (counts.length === 0) return 0;
  for (let launch = 0; launch < pending; launch++) {
    const emptiest = counts.indexOf(Math.min(...counts));
    counts[emptiest] = (counts[emptiest] ?? 0) + 1;
  }
  const fullest = Math.max(...counts);
  return counts.reduce((launches, count) => launches + Math.max(0, fullest - 1 - count), 0);
}

/** The index of the first smallest (or largest) count among the indexes `allowed` keeps. */
function pick(counts: number[], better: (a: number, b: number) => boolean, allowed: (i: number) => boolean) {
  let best = -1;
  counts.forEach((count, i) => {
    if (allowed(i) && (best < 0 || better(count, counts[best] ?? 0))) best = i;
  });
  return best;
}

/**
 * The members to replace so that the zones end even: the group launches as many replacements, each
 * into the zone with the fewest instances (the moved members still count until they are terminated),
 * and these members, oldest first in the fullest zones, then go. The fewest moves that even the zones;
 * empty when they are even already or no number of moves evens them.
 */
export function balancingMoves(zones: string[], members: ZoneMember[]): ZoneMember[] {
  if (zonesEven(zones, members)) return [];
  const byZone = zones.map((zone) =>
    members
      .filter((m) => m.availabilityZone === zone)
      .sort((a, b) => a.launchTime - b.launchTime || a.instanceId.localeCompare(b.instanceId)),
  );
  for (let moves = 1; moves <= members.length; moves++) {
    const counts = zoneCounts(zones, members);
    for (let launched = 0; launched < moves; launched++) {
      const emptiest = pick(
        counts,
        (a, b) => a < b,
        () => true,
      );
      counts[emptiest] = (counts[emptiest] ?? 0) + 1;
    }
    const taken = zones.map(() => 0);
    const chosen: ZoneMember[] = [];
    for (let removed = 0; removed < moves; removed++) {
      const fullest = pick(
        counts,
        (a, b) => a > b,
        (i) => (taken[i] ?? 0) < (byZone[i]?.length ?? 0),
      );
      const member = byZone[fullest]?.[taken[fullest] ?? 0];
      if (member === undefined) break;
      chosen.push(member);
      taken[fullest] = (taken[fullest] ?? 0) + 1;
      counts[fullest] = (counts[fullest] ?? 0) - 1;
    }
    if (chosen.length === moves && Math.max(...counts) - Math.min(...counts) <= 1) return chosen;
  }
  return [];
}
