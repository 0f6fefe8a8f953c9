import { describe, expect, it } from 'vitest';
import type { SimulationReport } from '../../simulator/runner.ts';
import { named } from '../simulator/world-fixture.ts';
import {
  expectAllOn,
  group,
  noneBroken,
  rolloutInput,
  safetyDocument,
  simulateRuns,
  targetAmi,
} from './fixture.ts';

/** The Task states an execution entered, in order. */
const statesOf = (report: SimulationReport, execution: string | undefined) =>
  report.timeline
    .filter((event) => event.event === 'StateEntered' && event.detail.execution === execution)
    .map((event) => event.detail.state);

/** A refusal before any change: validated, lock refused, operators told; no other step ran. */
const refusedAtTheLock = ['ValidateInput', 'AcquireLock', 'RefuseRollout'];

async function twoRollouts(second: Record<string, unknown>) {
  const document = safetyDocument();
  document.moreExecutions = [{ input: rolloutInput(), ...second }];
  return simulateRuns(document);
}

describe('one rollout per node group', () => {
  it.each([
    ['started together', 0],
    ['started 3 seconds apart', 3],
    ['started 10 minutes apart', 600],
  ])(
    'two rollouts of the same group %s: one proceeds, the other is refused before any change',
    async (_, delay) => {
      const { report, executions, groupAtEnd } = await twoRollouts({
        start: 'withPrevious',
        delaySeconds: delay,
      });
      const succeeded = executions.filter((execution) => execution.status === 'SUCCEEDED');
      const refused = executions.filter((execution) => execution.error?.name === 'RolloutInProgress');
      expect(succeeded).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0]?.error?.cause).toContain(`is already rolling node group ${group} of cluster prod`);
      expect(refused[0]?.error?.cause).toContain(succeeded[0]?.name);
      expect(refused[0]?.error?.cause).toContain('stop it in the Step Functions console');
      expect(statesOf(report, refused[0]?.name)).toEqual(refusedAtTheLock);
      expect(report.timeline.filter((event) => event.event === 'LaunchTemplateVersionCreated')).toHaveLength(
        1,
      );
      expect(report.invariants).toEqual(noneBroken);
      expectAllOn(groupAtEnd, targetAmi);
    },
  );

  it('rollouts of two different node groups run side by side', async () => {
    const document = safetyDocument();
    document.nodeGroups.push({ ...document.nodeGroups[0], name: 'win-b', instances: 3, minSize: 2 });
    document.moreExecutions = [
      { input: rolloutInput({ nodeGroupName: 'win-b' }), start: 'withPrevious', delaySeconds: 0 },
    ];
    const { report, executions } = await simulateRuns(document);
    expect(executions.map((execution) => execution.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(report.invariants).toEqual(noneBroken);
    const running = report.instances.filter((instance) => instance.state === 'running');
    for (const name of [group, 'win-b']) {
      const ofGroup = running.filter((instance) => instance.nodeGroup === name);
      expect(ofGroup.map((instance) => instance.amiId)).toEqual(ofGroup.map(() => targetAmi));
    }
  });

  it('two rollouts under one PDB whose pods start slowly: a drain refused by the other rollout is retried when the PDB allows it', async () => {
    // Each drain lists only its batch's pods: a refusal caused by the other rollout's disruption is
    // forecast from the pods of the refused pod's controller, else the drain polls and loses each
    // disruption the PDB allows to the drain that knows when it comes (DrainTimeout).
    // One batch ahead: each rollout waits for its next replacements between batches, which leaves
    // the other its turn. With replacements already Ready (the default, three ahead), the rollout whose
    // evictions come first takes every disruption the PDB allows and the other's drain, waiting for
    // the Deployment to be whole again, times out (docs/operating.md, surgeBatches).
    const document = safetyDocument();
    named(document.workloads, 'web').startupSeconds = 320;
    document.nodeGroups.push({ ...document.nodeGroups[0], name: 'win-b', instances: 3, minSize: 2 });
    document.execution = { input: rolloutInput({ surgeBatches: 1 }) };
    document.moreExecutions = [
      {
        input: rolloutInput({ nodeGroupName: 'win-b', surgeBatches: 1 }),
        start: 'withPrevious',
        delaySeconds: 0,
      },
    ];
    const { report, executions } = await simulateRuns(document);
    expect(executions.map((execution) => execution.error?.name ?? execution.status)).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
    expect(report.invariants).toEqual(noneBroken);
  });
});

describe('one lock per group, however it is named, and whatever ListExecutions shows', () => {
  it('refuses a second rollout naming the group by its Auto Scaling group while the first named it by its eksctl name', async () => {
    const document = safetyDocument();
    const asgName = 'eksctl-prod-nodegroup-win-a-NodeGroup-1AB2C3';
    Object.assign(document.nodeGroups[0] ?? {}, { asgName });
    document.moreExecutions = [
      { input: rolloutInput({ nodeGroupName: asgName }), start: 'withPrevious', delaySeconds: 2 },
    ];
    const { report, executions, groupAtEnd } = await simulateRuns(document);
    expect(executions.map((execution) => execution.status)).toEqual(['SUCCEEDED', 'FAILED']);
    expect(executions[1]?.error?.name).toBe('RolloutInProgress');
    expect(executions[1]?.error?.cause).toContain(`Execution ${executions[0]?.name}`);
    expect(statesOf(report, executions[1]?.name)).toEqual(refusedAtTheLock);
    expect(report.invariants).toEqual(noneBroken);
    expect(groupAtEnd.desired).toBe(5);
    expect(groupAtEnd.maxSize).toBe(7);
    expectAllOn(groupAtEnd, targetAmi);
  });

  it('refuses a second rollout started 2 s after the first while ListExecutions lags 10 s', async () => {
    const document = safetyDocument();
    document.faults = [{ kind: 'listExecutionsLag', seconds: 10 }];
    document.moreExecutions = [{ input: rolloutInput(), start: 'withPrevious', delaySeconds: 2 }];
    const { report, executions, groupAtEnd } = await simulateRuns(document);
    expect(executions.map((execution) => execution.error?.name ?? execution.status)).toEqual([
      'SUCCEEDED',
      'RolloutInProgress',
    ]);
    expect(report.invariants).toEqual(noneBroken);
    expectAllOn(groupAtEnd, targetAmi);
  });
});

describe('a stopped execution is cleaned up and releases its lock', () => {
  it.each([
    // Started at once, the next execution meets the lock before the clean-up's event arrives: it waits.
    ['right away', 0, 2],
    ['an hour later', 3600, 0],
  ])(
    'a rollout stopped mid-batch is rolled back by the clean-up; the next one started %s completes',
    async (_, delay, cordonedAtNextStart) => {
      const document = safetyDocument();
      document.faults = [{ kind: 'executionStopped', batch: 'first', step: 'cordon' }];
      document.moreExecutions = [{ input: rolloutInput(), start: 'afterPrevious', delaySeconds: delay }];
      const { report, executions, groupAtStart, groupAtEnd } = await simulateRuns(document);
      const [stopped, next] = executions;
      expect(stopped?.status).toBe('ABORTED');
      expect(groupAtStart[0]?.live.filter((instance) => instance.cordoned)).toHaveLength(cordonedAtNextStart);
      expect(report.notifications.map((notification) => notification.subject)).toContain(
        `[FAILED] EKS Windows rollout prod/${group} to ${targetAmi}: ExecutionAborted`,
      );
      expect(next?.status).toBe('SUCCEEDED');
      expect(statesOf(report, next?.name)).toContain('PrepareLaunchTemplate');
      expect(report.invariants).toEqual(noneBroken);
      expectAllOn(groupAtEnd, targetAmi);
    },
  );

  it('an execution started while another is stopping waits for its clean-up, then proceeds', async () => {
    const document = safetyDocument();
    document.faults = [{ kind: 'executionStopped', afterSeconds: 30 }];
    document.moreExecutions = [{ input: rolloutInput(), start: 'withPrevious', delaySeconds: 30 }];
    const { executions, groupAtEnd, report } = await simulateRuns(document);
    expect(executions.map((execution) => execution.status)).toEqual(['ABORTED', 'SUCCEEDED']);
    expect(report.invariants).toEqual(noneBroken);
    expectAllOn(groupAtEnd, targetAmi);
  });
});

describe('the lease outlasts every wait for a maintenance window', () => {
  // Started on a Tuesday 18:00 UTC; the window opens on Saturday and Sunday nights only.
  const weekendNights = { timezone: 'Europe/Berlin', days: ['Sat', 'Sun'], start: '22:00', end: '22:30' };

  it.each([
    ['on Wednesday, while the first waits for its first window', 86_400],
    ['on Sunday noon, while the first waits for its next batch window', 410_400],
  ])('a second rollout of the group started %s is refused', async (_, delay) => {
    const document = safetyDocument();
    document.execution = { input: rolloutInput({ maintenanceWindow: weekendNights }) };
    document.moreExecutions = [
      {
        input: rolloutInput({ maintenanceWindow: weekendNights }),
        start: 'withPrevious',
        delaySeconds: delay,
      },
    ];
    const { report, executions, groupAtEnd } = await simulateRuns(document);
    expect(executions.map((execution) => execution.error?.name ?? execution.status)).toEqual([
      'SUCCEEDED',
      'RolloutInProgress',
    ]);
    expect(statesOf(report, executions[1]?.name)).toEqual(refusedAtTheLock);
    expect(report.invariants).toEqual(noneBroken);
    expectAllOn(groupAtEnd, targetAmi);
  });
});
