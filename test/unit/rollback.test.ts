import { describe, expect, it } from 'vitest';
import { rollbackActions } from '../../functions/domain/rollback.ts';
import { node } from '../support/objects.ts';

const execution = { name: 'run-1', startTime: 1000 };
const replacement = (instanceId: string, state: { ready?: boolean; pods?: number }) => ({
  instanceId,
  imageId: 'ami-new',
  launchTime: 2000,
  node: node(instanceId, { ready: state.ready ?? true }),
  workloadPods: state.pods ?? 0,
});

describe('rollback of replacements', () => {
  it('removes no more than the instances beyond the original size: an empty replacement whose old node is gone is capacity', () => {
    // Three batches done (their old nodes terminated), the fourth's replacement never Ready: one surplus.
    const members = [
      replacement('i-done-1', {}),
      replacement('i-done-2', {}),
      replacement('i-done-3', {}),
      replacement('i-never-ready', { ready: false }),
    ];
    expect(rollbackActions(members, execution, 'ami-new', 1).removeSurge).toEqual(['i-never-ready']);
  });

  it('removes replacements that are not Ready before empty Ready ones', () => {
    const members = [replacement('i-empty', {}), replacement('i-booting', { ready: false })];
    expect(rollbackActions(members, execution, 'ami-new', 1).removeSurge).toEqual(['i-booting']);
    expect(rollbackActions(members, execution, 'ami-new', 2).removeSurge).toEqual(['i-booting', 'i-empty']);
  });

  it('removes nothing when the group is not above its original size', () => {
    const members = [replacement('i-empty', {}), replacement('i-booting', { ready: false })];
    expect(rollbackActions(members, execution, 'ami-new', 0).removeSurge).toEqual([]);
    expect(rollbackActions(members, execution, 'ami-new', -1).removeSurge).toEqual([]);
  });
});
