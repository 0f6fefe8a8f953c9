import { createHash } from 'node:crypto';
import type { LaunchTemplateVersion } from '../adapters/ec2.ts';

/** An idempotency token for one of an execution's calls, short enough for any AWS ClientToken. */
export const clientToken = (executionName: string, purpose: string) =>
  createHash('sha256').update(`${executionName}/${purpose}`).digest('hex');

/** How a group names its template version; a rollout leaves it as it found it. */
export type ReferenceForm = 'number' | '$Latest' | '$Default';

export const referenceFormOf = (spec: string): ReferenceForm =>
  spec === '$Latest' || spec === '$Default' ? spec : 'number';

/** An ImageId that EC2 resolves from Systems Manager at each launch. */
export const isSsmAlias = (imageId: string | undefined): boolean =>
  imageId?.startsWith('resolve:ssm:') ?? false;

/** The version number a group's version spec (`3`, `$Latest`, `$Default`) stands for. */
export function resolveVersion(
  spec: string,
  versions: LaunchTemplateVersion[],
): LaunchTemplateVersion | undefined {
  if (spec === '$Latest') return newestFirst(versions)[0];
  if (spec === '$Default') return versions.find((v) => v.isDefault);
  return versions.find((v) => v.versionNumber === Number(spec));
}

const newestFirst = (versions: LaunchTemplateVersion[]) =>
  [...versions].sort((a, b) => b.versionNumber - a.versionNumber);

/** JSON with object keys sorted, so equal data compares equal whatever order EC2 returned it in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonical(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Whether two versions launch the same instances but for the AMI. */
export function equalApartFromImage(a: LaunchTemplateVersion, b: LaunchTemplateVersion): boolean {
  return canonical({ ...a.data, ImageId: undefined }) === canonical({ ...b.data, ImageId: undefined });
}

export interface LaunchTemplateDecision {
  /** Version to launch from; undefined: create one from `sourceVersion` with the target AMI. */
  reuseVersion: number | undefined;
  sourceVersion: number;
  /** What the group launched before the rollout: the rollback target. */
  previousVersion: number;
}

/**
 * Which version the group launches the target AMI from. A version is reused only when it equals the
 * current one apart from ImageId (a retry, or a re-run after a stop): one that differs in anything
 * else (an earlier run's version, before the operator fixed user data) would undo that fix. A
 * `$Latest` group can only launch the newest version, so only that one is reusable for it. When the
 * current version already launches the target AMI, the previous version is the newest older one that
 * equals it apart from ImageId and launches another AMI (an earlier run of ours).
 * `effectiveImageId` is what a version launches now (`resolve:ssm:` aliases resolved).
 */
export function decideLaunchTemplate(
  versions: LaunchTemplateVersion[],
  current: LaunchTemplateVersion,
  targetAmiId: string,
  form: ReferenceForm,
  effectiveImageId: (version: LaunchTemplateVersion) => string | undefined = (v) => v.imageId,
): LaunchTemplateDecision {
  const sorted = newestFirst(versions);
  const sameButImage = (v: LaunchTemplateVersion) => equalApartFromImage(v, current);
  if (effectiveImageId(current) === targetAmiId) {
    const previous = sorted.find(
      (v) =>
        v.versionNumber < current.versionNumber && sameButImage(v) && effectiveImageId(v) !== targetAmiId,
    );
    return {
      reuseVersion: current.versionNumber,
      sourceVersion: current.versionNumber,
      previousVersion: (previous ?? current).versionNumber,
    };
  }
  const candidates = form === '$Latest' ? sorted.slice(0, 1) : sorted;
  const reuse = candidates.find((v) => v.imageId === targetAmiId && sameButImage(v));
  return {
    reuseVersion: reuse?.versionNumber,
    sourceVersion: current.versionNumber,
    previousVersion: current.versionNumber,
  };
}

/** What a rollback does to the template so the group launches what it launched before. */
export type TemplateRestore =
  | { kind: 'none'; reason: string }
  | { kind: 'pointGroup'; version: number }
  | { kind: 'setDefault'; version: number }
  /** `$Latest`: a new newest version, a copy of the previous one. */
  | { kind: 'copyAsLatest'; version: number };

/** The launch template change to undo, in the group's own reference form. */
export interface TemplateChange {
  launchTemplateId: string;
  reference: ReferenceForm;
  previousVersion: number;
  targetVersion: number;
  targetAmiId: string;
}

/**
 * The rollback of the template, by reference form, only where the rollout's change still stands
 * (the group, the default or the newest version is still the rollout's `targetVersion`).
 */
export function templateRestore(
  form: ReferenceForm,
  state: { groupVersion: string; defaultVersion: number | undefined; latestVersion: number | undefined },
  rollout: { previousVersion: number; targetVersion: number },
): TemplateRestore {
  const { previousVersion, targetVersion } = rollout;
  if (previousVersion === targetVersion) {
    return { kind: 'none', reason: `the group already launched version ${targetVersion} before the rollout` };
  }
  const [current, restore]: [number | undefined, TemplateRestore] =
    form === '$Latest'
      ? [state.latestVersion, { kind: 'copyAsLatest', version: previousVersion }]
      : form === '$Default'
        ? [state.defaultVersion, { kind: 'setDefault', version: previousVersion }]
        : [Number(state.groupVersion), { kind: 'pointGroup', version: previousVersion }];
  return current === targetVersion
    ? restore
    : { kind: 'none', reason: `the group no longer launches version ${targetVersion} (now ${current})` };
}
