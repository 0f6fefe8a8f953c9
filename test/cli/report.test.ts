import { describe, expect, it } from 'vitest';
import { progressBar } from '../../cli/format.ts';
import { formatClock, formatDuration } from '../../report/duration.ts';
import { currentBatch, lastStep, nodesReplaced, readExecution } from '../../report/history.ts';
import { escapeHtml, orderRows, renderReportHtml, tickMinutes } from '../../report/html.ts';
import {
  type NodeTimeline,
  type RolloutTimeline,
  timelineFromExecution,
  timelineFromSimulation,
} from '../../report/timeline.ts';
import { History, startedAt } from './history-fixture.ts';

const execution = 'console-1';
const batchStates = new Set(['Surge', 'CheckReplacements', 'Cordon', 'Drain', 'Terminate']);
/** A Task entered, as the simulator records it: a batch's Tasks with the batch's plan index. */
const state = (t: number, name: string, batch = 0) => ({
  t,
  event: 'StateEntered',
  detail: { execution, state: name, ...(batchStates.has(name) ? { batch } : {}) },
});

/** A simulator report of one batch: one old node replaced by one new node, with the world's events. */
const simulated: Parameters<typeof timelineFromSimulation>[0] = {
  status: 'SUCCEEDED',
  error: null,
  simulatedSeconds: 1300,
  instances: [
    {
      instanceId: 'i-0old',
      nodeGroup: 'win-a',
      amiId: 'ami-0aaa0000000000001',
      nodeName: 'ip-old',
      state: 'terminated',
      unschedulable: true,
      instanceType: 'm5.xlarge',
      launchTemplateVersion: 1,
    },
    {
      instanceId: 'i-0new',
      nodeGroup: 'win-a',
      amiId: 'ami-0ccc0000000000003',
      nodeName: 'ip-new',
      state: 'running',
      unschedulable: false,
      instanceType: 'm5.xlarge',
      launchTemplateVersion: 1,
    },
    {
      instanceId: 'i-0lnx',
      nodeGroup: 'linux',
      amiId: 'ami-0ccc0000000000003',
      nodeName: 'ip-lnx',
      state: 'running',
      unschedulable: false,
      instanceType: 'm5.xlarge',
      launchTemplateVersion: 1,
    },
  ],
  timeline: [
    {
      t: 0,
      event: 'ExecutionStarted',
      detail: {
        execution,
        input: { clusterName: 'prod', nodeGroupName: 'win-a', amiId: 'ami-0ccc0000000000003' },
      },
    },
    state(2, 'Surge'),
    {
      t: 12,
      event: 'InstanceLaunched',
      detail: { instanceId: 'i-0new', group: 'win-a', amiId: 'ami-0ccc0000000000003' },
    },
    {
      t: 13,
      event: 'InstanceLaunched',
      detail: { instanceId: 'i-0lnx', group: 'linux', amiId: 'ami-0ccc0000000000003' },
    },
    { t: 390, event: 'NodeRegistered', detail: { node: 'ip-new', instanceId: 'i-0new' } },
    { t: 430, event: 'NodeReady', detail: { node: 'ip-new', instanceId: 'i-0new' } },
    state(440, 'Cordon'),
    { t: 440.3, event: 'NodeCordoned', detail: { node: 'ip-old', instanceId: 'i-0old' } },
    state(440.3, 'Drain'),
    { t: 440.6, event: 'PodEvicted', detail: { pod: 'shop/web-1', node: 'ip-old' } },
    state(900, 'Terminate'),
    {
      t: 900.3,
      event: 'AutoScalingGroupUpdated',
      detail: { action: 'TerminateInstanceInAutoScalingGroup', instanceId: 'i-0old' },
    },
    { t: 960.3, event: 'InstanceTerminated', detail: { instanceId: 'i-0old', node: 'ip-old' } },
    { t: 1000.3, event: 'NodeDeleted', detail: { node: 'ip-old', instanceId: 'i-0old' } },
    { t: 1030, event: 'ExecutionSucceeded', detail: { execution } },
  ],
};

const running = () =>
  new History()
    .prepared()
    .batch(0)
    .iteration(1)
    .surged()
    .step('Cordon', 1)
    .drainRound(false, ['shop/web-2: PodDisruptionBudget shop/web allows no disruption now'])
    .step('Drained?', 0)
    .enter('WaitForDrain', 20).events;

describe('readExecution', () => {
  it('follows the batches of a finished rollout through the Map iterations', () => {
    const run = readExecution(new History().prepared().batch(0).batch(1).succeeded().events);
    expect(run).toMatchObject({
      status: 'SUCCEEDED',
      error: undefined,
      currentStep: undefined,
      input: { clusterName: 'prod' },
    });
    expect(run.plan?.nodesToReplace).toBe(4);
    expect(run.batches.map((b) => [b.index, b.nodes.length, b.terminated, Object.keys(b.steps)])).toEqual([
      [0, 2, true, ['waitReady', 'cordon', 'drain', 'terminate']],
      [1, 2, true, ['waitReady', 'cordon', 'drain', 'terminate']],
    ]);
    expect(nodesReplaced(run)).toBe(4);
    expect(currentBatch(run)).toBeUndefined();
  });

  it('tells the step and the drain blockers of a running rollout, whatever order the events come in', () => {
    const run = readExecution(running().reverse());
    const batch = currentBatch(run);
    expect(run).toMatchObject({ status: 'RUNNING', currentState: 'WaitForDrain', currentStep: 'drain' });
    expect(batch?.index).toBe(1);
    expect(batch && lastStep(batch)).toBe('drain');
    expect(batch?.drainBlockers).toEqual([
      'shop/web-2: PodDisruptionBudget shop/web allows no disruption now',
    ]);
    expect(nodesReplaced(run)).toBe(2);
  });

  it('times each step from entering its first state to the last event seen in it', () => {
    const run = readExecution(new History().prepared().batch(0).succeeded().events);
    const steps = run.batches[0]?.steps;
    const seconds = (ms: number | undefined) => ((ms ?? 0) - startedAt) / 1000;
    // prepared() takes 9 s; Surge 1 s, two waits of 60 and 360 s with a 1 s check after each.
    expect(seconds(steps?.waitReady?.start)).toBe(9);
    expect(seconds(steps?.waitReady?.end)).toBe(9 + 1 + 60 + 1 + 360 + 1);
    expect(seconds(steps?.cordon?.end) - seconds(steps?.cordon?.start)).toBe(1);
    expect(seconds(steps?.drain?.end) - seconds(steps?.drain?.start)).toBe(2 + 30 + 2);
  });

  it('keeps the name and the sentence of the error a failed execution ended with', () => {
    const run = readExecution(
      new History()
        .prepared()
        .iteration(0)
        .surged()
        .enter('Cordon', 1)
        .failed('KubernetesThrottled', 'Slow down.').events,
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toEqual({ name: 'KubernetesThrottled', cause: 'Slow down.' });
    expect(currentBatch(run)?.index).toBe(0);
  });

  it('survives a history that is not ours', () => {
    const run = readExecution([
      {
        id: 1,
        type: 'ExecutionStarted',
        timestamp: new Date(0),
        executionStartedEventDetails: { input: '"x"' },
      },
    ]);
    expect(run).toMatchObject({ status: 'RUNNING', input: {}, batches: [], plan: undefined });
  });
});

describe('timelineFromExecution', () => {
  it('gives every planned node a row with its batch steps, in seconds since the start', () => {
    const timeline = timelineFromExecution(
      [readExecution(new History().prepared().batch(0).batch(1).succeeded().events)],
      0,
    );
    expect(timeline).toMatchObject({
      title: 'Rollout of prod/win-a to ami-0ccc0000000000003',
      target: { clusterName: 'prod', nodeGroupName: 'win-a', amiId: 'ami-0ccc0000000000003' },
      outcome: 'SUCCEEDED',
      start: 0,
    });
    expect(timeline.nodes.map((n) => [n.nodeName, n.batch, n.role])).toEqual([
      ['ip-10-0-1-10.ec2.internal', 0, 'replaced'],
      ['ip-10-0-2-11.ec2.internal', 0, 'replaced'],
      ['ip-10-0-1-12.ec2.internal', 1, 'replaced'],
      ['ip-10-0-2-13.ec2.internal', 1, 'replaced'],
    ]);
    expect(timeline.nodes[0]?.phases.map((p) => [p.phase, p.start, p.end])).toEqual([
      ['waitReady', 9, 432],
      ['cordon', 432, 433],
      ['drain', 433, 467],
      ['terminate', 467, 499],
    ]);
    expect(timeline.end).toBe(Math.max(...timeline.nodes.flatMap((n) => n.phases.map((p) => p.end))) + 2);
  });

  it('draws the step still running up to now', () => {
    const now = Date.UTC(2026, 10, 12, 20, 0, 0);
    const timeline = timelineFromExecution([readExecution(running())], now);
    const drain = timeline.nodes.at(-1)?.phases.find((p) => p.phase === 'drain');
    expect(drain?.end).toBe(55 * 60);
    expect(timeline.end).toBe(55 * 60);
    expect(timeline.outcome).toBe('RUNNING');
  });
});

describe('timelineFromSimulation', () => {
  const timeline = timelineFromSimulation(simulated);
  const row = (name: string) => timeline.nodes.find((n) => n.nodeName === name);

  it('boots each replacement from launch to registration, then waits for Ready', () => {
    expect(row('ip-new')).toMatchObject({ instanceId: 'i-0new', batch: 0, role: 'replacement' });
    expect(row('ip-new')?.phases).toEqual([
      { phase: 'boot', start: 12, end: 390 },
      { phase: 'waitReady', start: 390, end: 430 },
    ]);
  });

  it('walks each replaced node through waiting, cordon, drain and termination until its node is gone', () => {
    expect(row('ip-old')).toMatchObject({ instanceId: 'i-0old', batch: 0, role: 'replaced' });
    expect(row('ip-old')?.phases).toEqual([
      { phase: 'waitReady', start: 2, end: 440.3 },
      { phase: 'cordon', start: 440.3, end: 440.3 },
      { phase: 'drain', start: 440.3, end: 900 },
      { phase: 'terminate', start: 900, end: 1000.3 },
    ]);
  });

  it('leaves out the other node groups and ends with the execution', () => {
    expect(timeline.nodes.map((n) => n.nodeName)).toEqual(['ip-new', 'ip-old']);
    expect(timeline).toMatchObject({ outcome: 'SUCCEEDED', start: 0, end: 1030 });
  });

  it('puts each node in its batch by the plan index of its Tasks, and names the error of a failed run', () => {
    const second: Parameters<typeof timelineFromSimulation>[0] = {
      ...simulated,
      status: 'FAILED',
      error: { name: 'DrainTimeout', cause: '...' },
      timeline: [
        ...simulated.timeline.slice(0, -1),
        state(1010, 'CheckReplacements', 1),
        { t: 1400, event: 'NodeCordoned', detail: { node: 'ip-new', instanceId: 'i-0new' } },
        state(1400, 'Drain', 1),
        { t: 2300, event: 'NodeUncordoned', detail: { node: 'ip-new', instanceId: 'i-0new' } },
        { t: 2301, event: 'ExecutionFailed', detail: { execution } },
      ],
    };
    const failed = timelineFromSimulation(second);
    const again = failed.nodes.find((n) => n.role === 'replaced' && n.nodeName === 'ip-new');
    expect(again?.batch).toBe(1);
    expect(again?.phases.slice(-2)).toEqual([
      { phase: 'drain', start: 1400, end: 2300 },
      { phase: 'rollback', start: 2300, end: 2300 },
    ]);
    expect(failed.outcome).toBe('FAILED: DrainTimeout');
  });
});

describe('renderReportHtml', () => {
  const timeline = timelineFromSimulation(simulated);

  it('is one self-contained page: inline style and SVG, nothing fetched', () => {
    const html = renderReportHtml(timeline);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<style>');
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(html).not.toMatch(/<link|<script|src=|href=|url\(/);
  });

  it('draws a bar group per node, with a bar per phase', () => {
    const html = renderReportHtml(timeline);
    expect(html.match(/<g class="node [a-z]+" data-node=/g)).toHaveLength(2);
    expect(html).toContain(
      'data-node="ip-old" data-instance="i-0old" data-role="replaced" data-run="0" data-batch="0"',
    );
    expect(html.match(/data-phase="/g)).toHaveLength(6);
  });

  it('says cluster, group, AMI, outcome and duration in the header, and has a legend', () => {
    const html = renderReportHtml(timeline);
    for (const fact of [
      'prod',
      'win-a',
      'ami-0ccc0000000000003',
      'SUCCEEDED',
      '17 min 10 s',
      '1 replaced, 1 launched',
    ]) {
      expect(html).toContain(`>${fact}</dd>`);
    }
    for (const label of ['Boot', 'Wait for Ready', 'Cordon', 'Drain', 'Termination'])
      expect(html).toContain(`</span>${label}</li>`);
  });

  it('labels the time axis in minutes', () => {
    const html = renderReportHtml(timeline);
    expect([...html.matchAll(/class="tick"[^>]*>(\d+) min</g)].map((m) => m[1])).toEqual([
      '0',
      '2',
      '4',
      '6',
      '8',
      '10',
      '12',
      '14',
      '16',
    ]);
  });

  it('escapes what it did not write itself', () => {
    const hostile: RolloutTimeline = {
      ...timeline,
      title: '<script>alert(1)</script>',
      nodes: [{ ...(timeline.nodes[0] as NodeTimeline), nodeName: '"><img src=x>' }],
    };
    const html = renderReportHtml(hostile);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(escapeHtml(`a&b<c>"d'`)).toBe('a&amp;b&lt;c&gt;&quot;d&#39;');
  });

  it('counts as replaced only the old nodes that reached termination', () => {
    const [, old] = timeline.nodes as [NodeTimeline, NodeTimeline];
    const undrained = { ...old, nodeName: 'ip-undrained', phases: old.phases.slice(0, 2) };
    expect(renderReportHtml({ ...timeline, nodes: [...timeline.nodes, undrained] })).toContain(
      '>1 of 2 replaced, 1 launched</dd>',
    );
  });

  it('says so when there is no node to draw', () => {
    expect(renderReportHtml({ ...timeline, nodes: [] })).toContain('No node was replaced or launched');
  });

  it('puts each batch together, each old node beside the replacement it pairs with', () => {
    const node = (nodeName: string, batch: number, role: NodeTimeline['role']): NodeTimeline => ({
      nodeName,
      instanceId: nodeName,
      run: 0,
      batch,
      role,
      phases: [],
    });
    expect(
      orderRows([
        node('b', 1, 'replaced'),
        node('a', 0, 'replaced'),
        node('c', 1, 'replacement'),
        node('d', 0, 'replacement'),
      ]).map((n) => n.nodeName),
    ).toEqual(['a', 'd', 'b', 'c']);
  });

  it.each([
    [300, 1],
    [1800, 5],
    [2079, 5],
    [7200, 15],
    [86_400, 180],
  ])('ticks a %i s rollout every %i min', (seconds, minutes) => {
    expect(tickMinutes(seconds)).toBe(minutes);
  });
});

describe('durations', () => {
  it.each([
    [0, '0 s', '0:00'],
    [45.4, '45 s', '0:45'],
    [600, '10 min', '10:00'],
    [754, '12 min 34 s', '12:34'],
    [11_100, '3 h 05 min', '3:05:00'],
  ])('%d s reads %s, and %s on the clock', (seconds, duration, clock) => {
    expect(formatDuration(seconds)).toBe(duration);
    expect(formatClock(seconds)).toBe(clock);
  });

  it('draws progress as a bar of 20', () => {
    expect(progressBar(1, 4)).toBe('[#####---------------]');
    expect(progressBar(0, 0)).toBe('[--------------------]');
  });
});
