import { describe, expect, it } from 'vitest';
import { batchProgress, detailTypes, rolloutEvent } from '../../functions/domain/events.ts';

const executionArn = 'arn:aws:states:eu-west-1:111122223333:execution:rollout:run-1';
const input = { clusterName: 'prod', nodeGroupName: 'win-a', amiId: 'ami-0ccc0000000000003' };
const nodes = (count: number) => Array.from({ length: count }, (_, i) => ({ instanceId: `i-${i}` }));

describe('batchProgress', () => {
  it.each([
    // batch size, readyTarget, removal, already on target, to replace, done → replaced
    ['the first batch, before it starts', 2, 2, false, 0, 6, false, 0],
    ['the first batch, done', 2, 2, false, 0, 6, true, 2],
    ['the third batch, before it starts', 2, 6, false, 0, 6, false, 4],
    ['a group with nodes already on the target', 2, 5, false, 1, 6, true, 4],
    ['a removal batch (an earlier run left surplus): it replaces none', 3, 0, true, 0, 6, true, 0],
    ['a last batch smaller than the others', 1, 5, false, 0, 5, true, 5],
  ])('%s', (_, size, readyTarget, removal, nodesOnTarget, nodesToReplace, done, replaced) => {
    expect(
      batchProgress({ nodes: nodes(size), readyTarget, removal }, { nodesOnTarget, nodesToReplace }, done),
    ).toEqual({ nodesReplaced: replaced, nodesToReplace });
  });

  it('counts none replaced before the first batch', () => {
    expect(batchProgress(null, { nodesOnTarget: 2, nodesToReplace: 6 }, false)).toEqual({
      nodesReplaced: 0,
      nodesToReplace: 6,
    });
  });
});

describe('rolloutEvent', () => {
  const facts = {
    kind: 'waitingForWindow' as const,
    input,
    executionArn,
    at: Date.parse('2026-11-10T18:00:01Z'),
    progress: { nodesReplaced: 2, nodesToReplace: 6 },
    batchIndex: 1,
    occurrence: '2026-11-14T21:00:00.000Z',
    extra: { until: '2026-11-14T21:00:00.000Z' },
  };

  it('names the rollout, its counts and the fields of its kind', () => {
    expect(rolloutEvent(facts)).toEqual({
      detailType: 'Rollout Waiting For Window',
      resource: executionArn,
      detail: {
        eventId: `${executionArn}/waitingForWindow/1/2026-11-14T21:00:00.000Z`,
        ...input,
        executionArn,
        at: '2026-11-10T18:00:01.000Z',
        nodesReplaced: 2,
        nodesToReplace: 6,
        batchIndex: 1,
        until: '2026-11-14T21:00:00.000Z',
      },
    });
  });

  it('gives the same moment published again the same eventId, whenever it is published', () => {
    const again = rolloutEvent({ ...facts, at: facts.at + 60_000 });
    expect(again.detail.eventId).toBe(rolloutEvent(facts).detail.eventId);
  });

  it.each([
    ['another opening', { occurrence: '2026-11-15T21:00:00.000Z' }],
    ['another batch', { batchIndex: 2 }],
    ['another kind', { kind: 'paused' as const }],
    ['another execution', { executionArn: `${executionArn}-continued` }],
  ])('tells apart %s', (_, change) => {
    expect(rolloutEvent({ ...facts, ...change }).detail.eventId).not.toBe(rolloutEvent(facts).detail.eventId);
  });

  it('has one detail-type per kind, each distinct', () => {
    const types = Object.values(detailTypes);
    expect(new Set(types).size).toBe(types.length);
    expect(types).toHaveLength(9);
  });
});
