import { describe, expect, it } from 'vitest';
import { balancingMoves, launchesToEven, zoneCounts, zonesEven } from '../../functions/domain/zones.ts';

const zones = ['a', 'b', 'c'];
/** Members from zone letters, oldest first: 'aab' is two in a (launched 0 and 1) and one in b. */
const members = (layout: string) =>
  [...layout].map((zone, i) => ({ instanceId: `i-${i}`, availabilityZone: zone, launchTime: i }));

describe('zonesEven: what AZRebalance leaves alone (zones differ by at most one instance)', () => {
  it.each([
    ['abc', true],
    ['aabc', true],
    ['aab', false],
    ['aa', false],
    ['aaabbc', false],
    ['', true],
  ])('%s: %s', (layout, even) => {
    expect(zonesEven(zones, members(layout))).toBe(even);
  });

  it('counts a zone the group lists but no instance uses', () => {
    expect(zonesEven(['a', 'b'], members('aa'))).toBe(false);
    expect(zonesEven(['a'], members('aa'))).toBe(true);
  });
});

describe('balancingMoves: the fewest nodes to move, oldest first in the fullest zones', () => {
  it.each([
    ['already even', 'aabbc', []],
    // 3,2,1: one launch goes to c (2,2,2 with the moved one still counted 3,2,2), a's oldest goes.
    ['one move', 'aaabbc', ['i-0']],
    // 4,0,0 (+2 launched into b and c) → 2,1,1.
    ['two moves from one zone', 'aaaa', ['i-0', 'i-1']],
    // 3,3,0: launches fill c (3,3,2); one from a and one from b → 2,2,2.
    ['two moves from two zones', 'aaabbb', ['i-0', 'i-3']],
  ])('%s (%s)', (_, layout, moved) => {
    expect(balancingMoves(zones, members(layout)).map((m) => m.instanceId)).toEqual(moved);
  });

  it('leaves the zones even whatever the layout', () => {
    for (const layout of ['aaaaaab', 'aabbbbbbc', 'abbbbbbbbbbcc', 'aaaaaaaaaa', 'aaaaabbbbb']) {
      const moved = new Set(balancingMoves(zones, members(layout)).map((m) => m.instanceId));
      // The group launches as many, each into the zone with the fewest (the moved ones still count).
      const placed = [...layout].map((availabilityZone) => ({ availabilityZone }));
      for (let launch = 0; launch < moved.size; launch++) {
        const counts = zoneCounts(zones, placed);
        placed.push({ availabilityZone: zones[counts.indexOf(Math.min(...counts))] ?? '' });
      }
      const remaining = placed.filter((_, i) => !moved.has(`i-${i}`));
      expect(zonesEven(zones, remaining), layout).toBe(true);
    }
  });
});

describe('launchesToEven: the launches into the emptiest zones after which AZRebalance has nothing to move', () => {
  it.each([
    ['even already', 'aabbc', 0],
    ['three zones, one short', 'aaaabbbbcc', 1],
    ['three zones, two short', 'aaaabc', 4],
    ['no instances', '', 0],
  ])('%s (%s): %i', (_, layout, launches) => {
    expect(launchesToEven(zones, members(layout))).toBe(launches);
  });

  it('evens two zones left at 5 and 3 by a rollback with one launch, into the second', () => {
    expect(launchesToEven(['a', 'b'], members('aaaaabbb'))).toBe(1);
  });

  it('counts launches asked for and not yet in the group where Auto Scaling puts them: a retry asks for no more', () => {
    expect(launchesToEven(zones, members('aaaabbbbcc'), 1)).toBe(0);
    expect(launchesToEven(zones, members('aaaabc'), 2)).toBe(2);
  });

  it('leaves the zones even once Auto Scaling put each launch into the zone with the fewest', () => {
    for (const layout of ['aaaaabbb', 'aaaabbbbcc', 'aaaabc', 'aaaaaaab']) {
      const grown = [...layout];
      for (let launch = 0; launch < launchesToEven(zones, members(layout)); launch++) {
        const counts = zoneCounts(zones, members(grown.join('')));
        grown.push(zones[counts.indexOf(Math.min(...counts))] ?? '');
      }
      expect(zonesEven(zones, members(grown.join(''))), layout).toBe(true);
    }
  });
});
