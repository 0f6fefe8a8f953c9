import { describe, it } from 'vitest';
import { expectSafeUnder, faultPairs } from './fault-cases.ts';

describe('a failing fault with one that hinders the rollback, then a re-run without them', () => {
  it.each(faultPairs.map((fault) => [fault.name, fault] as const))(
    '%s: safe, named, rolled back, and the re-run completes',
    (_, fault) => expectSafeUnder(fault, { allBite: false }),
  );
});
