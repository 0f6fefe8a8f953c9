import { describe, expect, it } from 'vitest';
import { rolloutErrorNames, throttlingErrorNames } from '../../functions/commons/errors.ts';
import { executionError } from '../../functions/domain/notification.ts';

describe('the error an execution ends with', () => {
  it.each(rolloutErrorNames)('keeps the documented %s as it is', (name) => {
    expect(executionError({ name, cause: 'Why, and what to do.' })).toEqual({
      name,
      cause: 'Why, and what to do.',
    });
  });

  it.each(throttlingErrorNames)(
    'names %s after the retries ApiThrottled, keeping the original in the cause',
    (name) => {
      const error = executionError({ name, cause: 'Rate exceeded.' });
      expect(error.name).toBe('ApiThrottled');
      expect(error.cause).toContain(`${name}: Rate exceeded.`);
      expect(error.cause).toContain('Run the rollout again later');
    },
  );

  it.each([
    'Error',
    'TypeError',
    'States.Timeout',
    'ValidationError',
    'AccessDeniedException',
    'Lambda.Unknown',
  ])('names an unexpected %s UnexpectedError, keeping the original in the cause', (name) => {
    const error = executionError({ name, cause: 'Something broke.' });
    expect(error.name).toBe('UnexpectedError');
    expect(error.cause).toContain(`${name}: Something broke.`);
    expect(error.cause).toContain('Lambda logs');
  });
});
