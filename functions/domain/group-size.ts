/**
 * The group's own size, kept on the Auto Scaling group itself before the rollout's first change, so
 * that a later run (after a failure, a stop or a crash) takes it, not the size a surge left behind.
 */
export interface GroupSize {
  minSize: number;
  maxSize: number;
  desired: number;
}

export const originalSizeTag = 'eks-windows-patcher/original-size';

/** `min=2,max=8,desired=4`: readable in the console, at most 256 characters as tag values must be. */
export function formatGroupSize(size: GroupSize): string {
  return `min=${size.minSize},max=${size.maxSize},desired=${size.desired}`;
}

/** The tag's sizes, or undefined when it is absent or not ours to trust (edited by hand badly). */
export function parseGroupSize(value: string | undefined): GroupSize | undefined {
  const match = /^min=(\d+),max=(\d+),desired=(\d+)$/.exec(value ?? '');
  if (!match) return undefined;
  const [minSize, maxSize, desired] = match.slice(1).map(Number) as [number, number, number];
  return minSize <= desired && desired <= maxSize ? { minSize, maxSize, desired } : undefined;
}

/**
 * The size a rollout starts from: the tag's, when an earlier run left one, else the group's. A group
 * scaled in since then (desired below the tag's) has no surplus to remove: its current size wins.
 */
export function ownSize(current: GroupSize, tagValue: string | undefined): GroupSize {
  const kept = parseGroupSize(tagValue);
  const { minSize, maxSize, desired } = !kept || current.desired < kept.desired ? current : kept;
  return { minSize, maxSize, desired };
}

export interface Member {
  instanceId: string;
  launchTime: number;
}

/**
 * The instances beyond the group's own size that a failed run left (its replacements): the newest,
 * since a rollout's surge launched them last.
 */
export function surplusInstances(members: Member[], ownDesired: number): string[] {
  const count = members.length - ownDesired;
  if (count <= 0) return [];
  return [...members]
    .sort((a, b) => b.launchTime - a.launchTime || a.instanceId.localeCompare(b.instanceId))
    .slice(0, count)
    .map((member) => member.instanceId);
}
