/** A person paused the rollout (`eks-windows-patcher pause`): it goes on to no next batch until resumed. */
export interface Pause {
  /** Epoch milliseconds. */
  at: number;
  by: string;
  /** Empty when none was given. */
  reason: string;
}

/**
 * How long a paused execution waits on its task token before it looks at the lock again. A resume
 * answers the token at once; the look renews the lease, so a long pause keeps the group locked.
 */
export const pauseCheckSeconds = 86_400;

/** The lease of a paused execution outlasts its wait (`holdSeconds`), and then the usual lease of a batch. */
export const pausedLeaseExpiry = (now: number, holdSeconds: number, batchLeaseSeconds: number): number =>
  now + (holdSeconds + batchLeaseSeconds) * 1000;

/** The commands that answer, named in notifications and `status`. */
export const resumeCommand = (executionArn: string): string =>
  `npx eks-windows-patcher resume ${executionArn}`;

/** Why `pause` or `resume` changed nothing, from the lock as it is now. */
export function pauseRefusal(
  action: 'pause' | 'resume',
  executionArn: string,
  lease: { holder: string; holderName: string; pause: Pause | null } | undefined,
  target: { clusterName: string; nodeGroupName: string },
): string {
  const group = `node group ${target.nodeGroupName} of cluster ${target.clusterName}`;
  if (lease?.holder !== executionArn) {
    const holder = lease ? `execution ${lease.holderName} holds it` : 'nobody holds it';
    return (
      `Execution ${executionArn} does not hold the lock of ${group} (${holder}): it has not taken it yet, ` +
      `or its rollout continues in another execution; ${action} the execution that holds it.`
    );
  }
  if (action === 'pause' && lease.pause !== null) {
    return `The rollout of ${group} is already paused, since ${new Date(lease.pause.at).toISOString()} by ${lease.pause.by}.`;
  }
  return `The rollout of ${group} is not paused: nothing to resume.`;
}
