import { describe, it } from 'vitest';
import { expectSafeUnder, singleFaults } from './fault-cases.ts';

describe('one fault at a time, at the first, middle or last batch, then a re-run without it', () => {
  it.each(singleFaults.map((fault) => [fault.name, fault] as const))(
    '%s: safe, named, rolled back, and the re-run completes',
    (_, fault) => expectSafeUnder(fault, { allBite: true }),
  );
});
