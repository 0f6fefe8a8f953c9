/** Requests at a time: a thousand nodes, or a batch's hundreds of pods, are read in bounded bursts. */
export const requestsAtOnce = 20;

/** `call` for each item, `requestsAtOnce` at a time; the results in the items' order. */
export async function inBursts<T, R>(items: readonly T[], call: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += requestsAtOnce) {
    results.push(...(await Promise.all(items.slice(start, start + requestsAtOnce).map(call))));
  }
  return results;
}
