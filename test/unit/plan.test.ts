import { describe, expect, it } from 'vitest';
import { continuationName } from '../../functions/domain/continuation.ts';
import { decideLaunchTemplate, resolveVersion } from '../../functions/domain/launch-template.ts';
import {
  batchesPerExecution,
  estimateSeconds,
  executionSecondsBudget,
  type GroupMember,
  historyEventBudget,
  orderForReplacement,
  selectNodes,
  toBatches,
} from '../../functions/domain/plan.ts';

const member = (id: string, zone: string, launchTime: number, imageId = 'ami-old'): GroupMember => ({
  instanceId: id,
  imageId,
  availabilityZone: zone,
  launchTime,
  nodeName: `node-${id}`,
});

describe('selecting and ordering nodes', () => {
  it('skips nodes already on the target AMI, so a re-run resumes', () => {
    const members = [member('i-1', 'a', 1), member('i-2', 'a', 2, 'ami-new'), member('i-3', 'b', 3)];
    const { toReplace, onTarget } = selectNodes(members, 'ami-new');
    expect(toReplace.map((m) => m.instanceId)).toEqual(['i-1', 'i-3']);
    expect(onTarget.map((m) => m.instanceId)).toEqual(['i-2']);
  });

  it('takes the oldest first and interleaves availability zones', () => {
    const members = [
      member('i-a2', 'us-east-1a', 20),
      member('i-b1', 'us-east-1b', 5),
      member('i-a1', 'us-east-1a', 10),
      member('i-a3', 'us-east-1a', 30),
      member('i-b2', 'us-east-1b', 15),
    ];
    expect(orderForReplacement(members).map((m) => m.instanceId)).toEqual([
      'i-a1',
      'i-b1',
      'i-a2',
      'i-b2',
      'i-a3',
    ]);
  });

  it('puts both zones in every batch of two', () => {
    const members = [0, 1, 2, 3].flatMap((i) => [member(`i-a${i}`, 'a', i), member(`i-b${i}`, 'b', i)]);
    for (const batch of toBatches(orderForReplacement(members), { batchSize: 2, bakeSeconds: 0 }, 0)) {
      expect(new Set(batch.nodes.map((n) => n.instanceId.slice(0, 3)))).toEqual(new Set(['i-a', 'i-b']));
    }
  });

  it.each([
    [5, 2, 0, [2, 2, 1], [2, 4, 5]],
    [4, 4, 2, [4], [6]],
    [3, 10, 0, [3], [3]],
    [0, 1, 4, [], []],
  ])('cuts %i nodes into batches of %i (already on target: %i)', (count, size, onTarget, sizes, targets) => {
    const ordered = Array.from({ length: count }, (_, i) => member(`i-${i}`, 'a', i));
    const batches = toBatches(ordered, { batchSize: size, bakeSeconds: 0 }, onTarget);
    expect(batches.map((b) => b.nodes.length)).toEqual(sizes);
    expect(batches.map((b) => b.readyTarget)).toEqual(targets);
    expect(batches.map((b) => b.index)).toEqual(sizes.map((_, i) => i));
  });

  it('gives each batch the size of the next, whose replacements its cordon launches', () => {
    const ordered = Array.from({ length: 5 }, (_, i) => member(`i-${i}`, 'a', i));
    expect(toBatches(ordered, { batchSize: 2, bakeSeconds: 0 }, 0).map((b) => b.nextSize)).toEqual([2, 1, 0]);
  });

  it('keeps at most the batches one execution may take; the next execution resumes', () => {
    const ordered = Array.from({ length: 7 }, (_, i) => member(`i-${i}`, 'a', i));
    const batches = toBatches(ordered, { batchSize: 2, bakeSeconds: 0 }, 1, 2);
    expect(batches.map((b) => b.nodes.length)).toEqual([2, 2]);
    expect(batches.map((b) => b.readyTarget)).toEqual([3, 5]);
    expect(batches.map((b) => b.nextSize)).toEqual([2, 0]);
  });

  it('cuts a canary first, bakes after it and between batches, never after the last', () => {
    const ordered = Array.from({ length: 7 }, (_, i) => member(`i-${i}`, 'a', i));
    const batches = toBatches(
      ordered,
      { batchSize: 3, canary: { nodes: 1, bakeSeconds: 1800 }, bakeSeconds: 600 },
      0,
    );
    expect(batches.map((b) => b.nodes.length)).toEqual([1, 3, 3]);
    expect(batches.map((b) => b.readyTarget)).toEqual([1, 4, 7]);
    expect(batches.map((b) => b.bakeSeconds)).toEqual([1800, 600, 0]);
  });

  it('launches no replacements of the next batch before a bake has passed', () => {
    const ordered = Array.from({ length: 5 }, (_, i) => member(`i-${i}`, 'a', i));
    const batches = toBatches(
      ordered,
      { batchSize: 2, canary: { nodes: 1, bakeSeconds: 900 }, bakeSeconds: 0 },
      0,
    );
    expect(batches.map((b) => b.nextSize)).toEqual([0, 2, 0]);
    expect(batches.map((b) => b.presurged)).toEqual([false, false, true]);
  });

  it('bakes after the last batch of an execution that another one continues', () => {
    const ordered = Array.from({ length: 6 }, (_, i) => member(`i-${i}`, 'a', i));
    const batches = toBatches(ordered, { batchSize: 2, bakeSeconds: 300 }, 0, 2);
    expect(batches.map((b) => b.bakeSeconds)).toEqual([300, 300]);
  });

  it('estimates a boot, then per batch the longer of a boot and a drain', () => {
    const timing = { bootSeconds: 420, drainSeconds: 150, terminateSeconds: 90 };
    expect(estimateSeconds(0, timing)).toBe(0);
    expect(estimateSeconds(1, timing)).toBe(420 + 150 + 90);
    expect(estimateSeconds(3, timing)).toBe(420 + 2 * 420 + 150 + 90);
  });
});

describe('executions of a large group', () => {
  it.each([
    [1800, 900],
    [7200, 86_400],
    [60, 60],
  ])(
    'fits the batches of one execution in its history even when every wait runs out (%i s ready, %i s drain)',
    (ready, drain) => {
      const batches = batchesPerExecution({ readyTimeoutSeconds: ready, drainTimeoutSeconds: drain });
      expect(batches).toBeGreaterThanOrEqual(10);
      expect(batches).toBeLessThan(historyEventBudget / 9);
    },
  );

  it('takes fewer batches per execution when each bakes, and fits them in the execution timeout', () => {
    const plain = batchesPerExecution({ readyTimeoutSeconds: 1800, drainTimeoutSeconds: 900 });
    const baked = batchesPerExecution({
      readyTimeoutSeconds: 1800,
      drainTimeoutSeconds: 900,
      bakeSeconds: 86_400,
    });
    expect(baked).toBeLessThan(plain);
    expect(baked * (1800 + 900 + 86_400)).toBeLessThanOrEqual(executionSecondsBudget);
  });

  it('names the execution that continues another one, within 80 characters', () => {
    expect(continuationName('console-1')).toBe('console-1-part2');
    expect(continuationName('console-1-part2')).toBe('console-1-part3');
    const long = continuationName('x'.repeat(80));
    expect(long).toHaveLength(80);
    expect(long.endsWith('-part2')).toBe(true);
  });
});

describe('launch template versions', () => {
  const versions = [
    { launchTemplateId: 'lt-1', versionNumber: 1, imageId: 'ami-old', isDefault: true },
    { launchTemplateId: 'lt-1', versionNumber: 2, imageId: 'ami-older', isDefault: false },
    { launchTemplateId: 'lt-1', versionNumber: 3, imageId: 'ami-old', isDefault: false },
  ];

  it.each([
    ['$Latest', 3],
    ['$Default', 1],
    ['2', 2],
    ['9', undefined],
  ])('resolves %s', (spec, number) => {
    expect(resolveVersion(spec, versions)?.versionNumber).toBe(number);
  });

  it('creates a new version from the current one and remembers the current one', () => {
    const current = versions[2];
    expect(current && decideLaunchTemplate(versions, current, 'ami-new')).toEqual({
      reuseVersion: undefined,
      sourceVersion: 3,
      previousVersion: 3,
    });
  });

  it('reuses a version that already has the target AMI, and finds the previous one behind it', () => {
    const withTarget = [
      ...versions,
      { launchTemplateId: 'lt-1', versionNumber: 4, imageId: 'ami-new', isDefault: false },
    ];
    const current = withTarget[3];
    expect(current && decideLaunchTemplate(withTarget, current, 'ami-new')).toEqual({
      reuseVersion: 4,
      sourceVersion: 4,
      previousVersion: 3,
    });
  });
});
