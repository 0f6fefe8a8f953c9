/**
 * Lists carried in the execution state, or in an error's cause, are capped: Step Functions fails an
 * execution whose state exceeds 256 KiB (States.DataLimitExceeded, which no Catch sees), and a
 * 100-node batch can have thousands of refused pods. What is left out is counted.
 */
export const stateListLimit = 20;

export function capList<T>(items: readonly T[], limit = stateListLimit): { items: T[]; omitted: number } {
  return { items: items.slice(0, limit), omitted: Math.max(0, items.length - limit) };
}

/** The first `limit` entries, then `… and 12 more` when some were left out. */
export function cappedWithCount(items: readonly string[], limit = stateListLimit): string[] {
  const { items: shown, omitted } = capList(items, limit);
  return omitted > 0 ? [...shown, `… and ${omitted} more`] : shown;
}

/** `a; b; c; … and 12 more`: a capped list as one sentence part. */
export const listText = (items: readonly string[], limit = stateListLimit): string =>
  cappedWithCount(items, limit).join('; ');
