import { AutoScalingProcessesSuspended } from '../commons/errors.ts';

/**
 * Auto Scaling processes suspended for the rollout: AZRebalance would otherwise answer a surge or a
 * termination that leaves zones uneven by launching in one zone and terminating in another, with no drain.
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-suspend-resume-processes.html
 */
export const rolloutProcesses = ['AZRebalance'] as const;

/**
 * The group tag naming the processes a rollout suspended, set before it suspends them: a later
 * run (after a stopped one) knows them for ours, not someone else's.
 */
export const suspendedByUsTag = 'eks-windows-patcher/suspended-processes';

/** Processes suspended before the rollout by someone else: suspended, and not named by our tag. */
export const suspendedByOthers = (suspended: string[], tags: Record<string, string>): string[] => {
  const ours = (tags[suspendedByUsTag] ?? '').split(',');
  return suspended.filter((process) => !ours.includes(process));
};

/** Processes the rollout cannot work without: a surge needs Launch, a termination needs Terminate. */
const requiredProcesses = ['Launch', 'Terminate'];

/** What to suspend now: the rollout's processes that nobody suspended before. */
export const processesToSuspend = (suspendedBefore: string[]): string[] =>
  rolloutProcesses.filter((process) => !suspendedBefore.includes(process));

/** What to resume: what the rollout suspended and is still suspended, never what was suspended before it. */
export const processesToResume = (suspendedBefore: string[], suspendedNow: string[]): string[] =>
  rolloutProcesses.filter((process) => suspendedNow.includes(process) && !suspendedBefore.includes(process));

/** Refuses a group on which someone suspended Launch or Terminate: a surge would wait forever. */
export function refuseSuspendedProcesses(asgName: string, suspended: string[]): void {
  const blocking = requiredProcesses.filter((process) => suspended.includes(process));
  if (blocking.length === 0) return;
  throw new AutoScalingProcessesSuspended(
    `Auto Scaling group ${asgName} has ${blocking.join(' and ')} suspended: replacements could not be launched ` +
      `or old instances terminated. Resume them (aws autoscaling resume-processes --auto-scaling-group-name ${asgName} ` +
      `--scaling-processes ${blocking.join(' ')}) once whoever suspended them is done, then run again.`,
  );
}

/** What the rollout did with the processes it suspended, in an operator's words (a rollback's actions, a warning). */
export function resumeOutcome(outcome: { resumed: string[]; leftSuspended: string[] }): string[] {
  if (outcome.leftSuspended.length > 0)
    return [
      `${outcome.leftSuspended.join(', ')} left suspended: the zones are uneven and resuming now would let Auto Scaling ` +
        'terminate a node without a drain; the next rollout of this group resumes it (and evens the zones first), ' +
        'or resume it by hand once the zones are even',
    ];
  return outcome.resumed.length > 0 ? [`resumed ${outcome.resumed.join(', ')}`] : [];
}
