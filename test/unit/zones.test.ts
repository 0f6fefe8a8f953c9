import { describe, expect, it } from 'vitest';
import { balancingMoves, zoneCounts, zonesEven } from '../../functions/domain/zones.ts';

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
