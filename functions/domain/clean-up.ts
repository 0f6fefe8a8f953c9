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
 * The launch template change to undo: the group pointed at `before`'s version when the lock was
 * taken; if it points elsewhere now, the rollout moved it.
 */
export function launchTemplateChange(
  before: GroupBefore,
  current: { id: string; version: string } | undefined,
): { id: string; previousVersion: string; targetVersion: string } | undefined {
  if (current === undefined || current.id !== before.launchTemplateId) return undefined;
  if (current.version === before.launchTemplateVersion) return undefined;
  return { id: current.id, previousVersion: before.launchTemplateVersion, targetVersion: current.version };
}
