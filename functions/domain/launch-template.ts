import type { LaunchTemplateVersion } from '../adapters/ec2.ts';

/** The version number a group's version spec (`3`, `$Latest`, `$Default`) stands for. */
export function resolveVersion(
  spec: string,
  versions: LaunchTemplateVersion[],
): LaunchTemplateVersion | undefined {
  if (spec === '$Latest') return [...versions].sort((a, b) => b.versionNumber - a.versionNumber)[0];
  if (spec === '$Default') return versions.find((v) => v.isDefault);
  return versions.find((v) => v.versionNumber === Number(spec));
}

export interface LaunchTemplateDecision {
  /** Version to point the group at; undefined: create one from `sourceVersion`. */
  reuseVersion: number | undefined;
  sourceVersion: number;
  /** Where the group pointed before the rollout: the rollback target. */
  previousVersion: number;
}

/**
 * Idempotent preparation: reuse the newest version that already has the target AMI (a retry, or a
 * re-run after a stop); the previous version is the group's current one, or, when that already has
 * the target AMI, the newest older version with another AMI.
 */
export function decideLaunchTemplate(
  versions: LaunchTemplateVersion[],
  current: LaunchTemplateVersion,
  targetAmiId: string,
): LaunchTemplateDecision {
  const newestFirst = [...versions].sort((a, b) => b.versionNumber - a.versionNumber);
  const reuse = newestFirst.find((v) => v.imageId === targetAmiId);
  const previous =
    current.imageId !== targetAmiId
      ? current
      : (newestFirst.find((v) => v.versionNumber < current.versionNumber && v.imageId !== targetAmiId) ??
        current);
  return {
    reuseVersion: reuse?.versionNumber,
    sourceVersion: current.versionNumber,
    previousVersion: previous.versionNumber,
  };
}
