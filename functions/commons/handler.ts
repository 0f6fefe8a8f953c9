import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import { InvalidInput } from './errors.ts';
import { logger, metrics } from './powertools.ts';

/** A problem list from zod as one sentence: each field path with what is wrong. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(input)'}: ${issue.message}`)
    .join('; ');
}

/** Parses `value` with `schema`, or throws InvalidInput naming each bad field and the fix. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  fix = '',
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new InvalidInput(`Invalid ${what}: ${describeIssues(result.error)}.${fix ? ` ${fix}` : ''}`);
  }
  return result.data;
}

/**
 * A Lambda handler: the event is parsed with `schema` (InvalidInput on failure), then `work` runs.
 * Middleware first (logger context, and metrics for handlers that emit them), the work last.
 */
export function lambdaHandler<S extends z.ZodType, Out>(
  schema: S,
  work: (input: z.output<S>, context: Context) => Promise<Out>,
  options: { emitsMetrics?: boolean } = {},
) {
  const handler = middy<unknown, Out>().use(injectLambdaContext(logger, { resetKeys: true }));
  if (options.emitsMetrics) handler.use(logMetrics(metrics));
  return handler.handler((event, context) => work(parseOrThrow(schema, event, 'state input'), context));
}
