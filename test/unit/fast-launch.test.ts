import { describe, expect, it } from 'vitest';
import {
  type FastLaunchFacts,
  fastLaunchCheckSeconds,
  fastLaunchVerdict,
  fastLaunchWarnings,
} from '../../functions/domain/fast-launch.ts';

const amiId = 'ami-0ccc0000000000003';
const start = Date.UTC(2026, 10, 10, 18);
const facts = (state: string, targetResourceCount = 5): FastLaunchFacts => ({
  state,
  targetResourceCount,
  stateTransitionReason: undefined,
});
const at = (seconds: number, waitSeconds = 3_600) => ({
  amiId,
  waitSeconds,
  since: start,
  now: start + seconds * 1000,
});
const iso = (seconds: number) => new Date(start + seconds * 1000).toISOString();

describe('fastLaunchVerdict', () => {
  it.each([
    ['not configured', undefined, at(0), false, null],
    ['enabled', facts('enabled'), at(0), false, null],
    [
      'enabling, deadline ahead: look again in a while',
      facts('enabling'),
      at(10),
      true,
      iso(10 + fastLaunchCheckSeconds),
    ],
    [
      'enabling, deadline closer than a look: look at the deadline',
      facts('enabling'),
      at(3_550),
      true,
      iso(3_600),
    ],
    ['enabling, fastLaunchWaitSeconds 0: do not wait', facts('enabling'), at(0, 0), false, null],
    ['enabling-failed: never turns enabled by itself', facts('enabling-failed'), at(0), false, null],
    ['disabling', facts('disabling'), at(0), false, null],
  ])('%s', (_, given, wait, waits, until) => {
    const { verdict, refusal } = fastLaunchVerdict(given, wait);
    expect(refusal).toBeUndefined();
    expect({ wait: verdict.wait, until: verdict.until }).toEqual({ wait: waits, until });
    expect(verdict.state).toBe(given?.state ?? 'none');
  });

  it('looks again on a whole second, never before the deadline (Step Functions truncates milliseconds)', () => {
    const { verdict } = fastLaunchVerdict(facts('enabling'), { ...at(3_599), since: start + 300 });
    expect(verdict.until).toBe(iso(3_601));
  });

  it('refuses at the deadline, naming the AMI and the fixes, before any change', () => {
    const { refusal } = fastLaunchVerdict(facts('enabling'), at(3_600));
    expect(refusal?.name).toBe('FastLaunchNotReady');
    expect(refusal?.message).toContain(`EC2 Fast Launch of AMI ${amiId} is still enabling`);
    expect(refusal?.message).toContain('fastLaunchWaitSeconds to 0');
  });
});

describe('fastLaunchWarnings', () => {
  const verdict = (state: string, targetResourceCount: number | null = 5) => ({
    state,
    targetResourceCount,
    stateTransitionReason: state.endsWith('failed') ? 'Client.InternalError' : null,
    wait: false,
    until: null,
  });
  it.each([
    ['not configured', undefined, 2, 3_600, []],
    ['none', verdict('none', null), 2, 3_600, []],
    ['enough snapshots', verdict('enabled', 2), 2, 3_600, []],
    ['nothing to launch', verdict('enabled', 1), 0, 3_600, []],
    [
      'fewer snapshots than a batch',
      verdict('enabled', 1),
      3,
      3_600,
      [
        /keeps 1 pre-provisioned snapshot, fewer than the 3 replacements a batch launches: at least 2 of them/,
      ],
    ],
    [
      'enabling in a dry run',
      verdict('enabling'),
      2,
      3_600,
      [/still enabling: the rollout waits up to 3600 s/],
    ],
    [
      'enabling, not waited for',
      verdict('enabling'),
      2,
      0,
      [/still enabling and fastLaunchWaitSeconds is 0/],
    ],
    [
      'enabling-failed',
      verdict('enabling-failed'),
      2,
      3_600,
      [/is enabling-failed \(Client.InternalError\): replacements may boot without Fast Launch/],
    ],
  ])('%s', (_, fastLaunch, launches, waitSeconds, expected) => {
    const warnings = fastLaunchWarnings(amiId, fastLaunch, launches, waitSeconds);
    expect(warnings).toHaveLength(expected.length);
    warnings.forEach((warning, index) => {
      expect(warning).toMatch(expected[index] as RegExp);
    });
  });
});
