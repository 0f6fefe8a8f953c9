import { describe, expect, it } from 'vitest';
import { continuationName, goesOn } from '../../functions/domain/continuation.ts';
import {
  decideLaunchTemplate,
  resolveVersion,
  templateRestore,
} from '../../functions/domain/launch-template.ts';
import {
  batchesPerExecution,
  batchesWithinState,
  estimateSeconds,
  executionSecondsBudget,
  type GroupMember,
  historyEventBudget,
  orderForReplacement,
  peakSurge,
  selectNodes,
  surgeBatchesFor,
  toBatches,
  withRemoval,
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

  it('gives each batch the instances of the next, whose replacements its cordon launches', () => {
    const ordered = Array.from({ length: 5 }, (_, i) => member(`i-${i}`, 'a', i));
    expect(toBatches(ordered, { batchSize: 2, bakeSeconds: 0 }, 0).map((b) => b.next)).toEqual([
      ['i-2', 'i-3'],
      ['i-4'],
      [],
    ]);
  });

  it('keeps at most the batches one execution may take; the next execution resumes', () => {
    const ordered = Array.from({ length: 7 }, (_, i) => member(`i-${i}`, 'a', i));
    const batches = toBatches(ordered, { batchSize: 2, bakeSeconds: 0 }, 1, 2);
    expect(batches.map((b) => b.nodes.length)).toEqual([2, 2]);
    expect(batches.map((b) => b.readyTarget)).toEqual([3, 5]);
    expect(batches.map((b) => b.next.length)).toEqual([2, 0]);
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
    expect(batches.map((b) => b.next.length)).toEqual([0, 2, 0]);
    expect(batches.map((b) => b.presurged)).toEqual([false, false, true]);
  });

  it('bakes after the last batch of an execution that another one continues', () => {
    const ordered = Array.from({ length: 6 }, (_, i) => member(`i-${i}`, 'a', i));
    const batches = toBatches(ordered, { batchSize: 2, bakeSeconds: 300 }, 0, 2);
    expect(batches.map((b) => b.bakeSeconds)).toEqual([300, 300]);
  });

  it('with surgeBatches 2, launches the batch after the next at each terminate, never across a bake or a limit', () => {
    const ordered = Array.from({ length: 9 }, (_, i) => member(`i-${i}`, 'a', i));
    const ids = (from: number, to: number) => ordered.slice(from, to).map((m) => m.instanceId);
    const twoAhead = { batchSize: 2, bakeSeconds: 0, surgeBatches: 2 };
    expect(toBatches(ordered, { batchSize: 2, bakeSeconds: 0 }, 0).map((b) => b.afterNext)).toEqual(
      Array(5).fill([]),
    );
    const rolling = toBatches(ordered, twoAhead, 0);
    expect(rolling.map((b) => b.afterNext)).toEqual([[ids(4, 6)], [ids(6, 8)], [ids(8, 9)], [], []]);
    expect(rolling.map((b) => b.presurged)).toEqual([false, true, true, true, true]);
    const limited = toBatches(ordered, twoAhead, 0, 3);
    expect(limited.map((b) => b.afterNext)).toEqual([[ids(4, 6)], [], []]);
    const canary = toBatches(ordered, { ...twoAhead, canary: { nodes: 1, bakeSeconds: 900 } }, 0);
    expect(canary.map((b) => b.afterNext.flat().length)).toEqual([0, 2, 2, 0, 0]);
    expect(withRemoval([member('i-x', 'a', 0)], rolling, 2)[0]?.afterNext).toEqual([ids(2, 4)]);
    expect(withRemoval([member('i-x', 'a', 0)], rolling)[0]?.afterNext).toEqual([]);
  });

  it('with surgeBatches 3, lists the two batches after the next, one list each, never across a bake', () => {
    const ordered = Array.from({ length: 9 }, (_, i) => member(`i-${i}`, 'a', i));
    const ids = (from: number, to: number) => ordered.slice(from, to).map((m) => m.instanceId);
    const threeAhead = { batchSize: 2, bakeSeconds: 0, surgeBatches: 3 };
    const rolling = toBatches(ordered, threeAhead, 0);
    expect(rolling.map((b) => b.afterNext)).toEqual([
      [ids(4, 6), ids(6, 8)],
      [ids(6, 8), ids(8, 9)],
      [ids(8, 9)],
      [],
      [],
    ]);
    const canary = toBatches(ordered, { ...threeAhead, canary: { nodes: 1, bakeSeconds: 900 } }, 0);
    expect(canary.map((b) => b.afterNext.length)).toEqual([0, 2, 1, 0, 0]);
    expect(withRemoval([member('i-x', 'a', 0)], rolling, 3)[0]?.afterNext).toEqual([ids(2, 4), ids(4, 6)]);
  });

  it('keeps as many batches in an execution as their state fits, at least one', () => {
    expect(batchesWithinState([40_000, 40_000, 40_000], 100_000)).toBe(2);
    expect(batchesWithinState([40_000, 40_000], 100_000)).toBe(2);
    expect(batchesWithinState([150_000, 1_000], 100_000)).toBe(1);
    expect(batchesWithinState([], 100_000)).toBe(0);
  });

  it('launches three batches ahead unless asked, one on a group the cluster-autoscaler discovers', () => {
    expect(surgeBatchesFor(undefined, {})).toBe(3);
    expect(surgeBatchesFor(undefined, { 'k8s.io/cluster-autoscaler/enabled': 'true' })).toBe(1);
    expect(surgeBatchesFor(2, { 'k8s.io/cluster-autoscaler/enabled': 'true' })).toBe(2);
    expect(surgeBatchesFor(1, {})).toBe(1);
  });

  it('takes at most two batches of surge, or surgeBatches of them, and never more than it replaces', () => {
    expect(peakSurge(1, 4, 20)).toBe(8);
    expect(peakSurge(3, 4, 20)).toBe(12);
    expect(peakSurge(4, 4, 10)).toBe(10);
  });

  it('estimates a boot, then per batch the longer of a boot and a drain; two batches ahead, less', () => {
    const timing = { bootSeconds: 420, drainSeconds: 150, terminateSeconds: 90 };
    expect(estimateSeconds(0, timing)).toBe(0);
    expect(estimateSeconds(1, timing)).toBe(420 + 150 + 90);
    expect(estimateSeconds(3, timing)).toBe(420 + 2 * 420 + 150 + 90);
    // Two ahead: batch 3's replacements launch when batch 1 ends (570 s) and are Ready at 990 s.
    expect(estimateSeconds(3, { ...timing, surgeBatches: 2 })).toBe(570 + 420 + 150 + 90);
    // Three ahead: all three boot together, then drain back to back.
    expect(estimateSeconds(3, { ...timing, surgeBatches: 3 })).toBe(420 + 3 * 150 + 90);
    // Drains longer than a boot: the batches drain back to back either way.
    expect(estimateSeconds(3, { ...timing, drainSeconds: 600 })).toBe(420 + 3 * 600 + 90);
    expect(estimateSeconds(3, { ...timing, drainSeconds: 600, surgeBatches: 2 })).toBe(420 + 3 * 600 + 90);
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

  it.each([
    ['its plan left batches', { continues: true, nodesReplaced: 10 }, [], true],
    [
      'instances joined on another AMI and it replaced nodes',
      { continues: false, nodesReplaced: 3 },
      ['i-1'],
      true,
    ],
    ['everything is on the target', { continues: false, nodesReplaced: 3 }, [], false],
    [
      'instances on another AMI, but it replaced none (something keeps launching them): no loop',
      { continues: false, nodesReplaced: 0 },
      ['i-1'],
      false,
    ],
  ])('goes on in a new execution when %s', (_, plan, leftBehind, expected) => {
    expect(goesOn(plan, leftBehind)).toBe(expected);
  });
});

describe('launch template versions', () => {
  const data = { InstanceType: 'm5.xlarge' as const, UserData: 'Ym9vdA==' };
  const version = (versionNumber: number, imageId: string, extra: object = {}, isDefault = false) => ({
    launchTemplateId: 'lt-1',
    versionNumber,
    imageId,
    isDefault,
    data: { ...data, ImageId: imageId, ...extra },
  });
  const versions = [version(1, 'ami-old', {}, true), version(2, 'ami-older'), version(3, 'ami-old')];

  it.each([
    ['$Latest', 3],
    ['$Default', 1],
    ['2', 2],
    ['9', undefined],
  ])('resolves %s', (spec, number) => {
    expect(resolveVersion(spec, versions)?.versionNumber).toBe(number);
  });

  it.each([
    ['number', 'creates a version from the current one', versions, 3, [undefined, 3, 3]],
    [
      'number',
      'reuses a version equal to the current one apart from ImageId',
      [...versions, version(4, 'ami-new'), version(5, 'ami-old')],
      5,
      [4, 5, 5],
    ],
    [
      'number',
      'does not reuse a target version that differs in anything else (the operator fixed it since)',
      [...versions, version(4, 'ami-new', { UserData: 'YnJva2Vu' }), version(5, 'ami-old')],
      5,
      [undefined, 5, 5],
    ],
    [
      '$Latest',
      'reuses only the newest version for a $Latest group',
      [...versions, version(4, 'ami-new'), version(5, 'ami-old')],
      5,
      [undefined, 5, 5],
    ],
    [
      'number',
      'keeps the version that already launches the target, and finds the previous one behind it',
      [...versions, version(4, 'ami-new')],
      4,
      [4, 4, 3],
    ],
  ] as const)(
    '%s group: %s',
    (form, _, all, currentNumber, [reuseVersion, sourceVersion, previousVersion]) => {
      const current = all.find((v) => v.versionNumber === currentNumber);
      expect(current && decideLaunchTemplate([...all], current, 'ami-new', form)).toEqual({
        reuseVersion,
        sourceVersion,
        previousVersion,
      });
    },
  );

  it('judges a resolve:ssm: version by the AMI its parameter holds', () => {
    const aliased = version(3, 'resolve:ssm:/windows/ami');
    const all = [...versions.slice(0, 2), aliased];
    const resolved = (v: { versionNumber: number; imageId: string | undefined }) =>
      v.versionNumber === 3 ? 'ami-new' : v.imageId;
    expect(decideLaunchTemplate(all, aliased, 'ami-new', 'number', resolved)).toMatchObject({
      reuseVersion: 3,
    });
    expect(decideLaunchTemplate(all, aliased, 'ami-newer', 'number', resolved)).toEqual({
      reuseVersion: undefined,
      sourceVersion: 3,
      previousVersion: 3,
    });
  });

  it.each([
    [
      'number',
      { groupVersion: '4', defaultVersion: 1, latestVersion: 4 },
      { kind: 'pointGroup', version: 3 },
    ],
    ['number', { groupVersion: '5', defaultVersion: 1, latestVersion: 5 }, { kind: 'none' }],
    [
      '$Default',
      { groupVersion: '$Default', defaultVersion: 4, latestVersion: 4 },
      { kind: 'setDefault', version: 3 },
    ],
    ['$Default', { groupVersion: '$Default', defaultVersion: 3, latestVersion: 4 }, { kind: 'none' }],
    [
      '$Latest',
      { groupVersion: '$Latest', defaultVersion: 1, latestVersion: 4 },
      { kind: 'copyAsLatest', version: 3 },
    ],
    ['$Latest', { groupVersion: '$Latest', defaultVersion: 1, latestVersion: 5 }, { kind: 'none' }],
  ] as const)(
    'rolls a %s group back where the rollout’s change still stands (%j)',
    (form, state, expected) => {
      expect(templateRestore(form, state, { previousVersion: 3, targetVersion: 4 })).toMatchObject(expected);
    },
  );

  it('restores nothing when the group already launched the target before the rollout', () => {
    const state = { groupVersion: '4', defaultVersion: 1, latestVersion: 4 };
    expect(templateRestore('number', state, { previousVersion: 4, targetVersion: 4 }).kind).toBe('none');
  });
});
