import { describe, expect, it } from 'vitest';
import { fastLaunchCheckSeconds } from '../../functions/domain/fast-launch.ts';
import { renderReportHtml } from '../../report/html.ts';
import { timelineFromSimulation } from '../../report/timeline.ts';
import { type SimulationReport, simulate } from '../../simulator/runner.ts';
import { loadScenario } from '../../simulator/scenario.ts';
import { changeEvents, eventsOf, scenarioReport } from './world-fixture.ts';

const reportOf = scenarioReport;
const changes = changeEvents;
const warningsOf = (report: SimulationReport) =>
  eventsOf(report, 'RolloutPlanned').flatMap(
    (event) => (event.detail.plan as { warnings: string[] }).warnings,
  );
/** Seconds from each target-AMI launch to its node Ready. */
function bootTimes(report: SimulationReport): number[] {
  const ready = new Map(eventsOf(report, 'NodeReady').map((event) => [event.detail.instanceId, event.t]));
  return eventsOf(report, 'InstanceLaunched').map(
    (event) => (ready.get(event.detail.instanceId) ?? Infinity) - event.t,
  );
}

describe('EC2 Fast Launch, run on the real state machine and handlers', () => {
  it('waits for an enabling Fast Launch before any change, then every replacement boots from a snapshot', async () => {
    const report = await reportOf('fast-launch-enabling');
    const [enabled] = eventsOf(report, 'FastLaunchEnabled');
    const waits = eventsOf(report, 'WaitingForFastLaunch');
    expect(enabled?.t).toBe(900);
    expect(waits.length).toBeGreaterThan(1);
    expect(waits.every((wait) => wait.t < (enabled?.t ?? 0))).toBe(true);
    const firstChange = eventsOf(report, ...changes)[0];
    expect(firstChange?.t).toBeGreaterThan(enabled?.t ?? Infinity);
    // It notices within one look (and the handlers' own seconds).
    expect(firstChange?.t).toBeLessThan((enabled?.t ?? 0) + fastLaunchCheckSeconds + 120);
    expect(eventsOf(report, 'FastLaunchSnapshotUsed')).toHaveLength(4);
    // 35% of the 420 s boot.
    for (const seconds of bootTimes(report)) expect(seconds).toBeCloseTo(147, 0);
    expect(warningsOf(report)).toEqual([]);
  });

  it('draws the wait on the report as a band of its own', async () => {
    const timeline = timelineFromSimulation(await reportOf('fast-launch-enabling'));
    const bands = timeline.controls.filter((band) => band.kind === 'fastLaunch');
    expect(bands.length).toBeGreaterThan(0);
    expect(Math.min(...bands.map((band) => band.start))).toBeLessThan(5);
    expect(Math.max(...bands.map((band) => band.end))).toBeGreaterThanOrEqual(900);
    expect(renderReportHtml(timeline)).toContain('Waiting for the AMI&#39;s Fast Launch');
  });

  it('refuses with FastLaunchNotReady at fastLaunchWaitSeconds, having changed nothing', async () => {
    const report = await reportOf('fast-launch-not-ready');
    expect(report.error?.name).toBe('FastLaunchNotReady');
    expect(report.simulatedSeconds).toBeLessThan(600 + 60);
    expect(eventsOf(report, ...changes)).toEqual([]);
    expect(report.notifications.at(-1)?.subject).toContain('FastLaunchNotReady');
  });

  it('warns in the plan and the notification when a batch launches more than the snapshots kept', async () => {
    const report = await reportOf('fast-launch-few-snapshots');
    const warning =
      'EC2 Fast Launch of AMI ami-0ccc0000000000003 keeps 1 pre-provisioned snapshot, fewer than the 2 replacements a batch launches';
    expect(warningsOf(report).filter((text) => text.startsWith(warning))).toHaveLength(1);
    expect(report.notifications.at(-1)?.message).toContain(warning);
    // One launch found the snapshot; the other three boot the slow way (the snapshot is replenished after 900 s).
    expect(eventsOf(report, 'FastLaunchSnapshotUsed')).toHaveLength(1);
    expect(eventsOf(report, 'FastLaunchMissed')).toHaveLength(3);
    expect(bootTimes(report).sort((a, b) => a - b)).toEqual([147, 420, 420, 420]);
  });

  it('a dry run does not wait: its plan says the rollout would', async () => {
    const scenario = await loadScenario(new URL('./scenarios/fast-launch-enabling.json', import.meta.url));
    const report = await simulate({
      ...scenario,
      execution: { input: { ...(scenario.execution.input as Record<string, unknown>), dryRun: true } },
    });
    expect(report.status).toBe('SUCCEEDED');
    expect(eventsOf(report, 'WaitingForFastLaunch')).toEqual([]);
    const { plan } = report.output as { plan: { warnings: string[] } };
    expect(plan.warnings).toContainEqual(
      'EC2 Fast Launch of AMI ami-0ccc0000000000003 is still enabling: the rollout waits up to 3600 s (fastLaunchWaitSeconds) for it to be enabled before any change',
    );
  });
});
