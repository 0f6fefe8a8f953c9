/**
 * How the workflow's waits pace their "are we there yet" rounds. A round is never sooner than a
 * tenth of the time already waited: a wait ends at most 10 % late, and a wait of any length takes a
 * bounded number of rounds, which bounds an execution's history (Step Functions keeps 25,000 events).
 */
export const pollRatio = 0.1;

/** The shortest wait before the next round, after `elapsedSeconds` of waiting (whole seconds, for a Wait state). */
export function pollSpacing(elapsedSeconds: number, minimumSeconds: number): number {
  return Math.max(minimumSeconds, Math.ceil(Math.max(0, elapsedSeconds) * pollRatio));
}

/** The most rounds a wait of `timeoutSeconds` can take when each round waits at least `pollSpacing`. */
export function maxPollRounds(timeoutSeconds: number, minimumSeconds: number): number {
  let rounds = 1;
  for (let elapsed = 0; elapsed < timeoutSeconds; rounds++) elapsed += pollSpacing(elapsed, minimumSeconds);
  return rounds;
}

/**
 * The last batch of an execution waits for its nodes to leave the cluster: first after a typical
 * shutdown and node removal, then paced; at most `timeoutSeconds` (the cloud controller does the rest).
 */
export const nodesGone = { firstLookSeconds: 90, pollSeconds: 15, timeoutSeconds: 900 } as const;

/** Seconds until `at` (epoch milliseconds), rounded up; negative when it has passed. */
export const secondsUntil = (at: number, now: number): number => Math.ceil((at - now) / 1000);

/** The median of a list (the upper one of an even list); undefined when empty. */
export function median(values: number[]): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
