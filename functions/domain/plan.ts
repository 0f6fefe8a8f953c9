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

/** Cuts the ordered nodes into batches of `batchSize`, each with its cumulative Ready target. */
export function toBatches(ordered: GroupMember[], batchSize: number, alreadyOnTarget: number): Batch[] {
  const batches: Batch[] = [];
  for (let start = 0; start < ordered.length; start += batchSize) {
    const nodes = ordered
      .slice(start, start + batchSize)
      .map((m) => ({ instanceId: m.instanceId, nodeName: m.nodeName ?? '' }));
    batches.push({ index: batches.length, nodes, readyTarget: alreadyOnTarget + start + nodes.length });
  }
  return batches;
}

/**
 * A rough duration: per batch, boot of the replacements, then drain (grace periods and pod start on
 * the new nodes), then termination.
 */
export function estimateSeconds(
  batches: number,
  timing: { bootSeconds: number; drainSeconds: number; terminateSeconds: number },
): number {
  return batches * (timing.bootSeconds + timing.drainSeconds + timing.terminateSeconds);
}
