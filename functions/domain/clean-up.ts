import { referenceFormOf, type TemplateChange } from './launch-template.ts';
import type { GroupBefore } from './lock.ts';
import { executionError } from './notification.ts';

/** Endings that skip the workflow's own Catch: stopped, timed out, or failed past it (e.g. States.DataLimitExceeded). */
export const endingsToCleanUp = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;

/** The error a clean-up reports for an execution that ended without its own rollback. */
export function endingError(
  status: string,
  execution: string,
  error: string | null | undefined,
  cause: string | null | undefined,
): { name: string; cause: string } {
  if (status === 'ABORTED') {
    return {
      name: 'ExecutionAborted',
      cause: `Execution ${execution} was stopped before it finished: its changes were rolled back; run the rollout again to continue.`,
    };
  }
  if (status === 'TIMED_OUT') {
    return {
      name: 'ExecutionTimedOut',
      cause: `Execution ${execution} ran past the state machine's timeout: its changes were rolled back; run the rollout again to continue.`,
    };
  }
  return executionError({ name: error ?? 'UnknownError', cause: cause ?? '' });
}

/**
 * The launch template change to undo, in the group's own reference form: the group (a number), the
 * default version (`$Default`) or the newest version (`$Latest`) is no longer what it was when the
 * lock was taken. `versions` are the template's default and newest versions now.
 */
export function templateChange(
  before: GroupBefore,
  current: { id: string; version: string } | undefined,
  versions: { defaultVersion: number | undefined; latestVersion: number | undefined },
  targetAmiId: string,
): TemplateChange | undefined {
  if (current === undefined || current.id !== before.launchTemplateId) return undefined;
  const reference = referenceFormOf(before.launchTemplateVersion);
  const previousVersion =
    reference === 'number' ? Number(before.launchTemplateVersion) : before.launchTemplateResolvedVersion;
  const targetVersion =
    reference === 'number'
      ? Number(current.version)
      : reference === '$Default'
        ? versions.defaultVersion
        : versions.latestVersion;
  if (previousVersion === undefined || targetVersion === undefined || previousVersion === targetVersion)
    return undefined;
  return { launchTemplateId: current.id, reference, previousVersion, targetVersion, targetAmiId };
}
