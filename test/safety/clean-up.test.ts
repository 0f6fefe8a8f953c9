import { describe, expect, it } from 'vitest';
import { expectAllOn, group, noneBroken, safetyDocument, simulateRuns, targetAmi } from './fixture.ts';

/** The group as the scenario starts it: 5 instances on version 1, max 7. */
const before = { launchTemplateVersion: '1', desired: 5, maxSize: 7 };

describe('clean-up after endings that skip the Catch', () => {
  it.each([
    [
      'stopped mid-drain',
      { kind: 'executionStopped', batch: 'first', step: 'drain' },
      'ABORTED',
      'ExecutionAborted',
    ],
    [
      'timed out mid-rollout',
      { kind: 'executionTimedOut', afterSeconds: 200 },
      'TIMED_OUT',
      'ExecutionTimedOut',
    ],
    [
      'timed out mid-drain',
      { kind: 'executionTimedOut', batch: 'first', step: 'drain' },
      'TIMED_OUT',
      'ExecutionTimedOut',
    ],
  ])(
    'an execution %s leaves no cordoned node, no unused replacement, the group as before, and a notification',
    async (_, fault, status, errorName) => {
      const document = safetyDocument();
      document.faults = [fault];
      const { report, groupAtEnd } = await simulateRuns(document);
      expect(report.status).toBe(status);
      expect(report.invariants).toEqual(noneBroken);
      expect(groupAtEnd.live.filter((instance) => instance.cordoned)).toEqual([]);
      const unused = groupAtEnd.live.filter(
        (instance) => instance.launchedByRollout && (!instance.nodeReady || instance.workloadPods === 0),
      );
      expect(unused, 'replacements left without work').toEqual([]);
      expect(groupAtEnd.launchTemplateVersion).toBe(before.launchTemplateVersion);
      expect(groupAtEnd.maxSize).toBe(before.maxSize);
      expect(groupAtEnd.desired).toBe(groupAtEnd.live.length);
      const notice = report.notifications.find((notification) => notification.subject?.includes(errorName));
      expect(notice?.subject).toBe(
        `[FAILED] EKS Windows rollout prod/${group} to ${targetAmi}: ${errorName}`,
      );
      // Replacements that took the drained pods stay (they run the target AMI); the rest is as before.
      const kept = groupAtEnd.live.filter((instance) => instance.launchedByRollout);
      if (kept.length === 0) expect(groupAtEnd.desired).toBe(before.desired);
      else expect(notice?.message).toContain('launch template');
    },
  );
});

describe('an ending after the batches are done', () => {
  it('Finish failing past its retries gives the lock up: the clean-up leaves the finished rollout alone', async () => {
    const document = safetyDocument();
    document.faults = [{ kind: 'throttle', api: 'sns:Publish', times: 12, batch: 'last' }];
    const { report, groupAtEnd } = await simulateRuns(document);
    expect(report.error?.name).toBe('UnexpectedError');
    expect(report.invariants).toEqual(noneBroken);
    expectAllOn(groupAtEnd, targetAmi);
    // The group still launches the target AMI: no rollback of the template after a rollout that finished.
    expect(groupAtEnd.launchTemplateVersion).not.toBe(before.launchTemplateVersion);
    expect(
      report.timeline.some((event) => event.event === 'StateEntered' && event.detail.state === 'ReleaseLock'),
    ).toBe(true);
  });
});
