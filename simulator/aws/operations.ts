import { AwsApiError, SimulatorGap } from '../world/errors.ts';

/** An operation's answer as the SDK returns it, less the metadata the middleware adds. */
export type Answer<Output> = Omit<Output, '$metadata'>;

/** Operation name (`DescribeImages`) → what answers it from the world. */
export type Operations = Record<string, (input: never) => object>;

/** Refuses inputs the simulator would silently ignore: a parameter it does not model is a gap. */
export function modelledParameters(api: string, input: object, modelled: readonly string[]): void {
  const unmodelled = Object.entries(input)
    .filter(([key, value]) => value !== undefined && !modelled.includes(key))
    .map(([key]) => key);
  if (unmodelled.length > 0) throw new SimulatorGap(`${api} with ${unmodelled.join(', ')}`);
}

/** One page of `items`; the token is the offset, opaque to callers as in AWS. */
export function page<T>(
  items: readonly T[],
  request: { maxResults: number | undefined; nextToken: string | undefined },
  invalidTokenCode: string,
  defaultPageSize = 1000,
): { items: T[]; nextToken: string | undefined } {
  const start =
    request.nextToken === undefined ? 0 : Number(Buffer.from(request.nextToken, 'base64url').toString());
  if (!Number.isInteger(start) || start < 0 || start > items.length) {
    throw new AwsApiError(invalidTokenCode, 'The specified pagination token is not valid.');
  }
  const end = start + (request.maxResults ?? defaultPageSize);
  return {
    items: items.slice(start, end),
    nextToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined,
  };
}

/** Each wildcard pattern compiled once: filters are matched against every instance of an account. */
const compiledPatterns = new Map<string, RegExp>();

/** EC2-style filter values: `*` and `?` are wildcards. */
export function matchesPattern(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (!/[*?]/.test(pattern)) return pattern === value;
  let compiled = compiledPatterns.get(pattern);
  if (compiled === undefined) {
    const expression = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.');
    compiled = new RegExp(`^${expression}$`);
    compiledPatterns.set(pattern, compiled);
  }
  return compiled.test(value);
}

/** `[{Key, Value}]` as the SDK shapes tags. */
export const tagList = (tags: Record<string, string>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
