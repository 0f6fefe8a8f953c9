import { describe, expect, it } from 'vitest';
import { Ids } from '../../simulator/world/ids.ts';
import { Random } from '../../simulator/world/random.ts';

/** The addresses of one zone's /19 that `privateIp` draws from. */
const zoneAddresses = 32 * 250;

describe('private addresses', () => {
  it('are fresh while the subnet has room, and reuse what pods gave back once it runs short', () => {
    const ids = new Ids(new Random(7));
    const first = Array.from({ length: zoneAddresses }, () => ids.privateIp(1));
    expect(new Set(first).size).toBe(zoneAddresses);
    expect(first.every((ip) => /^10\.0\.(3[2-9]|[45]\d|6[0-3])\.\d+$/.test(ip))).toBe(true);

    expect(() => ids.privateIp(1)).toThrow('The subnet of zone 1 has no free address left');
    const [given, back] = first;
    ids.releasePrivateIp(given ?? '');
    ids.releasePrivateIp(back ?? '');
    expect(new Set([ids.privateIp(1), ids.privateIp(1)])).toEqual(new Set([given, back]));
    // Another zone's subnet is its own.
    expect(ids.privateIp(2)).toMatch(/^10\.0\.(6[4-9]|[7-8]\d|9[0-5])\./);
  });

  it('never reuses an address while fresh ones are easy to find', () => {
    const ids = new Ids(new Random(7));
    const ip = ids.privateIp(0);
    ids.releasePrivateIp(ip);
    const next = Array.from({ length: 100 }, () => ids.privateIp(0));
    expect(next).not.toContain(ip);
  });
});
