import { FastLaunchNotReady } from '../commons/errors.ts';

/**
 * What DescribeFastLaunchImages says of an AMI (undefined: Fast Launch is not configured for it).
 * EC2 reports the state and how many pre-provisioned snapshots it keeps on hand, not how many are
 * left right now: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFastLaunchImagesSuccessItem.html
 */
export interface FastLaunchFacts {
  /** enabling | enabling-failed | enabled | enabled-failed | disabling | disabling-failed */
  state: string;
  targetResourceCount: number | undefined;
  stateTransitionReason: string | undefined;
}

/** The verdict the execution carries (`verified.fastLaunch`): the Choice after VerifyAmi reads `wait`. */
export interface FastLaunchVerdict {
  /** `none` when Fast Launch is not configured for the AMI. */
  state: string;
  targetResourceCount: number | null;
  stateTransitionReason: string | null;
  /** Look again at `until` (ISO) before going on: Fast Launch is enabling and the deadline is ahead. */
  wait: boolean;
  until: string | null;
}

/**
 * How often a rollout looks at an enabling Fast Launch: EC2 launches, syspreps and snapshots
 * instances before it is enabled, which takes tens of minutes; a look every two minutes loses little.
 */
export const fastLaunchCheckSeconds = 120;

export interface FastLaunchWait {
  amiId: string;
  /** The input's fastLaunchWaitSeconds; 0: never wait. */
  waitSeconds: number;
  /** When the wait began (the execution's start: nothing before VerifyAmi takes long), epoch ms. */
  since: number;
  now: number;
}

/**
 * Wait for an enabling Fast Launch (bounded), or go on. At the deadline the rollout is refused before any
 * change rather than rolled with slow launches the operator did not choose; fastLaunchWaitSeconds 0 is
 * how to choose them. Every other state goes on: only `enabling` ever turns into `enabled` by itself.
 */
export function fastLaunchVerdict(
  facts: FastLaunchFacts | undefined,
  wait: FastLaunchWait,
): { verdict: FastLaunchVerdict; refusal: FastLaunchNotReady | undefined } {
  const verdict: FastLaunchVerdict = {
    state: facts?.state ?? 'none',
    targetResourceCount: facts?.targetResourceCount ?? null,
    stateTransitionReason: facts?.stateTransitionReason ?? null,
    wait: false,
    until: null,
  };
  if (facts?.state !== 'enabling' || wait.waitSeconds === 0) return { verdict, refusal: undefined };
  const deadline = wait.since + wait.waitSeconds * 1000;
  if (wait.now >= deadline) {
    return {
      verdict,
      refusal: new FastLaunchNotReady(
        `EC2 Fast Launch of AMI ${wait.amiId} is still enabling after fastLaunchWaitSeconds (${wait.waitSeconds} s); nothing was changed. ` +
          `Start again once \`aws ec2 describe-fast-launch-images --image-ids ${wait.amiId}\` says enabled, give it longer with fastLaunchWaitSeconds, ` +
          'or set fastLaunchWaitSeconds to 0 to roll now (replacements then boot without Fast Launch, slower).',
      ),
    };
  }
  // Whole seconds, rounded up: Step Functions truncates a Timestamp's milliseconds, and the last look
  // must not come before the deadline (https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-wait-state.html).
  const until = Math.ceil(Math.min(wait.now + fastLaunchCheckSeconds * 1000, deadline) / 1000) * 1000;
  return { verdict: { ...verdict, wait: true, until: new Date(until).toISOString() }, refusal: undefined };
}

/**
 * What the plan warns of: launches that will boot without Fast Launch. `launchesAtOnce` is the largest
 * batch: each of its replacements that finds no pre-provisioned snapshot boots the slow way until EC2
 * replenishes them (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/win-ami-config-fast-launch.html).
 */
export function fastLaunchWarnings(
  amiId: string,
  fastLaunch: FastLaunchVerdict | undefined,
  launchesAtOnce: number,
  waitSeconds: number,
): string[] {
  if (fastLaunch === undefined || fastLaunch.state === 'none') return [];
  const subject = `EC2 Fast Launch of AMI ${amiId}`;
  switch (fastLaunch.state) {
    case 'enabling':
      return [
        waitSeconds === 0
          ? `${subject} is still enabling and fastLaunchWaitSeconds is 0: replacements launched before it is enabled boot without Fast Launch (slower)`
          : `${subject} is still enabling: the rollout waits up to ${waitSeconds} s (fastLaunchWaitSeconds) for it to be enabled before any change`,
      ];
    case 'enabled': {
      const kept = fastLaunch.targetResourceCount;
      if (kept === null || kept >= launchesAtOnce) return [];
      return [
        `${subject} keeps ${kept} pre-provisioned snapshot${kept === 1 ? '' : 's'}, fewer than the ${launchesAtOnce} replacements a batch launches: ` +
          `at least ${launchesAtOnce - kept} of them boot without Fast Launch (slower) until EC2 replenishes the snapshots. ` +
          `Raise TargetResourceCount to ${launchesAtOnce} (aws ec2 enable-fast-launch --image-id ${amiId} --snapshot-configuration TargetResourceCount=${launchesAtOnce}) or lower maxUnavailable`,
      ];
    }
    default:
      return [
        `${subject} is ${fastLaunch.state}${fastLaunch.stateTransitionReason ? ` (${fastLaunch.stateTransitionReason})` : ''}: replacements may boot without Fast Launch (slower)`,
      ];
  }
}
