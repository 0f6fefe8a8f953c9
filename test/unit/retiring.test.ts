import type { V1Taint } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { markRetiring } from '../../functions/adapters/kubernetes/batch-nodes.ts';
import { hasRetiringTaint, retiringTaint, taintsWithRetiring } from '../../functions/domain/nodes.ts';
import { FakeCluster } from '../kubernetes/fake-backend.ts';
import { node } from '../support/objects.ts';

const tainted = (name: string, taints: V1Taint[]) => {
  const base = node(name);
  return { ...base, spec: { ...base.spec, taints } };
};
const someoneElses = { key: 'dedicated', value: 'windows', effect: 'NoSchedule' };

describe('the retiring taint on old nodes', () => {
  it('is a PreferNoSchedule taint under our own key prefix (the node patch policy allows only those)', () => {
    expect(retiringTaint).toEqual({
      key: 'eks-windows-patcher/retiring',
      value: 'true',
      effect: 'PreferNoSchedule',
    });
  });

  it.each([
    ['no taints, added', node('a'), true, [retiringTaint]],
    [
      'another taint kept, ours added after it',
      tainted('b', [someoneElses]),
      true,
      [someoneElses, retiringTaint],
    ],
    [
      'ours already there: not doubled',
      tainted('c', [retiringTaint, someoneElses]),
      true,
      [someoneElses, retiringTaint],
    ],
    ['taken off, the other kept', tainted('d', [someoneElses, retiringTaint]), false, [someoneElses]],
    ['taken off a node without it: nothing changes', tainted('e', [someoneElses]), false, [someoneElses]],
  ])('%s', (_, subject, retiring, expected) => {
    expect(taintsWithRetiring(subject, retiring)).toEqual(expected);
  });

  it('patches only the nodes that need it, sending their whole taint list', async () => {
    const nodes = [tainted('old-1', [someoneElses]), tainted('old-2', [retiringTaint])];
    const backend = new FakeCluster({ nodes });
    expect(await markRetiring(backend, nodes, true)).toEqual(['old-1']);
    expect(backend.callsOf('patchNode')).toEqual([['old-1', { taints: [someoneElses, retiringTaint] }]]);
    const patched = backend.nodes.get('old-1') ?? node('missing');
    expect(hasRetiringTaint(patched)).toBe(true);
    expect(await markRetiring(backend, [patched], false)).toEqual(['old-1']);
    expect(backend.nodes.get('old-1')?.spec?.taints).toEqual([someoneElses]);
  });
});
