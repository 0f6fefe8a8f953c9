import { describe, expect, it } from 'vitest';
import { matchBatch, terminationVerdict } from '../../functions/domain/members.ts';
import { node } from '../support/objects.ts';

describe('a batch matched to its nodes at each step', () => {
  it('finds each instance’s node by providerID, whatever Plan saw', () => {
    const nodes = [node('late-1', { instanceId: 'i-1' }), node('other', { instanceId: 'i-9' })];
    expect(matchBatch(['i-1', 'i-2'], nodes).map((m) => [m.instanceId, m.node?.metadata?.name])).toEqual([
      ['i-1', 'late-1'],
      ['i-2', undefined],
    ]);
  });

  it.each([
    ['no node: it never ran a pod', undefined, [], true, 'never joined the cluster, so it never ran a pod'],
    [
      'a node the drain cordoned and drained',
      node('n-1', { unschedulable: true }),
      ['n-1'],
      true,
      'its node n-1 was cordoned and drained',
    ],
    [
      'a node that joined after the drain',
      node('n-2', { unschedulable: true }),
      ['n-1'],
      false,
      'its node n-2 joined after the drain',
    ],
    [
      'a drained node uncordoned since',
      node('n-1'),
      ['n-1'],
      false,
      'its node n-1 was uncordoned after the drain',
    ],
  ])('terminates an instance with %s only when it is safe', (_, member, drained, terminate, reason) => {
    expect(terminationVerdict({ instanceId: 'i-1', node: member }, drained)).toEqual({ terminate, reason });
  });
});
