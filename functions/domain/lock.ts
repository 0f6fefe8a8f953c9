import type { Pause } from './pause.ts';
import { nodesGone } from './polling.ts';

/** The group as the rollout found it, before any change: what a clean-up restores. */
export interface GroupBefore {
  asgName: string;
  launchTemplateId: string;
  /** As the group names it: a number, `$Latest` or `$Default`. */
  launchTemplateVersion: string;
  /** The number `$Latest` or `$Default` stood for then (a clean-up puts it back); absent for a number. */
  launchTemplateResolvedVersion?: number;
  minSize: number;
  maxSize: number;
  desired: number;
  /** Auto Scaling processes suspended before the rollout: the rollout resumes only the others. */
  suspendedProcesses: string[];
}

/** One node group's lock: who holds it, until when, and the group's state from before the rollout. */
export interface Lease {
  /** The group's ARN: one group however the input names it. */
  groupId: string;
  /** Execution ARN of the holder. */
  holder: string;
  holderName: string;
  /** Epoch milliseconds. */
  acquiredAt: number;
  expiresAt: number;
  before: GroupBefore;
  /** Set by `pause`, removed by `resume`: the holder starts no batch meanwhile. */
  pause: Pause | null;
  /** The longest a batch of this rollout took so far (its continuations included); null before the first is done. */
  slowestBatchSeconds: number | null;
}

/** Time after a batch's waits for retries, Finish and Rollback. */
const leaseMarginSeconds = 3_600;

/**
 * How long a lease lasts: the execution renews it as each batch starts, and a batch ends within its
 * waits' deadlines. A holder that is lost without clean-up blocks the group at most this long.
 */
export function leaseSeconds(timeouts: { readyTimeoutSeconds: number; drainTimeoutSeconds: number }): number {
  return (
    timeouts.readyTimeoutSeconds +
    timeouts.drainTimeoutSeconds +
    nodesGone.timeoutSeconds +
    leaseMarginSeconds
  );
}

export const isLive = (lease: Lease, now: number): boolean => lease.expiresAt >= now;

/** `arn:aws:states:r:a:execution:Machine:self` and `other` → the ARN of execution `other`. */
export function siblingExecutionArn(executionArn: string, name: string): string {
  return [...executionArn.split(':').slice(0, 7), name].join(':');
}

export type LockRefusal =
  | { kind: 'inProgress'; message: string }
  /** The holder has ended; its clean-up (an EventBridge rule) releases the group shortly. */
  | { kind: 'releasePending'; message: string };

/** Why a live lease held by another execution refuses this one. */
export function lockRefusal(
  lease: Lease,
  holderStatus: string,
  target: { clusterName: string; nodeGroupName: string },
): LockRefusal {
  const group = `node group ${target.nodeGroupName} of cluster ${target.clusterName}`;
  const since = new Date(lease.acquiredAt).toISOString();
  if (holderStatus === 'RUNNING') {
    return {
      kind: 'inProgress',
      message:
        `Execution ${lease.holderName} (holding the lock since ${since}) is already rolling ${group} ` +
        `(Auto Scaling group ${lease.before.asgName}): wait for it to finish, or stop it in the Step Functions console.`,
    };
  }
  return {
    kind: 'releasePending',
    message:
      `Execution ${lease.holderName} ended ${holderStatus} while holding ${group}, and its clean-up has not released ` +
      `the group yet (the lock expires at ${new Date(lease.expiresAt).toISOString()}): check the clean-up function's ` +
      'logs and the group, then run the rollout again.',
  };
}
