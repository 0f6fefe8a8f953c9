import { describe, expect, it } from 'vitest';
import { poolInstancesToReplace, warmPoolPlanNote } from '../../functions/domain/warm-pool.ts';

const target = 'ami-0ccc0000000000003';
const old = 'ami-0aaa0000000000001';
const instance = (instanceId: string, lifecycleState: string, imageId: string | undefined) => ({
  instanceId,
  lifecycleState,
  imageId,
});

describe('poolInstancesToReplace: pool instances a scale-out could take that are not on the AMI', () => {
  it.each([
    ['a stopped instance on another AMI', instance('i-1', 'Warmed:Stopped', old), ['i-1']],
    ['one still being prepared on another AMI', instance('i-1', 'Warmed:Pending', old), ['i-1']],
    ['one held by a hook on another AMI', instance('i-1', 'Warmed:Pending:Wait', old), ['i-1']],
    ['a stopped instance already on the AMI', instance('i-1', 'Warmed:Stopped', target), []],
    ['one already terminating', instance('i-1', 'Warmed:Terminating', old), []],
    ['one already terminated', instance('i-1', 'Warmed:Terminated', old), []],
    ['one EC2 no longer describes', instance('i-1', 'Warmed:Stopped', undefined), []],
  ])('%s', (_, member, expected) => {
    expect(poolInstancesToReplace([member], target)).toEqual(expected);
  });

  it('keeps the pool order', () => {
    const pool = [
      instance('i-1', 'Warmed:Stopped', old),
      instance('i-2', 'Warmed:Stopped', target),
      instance('i-3', 'Warmed:Hibernated', old),
    ];
    expect(poolInstancesToReplace(pool, target)).toEqual(['i-1', 'i-3']);
  });
});

describe('warmPoolPlanNote: what the plan says about the pool', () => {
  it('says nothing without a pool', () => {
    expect(warmPoolPlanNote(undefined, target)).toBeUndefined();
  });

  it('counts the instances it replaces before the first surge', () => {
    const note = warmPoolPlanNote(
      {
        minSize: 2,
        instances: [instance('i-1', 'Warmed:Stopped', old), instance('i-2', 'Warmed:Stopped', target)],
      },
      target,
    );
    expect(note).toMatch(
      /^warm pool \(min size 2, 2 instance\(s\)\): 1 instance\(s\) made from another AMI are terminated before the first surge/,
    );
    expect(note).toContain('rollback');
  });

  it('leaves a pool already on the AMI as it is', () => {
    expect(
      warmPoolPlanNote({ minSize: 1, instances: [instance('i-2', 'Warmed:Stopped', target)] }, target),
    ).toBe(`warm pool (min size 1, 1 instance(s)): already on ${target}, left as it is`);
  });
});
