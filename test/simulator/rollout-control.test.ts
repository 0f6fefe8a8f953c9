import { describe, expect, it } from 'vitest';
import { openings } from '../../functions/domain/window.ts';
import { renderReportHtml } from '../../report/html.ts';
import { timelineFromSimulation } from '../../report/timeline.ts';
import type { SimulationReport } from '../../simulator/runner.ts';
import { changeEvents, eventsOf, scenarioReport } from './world-fixture.ts';

const reportOf = scenarioReport;
const changes = changeEvents;

describe('rollout control, run on the real state machine and handlers', () => {
  it('waits from Tuesday evening to Saturday 22:00 Berlin, then cordons and terminates only inside the window', async () => {
    const report = await reportOf('window-weekend');
    const start = Date.parse('2026-11-10T18:00:00Z');
    const wallClock = (t: number) => start + t * 1000;
    const [firstChange] = eventsOf(report, ...changes);
    expect(new Date(wallClock(firstChange?.t ?? 0)).toISOString()).toBe('2026-11-14T21:00:00.600Z');
    const window = { timezone: 'Europe/Berlin', days: ['Sat', 'Sun'] as const, start: '22:00', end: '22:30' };
    const open = openings(window, start);
    const disruptions = eventsOf(report, 'NodeCordoned', 'PodEvicted', 'InstanceTerminated');
    expect(disruptions.length).toBeGreaterThan(0);
    for (const event of disruptions) {
      const at = wallClock(event.t);
      expect(
        open.some((o) => o.opens <= at && at < o.closes),
        `${event.event} at ${event.t}`,
      ).toBe(true);
    }
    const waits = eventsOf(report, 'WaitingForWindow');
    expect(waits.map((event) => event.detail.until)).toEqual([
      '2026-11-14T21:00:00.000Z',
      '2026-11-15T21:00:00.000Z',
    ]);
    // After BeforeChanges and HoldLockForWindow, which renews the lease past the wait.
    expect(waits[0]?.detail.at).toBe('2026-11-10T18:00:01.800Z');
    expect(report.notifications.filter((n) => n.subject?.startsWith('[WaitingForWindow]'))).toHaveLength(2);
  });

  it('expects the next batch to take as long as the slowest so far: after a slow first batch, the second waits for the next opening', async () => {
    const report = await reportOf('window-slow-first-batch');
    const start = Date.parse('2026-11-14T21:00:00Z');
    const window = { timezone: 'Europe/Berlin', days: ['Sat', 'Sun'] as const, start: '22:00', end: '23:00' };
    const open = openings(window, start);
    const batches = report.events.filter((e) => e.detailType === 'Rollout Batch Done');
    const [first] = batches;
    // The plan expects 540 s a batch; the first took more than half the hour.
    expect(Number(first?.detail.batchSeconds)).toBeGreaterThan(1800);
    const waits = report.events.filter((e) => e.detailType === 'Rollout Waiting For Window');
    expect(waits.map((e) => [e.detail.batchIndex, e.detail.until, e.detail.basis])).toEqual([
      [1, '2026-11-15T21:00:00.000Z', 'observed'],
    ]);
    expect(waits[0]?.detail.expectedBatchSeconds).toBe(first?.detail.batchSeconds);
    const notice = report.notifications.find((n) => n.subject?.startsWith('[WaitingForWindow]'));
    expect(notice?.message).toContain('(the slowest batch so far)');
    // Every batch, its disruptions and its end, inside an opening: none overran Saturday's.
    const inside = (t: number) =>
      open.some((o) => o.opens <= start + t * 1000 && start + t * 1000 < o.closes);
    for (const event of [...eventsOf(report, 'NodeCordoned', 'PodEvicted', 'InstanceTerminated'), ...batches])
      expect(inside(event.t), `${'event' in event ? event.event : event.detailType} at ${event.t}`).toBe(
        true,
      );
    expect(batches).toHaveLength(2);
  });

  it('stops on an alarm during the canary bake and puts the canary back on the previous AMI, touching no other node', async () => {
    const report = await reportOf('canary-alarm');
    const [rollout, revert] = report.executions ?? [];
    expect(rollout?.error?.name).toBe('AlarmTriggered');
    expect(revert).toMatchObject({ status: 'SUCCEEDED', input: { amiId: 'ami-0aaa0000000000001' } });
    const [baked] = eventsOf(report, 'BakeStarted');
    const [alarm] = eventsOf(report, 'AlarmTriggered');
    expect(baked?.t).toBeLessThan(alarm?.t ?? 0);
    // Only the canary's node was ever cordoned: by the rollout, then its replacement by the revert.
    expect(eventsOf(report, 'NodeCordoned')).toHaveLength(2);
    const windows = report.instances.filter((i) => i.nodeGroup === 'win-a');
    expect(windows.filter((i) => i.state === 'running').map((i) => i.amiId)).toEqual(
      Array(4).fill('ami-0aaa0000000000001'),
    );
    expect(
      windows
        .filter((i) => i.state === 'terminated')
        .map((i) => i.amiId)
        .sort(),
    ).toEqual(['ami-0aaa0000000000001', 'ami-0ccc0000000000003']);
  });

  it('bakes after the canary and between batches, launching nothing of the next batch before a bake passes', async () => {
    const report = await reportOf('canary-bake');
    const bakes = eventsOf(report, 'BakeStarted');
    expect(bakes.map((event) => event.detail.bakeSeconds)).toEqual([1800, 600]);
    const [canaryBake, batchBake] = bakes.map((event) => event.t);
    const launched = eventsOf(report, 'InstanceLaunched').map((event) => event.t);
    expect(launched.filter((t) => t > (canaryBake ?? 0) && t < (canaryBake ?? 0) + 1800)).toEqual([]);
    expect(launched.filter((t) => t > (batchBake ?? 0) && t < (batchBake ?? 0) + 600)).toEqual([]);
  });

  it('refuses to start while an alarm is in ALARM, changing nothing', async () => {
    const report = await reportOf('alarm-before-start');
    expect(eventsOf(report, ...changes)).toEqual([]);
    expect(report.error?.cause).toContain('web-5xx');
  });
});

describe('approvals, answered by the simulated operator through the task token', () => {
  it('waits for the approval before any change, then goes on', async () => {
    const report = await reportOf('approval-granted');
    const [asked] = eventsOf(report, 'ApprovalRequested');
    const [answered] = eventsOf(report, 'ApprovalReceived');
    expect(answered?.detail).toMatchObject({ decision: 'approve', at: '2026-11-10T18:10:01.500Z' });
    expect(eventsOf(report, ...changes).every((event) => event.t >= (answered?.t ?? 0))).toBe(true);
    expect(asked?.t).toBeLessThan(answered?.t ?? 0);
    const request = report.notifications.find((n) => n.subject?.startsWith('[ApprovalRequested]'));
    expect(request?.message).toContain('npx eks-windows-patcher approve arn:aws:states:');
    expect(request?.message).toContain('npx eks-windows-patcher reject arn:aws:states:');
  });

  it('rolls the canary back after a rejection, touching no other node', async () => {
    const report = await reportOf('approval-rejected');
    const [rollout, revert] = report.executions ?? [];
    expect(rollout?.error?.name).toBe('RolloutRejected');
    expect(revert).toMatchObject({ status: 'SUCCEEDED', input: { amiId: 'ami-0aaa0000000000001' } });
    expect(eventsOf(report, 'NodeCordoned')).toHaveLength(2);
    const running = report.instances.filter((i) => i.nodeGroup === 'win-a' && i.state === 'running');
    expect(running.map((i) => i.amiId)).toEqual(Array(4).fill('ami-0aaa0000000000001'));
  });

  it('ends with ApprovalTimedOut, changing nothing, when nobody answers', async () => {
    const report = await reportOf('approval-timed-out');
    expect(eventsOf(report, ...changes)).toEqual([]);
    expect(report.simulatedSeconds).toBeGreaterThanOrEqual(3600);
  });

  it('pauses at the next batch boundary, never mid-drain, starts no batch while paused, and goes on when resumed', async () => {
    const report = await reportOf('pause-resume');
    const [paused] = eventsOf(report, 'Paused');
    const [resumed] = eventsOf(report, 'Resumed');
    expect(paused?.detail.at).toBe('2026-11-10T18:10:00.000Z');
    expect(resumed?.detail.at).toBe('2026-11-10T20:00:00.000Z');
    const pausedAt = paused?.t ?? 0;
    const resumedAt = resumed?.t ?? 0;
    const entered = (from: number, to: number) =>
      eventsOf(report, 'StateEntered')
        .filter((event) => event.t > from && event.t < to)
        .map((event) => event.detail.state);
    // The batch draining when paused finished its drain and termination, then the execution waited.
    const whilePaused = entered(pausedAt, resumedAt);
    expect(whilePaused).toContain('Terminate');
    expect(whilePaused.at(-1)).toBe('Paused');
    expect(whilePaused).not.toContain('Cordon');
    expect(whilePaused).not.toContain('Surge');
    const cordons = eventsOf(report, 'NodeCordoned').map((event) => event.t);
    expect(cordons.filter((t) => t > pausedAt && t < resumedAt)).toEqual([]);
    expect(cordons.filter((t) => t >= resumedAt)).toHaveLength(2);
    expect(report.status).toBe('SUCCEEDED');
  });

  it('draws windows, bakes, approvals and pauses on the report', async () => {
    const bands = async (name: string) =>
      timelineFromSimulation(await reportOf(name)).controls.map((band) => ({
        kind: band.kind,
        seconds: Math.round(band.end - band.start),
      }));
    expect(await bands('pause-resume')).toEqual([{ kind: 'pause', seconds: 6600 }]);
    expect(await bands('canary-bake')).toEqual([
      { kind: 'bake', seconds: 1800 },
      { kind: 'bake', seconds: 600 },
    ]);
    expect((await bands('window-weekend')).map((band) => band.kind)).toEqual(['window', 'window']);
    expect((await bands('approval-granted')).map((band) => band.kind)).toEqual(['approval']);
    const html = renderReportHtml(timelineFromSimulation(await reportOf('pause-resume')));
    expect(html).toContain('data-kind="pause"');
    expect(html).toContain('Paused by a person');
  });
});

describe('rollout events on the default EventBridge bus', () => {
  const sequence = (report: SimulationReport) => report.events.map((event) => event.detailType);
  const counts = (report: SimulationReport, detailType: string) =>
    report.events
      .filter((event) => event.detailType === detailType)
      .map((event) => [event.detail.nodesReplaced, event.detail.nodesToReplace]);

  it('tells a rollout that waits for its window from start to success, with the nodes replaced so far', async () => {
    const report = await reportOf('window-weekend');
    expect(sequence(report)).toEqual([
      'Rollout Started',
      'Rollout Waiting For Window',
      'Rollout Batch Done',
      'Rollout Batch Done',
      'Rollout Batch Done',
      'Rollout Waiting For Window',
      'Rollout Batch Done',
      'Rollout Succeeded',
    ]);
    expect(counts(report, 'Rollout Batch Done')).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
    expect(counts(report, 'Rollout Succeeded')).toEqual([[4, 4]]);
    const [started] = report.events;
    expect(started).toMatchObject({
      source: 'eks-windows-patcher',
      resources: [started?.detail.executionArn],
    });
    expect(started?.detail).toMatchObject({ clusterName: 'prod', nodeGroupName: 'win-a', batchIndex: null });
    expect(
      report.events.filter((e) => e.detailType === 'Rollout Waiting For Window').map((e) => e.detail.until),
    ).toEqual(['2026-11-14T21:00:00.000Z', '2026-11-15T21:00:00.000Z']);
    const ids = report.events.map((event) => event.detail.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(eventsOf(report, 'EventPublished')).toHaveLength(ids.length);
  });

  it('tells a pause and its resume at the batch boundary where the rollout stood', async () => {
    const report = await reportOf('pause-resume');
    expect(sequence(report)).toEqual([
      'Rollout Started',
      'Rollout Batch Done',
      'Rollout Paused',
      'Rollout Resumed',
      'Rollout Batch Done',
      'Rollout Succeeded',
    ]);
    const paused = report.events.find((e) => e.detailType === 'Rollout Paused');
    expect(paused?.detail).toMatchObject({ batchIndex: 1, nodesReplaced: 2, nodesToReplace: 4 });
  });

  it('tells a failed rollout, its rollback, and the execution that puts the canary back', async () => {
    const report = await reportOf('canary-alarm');
    const [rollout, revert] = report.executions ?? [];
    const of = (execution: string | undefined) =>
      report.events
        .filter((e) => String(e.detail.executionArn).endsWith(`:${execution}`))
        .map((e) => e.detailType);
    expect(of(rollout?.name)).toEqual([
      'Rollout Started',
      'Rollout Batch Done',
      'Rollout Failed',
      'Rollout Rolled Back',
    ]);
    expect(of(revert?.name)).toEqual(['Rollout Started', 'Rollout Batch Done', 'Rollout Succeeded']);
    const failed = report.events.find((e) => e.detailType === 'Rollout Failed');
    expect(failed?.detail).toMatchObject({ error: 'AlarmTriggered', nodesReplaced: 1 });
  });

  it('goes on when the bus refuses every event: the events never steer the rollout', async () => {
    const report = await reportOf('events-bus-unavailable');
    expect(report.status).toBe('SUCCEEDED');
    expect(report.events).toEqual([]);
    const refused = eventsOf(report, 'Throttled').filter((e) => e.detail.api === 'events:PutEvents');
    expect(refused.length).toBeGreaterThan(0);
    expect(eventsOf(report, 'Paused', 'Resumed')).toHaveLength(2);
  });

  it('tells an approval request with its deadline', async () => {
    const report = await reportOf('approval-granted');
    const requested = report.events.find((e) => e.detailType === 'Rollout Approval Requested');
    expect(requested?.detail).toMatchObject({ moment: expect.any(String), deadline: expect.any(String) });
    expect(sequence(report).at(-1)).toBe('Rollout Succeeded');
  });
});
