import type { V1Node } from '@kubernetes/client-node';
import { isNodeReady, isWindowsNode, missingImages, windowsBuildOfNode } from './nodes.ts';
import { median, pollSpacing, secondsUntil } from './polling.ts';

export interface ReplacementExpectations {
  windowsBuild: string;
  /** Images that must already be on the node (empty: no cache check). */
  requiredImages: string[];
}

/**
 * Why an instance is not yet a usable replacement; undefined when it is one. One a launching
 * lifecycle hook still holds (Pending:Wait) may yet be abandoned and terminated, Ready node or not.
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks-overview.html
 */
export function replacementProblem(
  node: V1Node | undefined,
  expected: ReplacementExpectations,
  lifecycleState = 'InService',
): string | undefined {
  if (lifecycleState.startsWith('Pending:'))
    return `is ${lifecycleState} in its Auto Scaling group (a launching lifecycle hook holds it until its action completes)`;
  if (!node) return 'has not joined the cluster';
  if (!isNodeReady(node)) return 'is not Ready';
  if (!isWindowsNode(node)) return 'is not a Windows node';
  const build = windowsBuildOfNode(node);
  if (build !== expected.windowsBuild)
    return `reports Windows build ${build ?? 'none'}, expected ${expected.windowsBuild}`;
  const missing = missingImages(node, expected.requiredImages);
  return missing.length > 0 ? `lacks cached images ${missing.join(', ')}` : undefined;
}

/**
 * Until a replacement has been seen Ready, when to expect the first: this fraction of the ready
 * deadline after launch. Conservative (a Windows boot takes minutes): polls paced by `pollSpacing`
 * follow, so a late node is seen within a tenth of the time waited.
 */
export const firstLookFraction = 1 / 6;

/** Seconds from launch to Ready to expect: what replacements showed, else the first look. */
export function expectedBootSeconds(observed: number | undefined, readyTimeoutSeconds: number): number {
  return observed ?? Math.ceil(readyTimeoutSeconds * firstLookFraction);
}
/** Shortest wait between two looks once a node is overdue. */
export const overduePollSeconds = 5;

/** Seconds from launch to Ready of nodes already replaced, from their Ready transition; the median. */
export function observedBootSeconds(readyNodes: { launchTime: number; node: V1Node }[]): number | undefined {
  return median(
    readyNodes.flatMap(({ launchTime, node }) => {
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
      const at = ready?.lastTransitionTime ? new Date(ready.lastTransitionTime).getTime() : undefined;
      return at && at > launchTime ? [(at - launchTime) / 1000] : [];
    }),
  );
}

/**
 * How long to wait before looking again: until the pending nodes are expected Ready (launch time plus
 * the boot time replacements showed), and never sooner than the polling pace allows since the wait
 * began (`since`). Before any replacement was seen Ready, nothing says how long a boot takes here (an
 * AMI with Fast Launch boots in half the time): looks are paced from the earliest pending launch, so
 * the first Ready node is seen within a tenth of its boot, whatever it is.
 */
export function nextCheckSeconds(
  now: number,
  pendingLaunchTimes: number[],
  bootSeconds: number | undefined,
  since: number,
): number {
  const spacing = pollSpacing((now - since) / 1000, overduePollSeconds);
  if (bootSeconds === undefined) {
    const launched = Math.min(...pendingLaunchTimes);
    return Number.isFinite(launched) ? pollSpacing((now - launched) / 1000, overduePollSeconds) : spacing;
  }
  const expectedAt = Math.max(...pendingLaunchTimes.map((launch) => launch + bootSeconds * 1000));
  const untilExpected = secondsUntil(expectedAt, now);
  return Number.isFinite(untilExpected) ? Math.max(untilExpected, spacing) : spacing;
}

export interface Activity {
  status: string;
  message: string;
  startTime: number;
}

/** Consecutive failed launches after which the group is judged unable to launch. */
export const failedLaunchesToGiveUp = 3;

/**
 * The Auto Scaling group retries failed launches by itself; the rollout gives up when the latest
 * activities since the surge are all failures. Returns the last failure's message then.
 */
export function launchFailure(activitiesNewestFirst: Activity[], since: number): string | undefined {
  const recent = activitiesNewestFirst.filter((a) => a.startTime >= since).slice(0, failedLaunchesToGiveUp);
  const allFailed = recent.length === failedLaunchesToGiveUp && recent.every((a) => a.status === 'Failed');
  return allFailed ? recent[0]?.message : undefined;
}

/**
 * Replacements the group lost: fewer on the target AMI (Ready or on their way) than the batch needs,
 * while the group launches nothing (desired no higher than its live instances) — something else
 * (the cluster-autoscaler, a person) removed them and decremented desired. They are asked for again.
 */
export function lostReplacements(group: {
  readyTarget: number;
  replacements: number;
  desired: number;
  live: number;
}): number {
  const missing = group.readyTarget - group.replacements;
  return missing > 0 && group.desired <= group.live ? missing : 0;
}

/**
 * Why the replacements were not Ready in time, and what to fix. Replacements the group lost during
 * the wait come first: whatever removes the group's new nodes (the cluster-autoscaler's scale-down, a
 * scaling policy, a person) is the cause then, not the AMI, even if those asked for again are still
 * on their way at the deadline.
 */
export function replacementNotReadyCause(wait: {
  missing: number;
  targetAmiId: string;
  readyTimeoutSeconds: number;
  /** Each replacement not Ready yet: its instance and its problem. */
  pending: string[];
  lost: number;
  /** The group's name when a launching lifecycle hook still holds a replacement (Pending:Wait). */
  heldByHookIn?: string | undefined;
}): string {
  const { missing, targetAmiId, readyTimeoutSeconds, pending, lost, heldByHookIn } = wait;
  const detail = pending.join('; ') || 'no instance was launched';
  const notReady = `${missing} replacement node(s) from ${targetAmiId} were not Ready within ${readyTimeoutSeconds} s`;
  const unchanged = 'no old node was drained in this batch';
  if (heldByHookIn !== undefined) {
    return (
      `${notReady} (${detail}): check what completes the group's launching lifecycle hook ` +
      `(aws autoscaling describe-lifecycle-hooks --auto-scaling-group-name ${heldByHookIn}; it must call ` +
      `complete-lifecycle-action with CONTINUE) before running again; ${unchanged}.`
    );
  }
  if (lost === 0) {
    return `${notReady} (${detail}): check the AMI's bootstrap (user data, kubelet logs) before running again; ${unchanged}.`;
  }
  return (
    `The Auto Scaling group lost ${lost} replacement(s) during the wait: something removed them and ` +
    `decremented desired (the cluster-autoscaler's scale-down, a scaling policy, a person); each was ` +
    `asked for again, and ${notReady} (${detail}). Keep it off the group's new nodes during the rollout ` +
    `(the cluster-autoscaler leaves nodes annotated cluster-autoscaler.kubernetes.io/scale-down-disabled=true, ` +
    `which the rollout sets: check that nothing removes it) before running again; ${unchanged}.`
  );
}

/**
 * Replacements a batch needs Ready: the group's places beyond its old instances (desired less the
 * live instances not on the target AMI), plus the replacements something removed with desired
 * decremented (asked for again), at most what the plan counted. Old instances something else removed
 * (the cluster-autoscaler's scale-down of empty old nodes) took their places with them: nothing is
 * launched or awaited for them.
 */
export function replacementsNeeded(
  planned: number,
  group: { desired: number; old: number; gone: number },
): number {
  return Math.max(0, Math.min(planned, group.desired - group.old + group.gone));
}

/**
 * The desired capacity that launches the next batch's replacements, from what the group holds now
 * (never from its size at Plan): its old instances, the replacements it keeps, and one for each
 * instance of the next batch still in it. It keeps what it settled on (desired less launches still
 * on their way: a retry finds the first call's launches and asks for nothing more), at most the
 * replacements this batch counted on: those of its instances something else removed (the
 * cluster-autoscaler's scale-down, desired decremented) serve the next batch instead. Instances of
 * later batches removed the same way get none.
 */
export function nextBatchDesired(
  group: {
    desired: number;
    /** Instances in the group, not terminating. */
    live: number;
    /** Of those, on the target AMI without a Ready node yet: launches on their way. */
    booting: number;
    /** Of those, not on the target AMI. */
    old: number;
  },
  batch: {
    /** Replacements this batch needed Ready, less one for each of its instances no longer in the group. */
    kept: number;
    /** Instances of the next batch still in the group. */
    next: number;
  },
): number {
  const settled = group.desired - Math.max(0, group.desired - group.live) - group.booting;
  return group.old + Math.max(0, Math.min(settled - group.old, batch.kept)) + batch.next;
}
