import { describe, expect, it } from 'vitest';
import {
  formatGroupSize,
  ownSize,
  parseGroupSize,
  surplusInstances,
} from '../../functions/domain/group-size.ts';
import { toBatches, withRemoval } from '../../functions/domain/plan.ts';

const size = { minSize: 2, maxSize: 8, desired: 4 };

describe("the group's own size, kept in a tag", () => {
  it('round-trips through the tag value', () => {
    expect(formatGroupSize(size)).toBe('min=2,max=8,desired=4');
    expect(parseGroupSize(formatGroupSize(size))).toEqual(size);
  });

  it.each([undefined, '', 'min=2,max=8', 'min=5,max=8,desired=4', 'min=2,max=3,desired=4', 'desired=4'])(
    'ignores a tag value it cannot trust: %j',
    (value) => {
      expect(parseGroupSize(value)).toBeUndefined();
    },
  );

  it.each([
    [
      'no tag: the group as it is',
      { minSize: 2, maxSize: 10, desired: 5 },
      undefined,
      { minSize: 2, maxSize: 10, desired: 5 },
    ],
    ['a surge left behind: the tag', { minSize: 2, maxSize: 10, desired: 5 }, 'min=2,max=8,desired=4', size],
    [
      'scaled in since: the group',
      { minSize: 2, maxSize: 8, desired: 3 },
      'min=2,max=8,desired=4',
      { minSize: 2, maxSize: 8, desired: 3 },
    ],
  ])('%s', (_, current, tag, expected) => {
    expect(ownSize(current, tag)).toEqual(expected);
  });

  it('takes the newest instances beyond the own size as the surplus', () => {
    const members = [
      { instanceId: 'i-a', launchTime: 1 },
      { instanceId: 'i-new', launchTime: 9 },
      { instanceId: 'i-b', launchTime: 2 },
      { instanceId: 'i-newer', launchTime: 10 },
    ];
    expect(surplusInstances(members, 2)).toEqual(['i-newer', 'i-new']);
    expect(surplusInstances(members, 4)).toEqual([]);
    expect(surplusInstances(members, 6)).toEqual([]);
  });
});

describe('the removal batch', () => {
  const member = (id: string) => ({
    instanceId: id,
    imageId: 'ami-old',
    availabilityZone: 'a',
    launchTime: 0,
    nodeName: `node-${id}`,
  });

  it('goes first, launches the first real batch at its cordon, and shifts the others', () => {
    const batches = withRemoval(
      [member('s')],
      toBatches([member('a'), member('b'), member('c')], { batchSize: 2, bakeSeconds: 0 }, 0),
    );
    expect(
      batches.map(({ index, removal, next, presurged, nodes }) => ({
        index,
        removal,
        next: next.length,
        presurged,
        nodes: nodes.length,
      })),
    ).toEqual([
      { index: 0, removal: true, next: 2, presurged: false, nodes: 1 },
      { index: 1, removal: false, next: 1, presurged: true, nodes: 2 },
      { index: 2, removal: false, next: 0, presurged: true, nodes: 1 },
    ]);
  });

  it('is absent without a surplus, and alone when nothing is left to replace', () => {
    expect(withRemoval([], toBatches([member('a')], { batchSize: 1, bakeSeconds: 0 }, 0))).toEqual(
      toBatches([member('a')], { batchSize: 1, bakeSeconds: 0 }, 0),
    );
    expect(withRemoval([member('s')], [])).toMatchObject([{ index: 0, removal: true, next: [] }]);
  });
});
