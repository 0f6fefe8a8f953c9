import { describe, expect, it } from 'vitest';
import { rolloutInputSchema } from '../../functions/commons/rollout-input.ts';
import { alarmNameOf, alarmVerdict } from '../../functions/domain/alarms.ts';
import {
  batchWindowVerdict,
  type MaintenanceWindow,
  openings,
  windowVerdict,
} from '../../functions/domain/window.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const weekendNights: MaintenanceWindow = {
  timezone: 'Europe/Berlin',
  days: ['Sat', 'Sun'],
  start: '22:00',
  end: '06:00',
};

describe('maintenance window', () => {
  it.each([
    [
      'Tuesday evening: waits for Saturday 22:00 Berlin',
      '2026-11-10T18:00:00Z',
      3600,
      'wait',
      '2026-11-14T21:00:00.000Z',
    ],
    ['Saturday 23:00 Berlin: open', '2026-11-14T22:00:00Z', 3600, 'open', '2026-11-15T05:00:00.000Z'],
    [
      'Sunday 05:30 Berlin: too late for an hour, waits for Sunday night',
      '2026-11-15T04:30:00Z',
      3600,
      'wait',
      '2026-11-15T21:00:00.000Z',
    ],
    [
      'Sunday 05:30 Berlin: a 20-minute batch still fits',
      '2026-11-15T04:30:00Z',
      1200,
      'open',
      '2026-11-15T05:00:00.000Z',
    ],
    [
      'Monday 02:00 Berlin: the Sunday opening crosses midnight',
      '2026-11-16T01:00:00Z',
      600,
      'open',
      '2026-11-16T05:00:00.000Z',
    ],
  ])('%s', (_, now, seconds, kind, moment) => {
    const verdict = windowVerdict(weekendNights, at(now), seconds);
    expect(verdict.kind).toBe(kind);
    if (verdict.kind === 'wait') expect(iso(verdict.opens)).toBe(moment);
    if (verdict.kind === 'open') expect(iso(verdict.closes)).toBe(moment);
  });

  it('refuses a batch longer than any opening', () => {
    expect(windowVerdict(weekendNights, at('2026-11-10T18:00:00Z'), 9 * 3600)).toEqual({
      kind: 'tooShort',
      longestSeconds: 8 * 3600,
    });
  });

  it('follows daylight saving time: 22:00 Berlin is 20:00 UTC in summer', () => {
    const [first] = openings(weekendNights, at('2026-07-01T00:00:00Z'));
    expect(iso(first?.opens ?? 0)).toBe('2026-07-04T20:00:00.000Z');
  });

  it('closes on the same day when the end is after the start', () => {
    const [first] = openings(
      { timezone: 'UTC', days: ['Wed'], start: '09:00', end: '17:00' },
      at('2026-11-10T18:00:00Z'),
    );
    expect([iso(first?.opens ?? 0), iso(first?.closes ?? 0)]).toEqual([
      '2026-11-11T09:00:00.000Z',
      '2026-11-11T17:00:00.000Z',
    ]);
  });
});

describe('the next batch in the maintenance window, from the batches observed so far', () => {
  // Saturday 23:00 Berlin: the opening closes at Sunday 06:00, 7 hours later.
  const saturday23 = at('2026-11-14T22:00:00Z');
  it.each([
    ['no batch done yet: the plan estimate', 1800, null, 'open', 1800, 'plan'],
    [
      'a batch took longer than planned: the slowest counts',
      1800,
      7 * 3600 + 60,
      'wait',
      7 * 3600 + 60,
      'observed',
    ],
    [
      'a batch took less than planned: the observed duration counts',
      8 * 3600,
      3600,
      'open',
      3600,
      'observed',
    ],
    [
      'batches ran longer than any opening: back to the plan',
      1800,
      9 * 3600,
      'open',
      1800,
      'planObservedTooLong',
    ],
  ] as const)('%s', (_, planSeconds, slowest, kind, expectedSeconds, basis) => {
    const result = batchWindowVerdict(weekendNights, saturday23, planSeconds, slowest);
    expect(result).toMatchObject({ verdict: { kind }, expectedSeconds, basis });
  });

  it('waits for the next opening that holds the slowest batch, not merely the next one', () => {
    const { verdict } = batchWindowVerdict(weekendNights, saturday23, 600, 7 * 3600 + 60);
    expect(verdict.kind === 'wait' && iso(verdict.opens)).toBe('2026-11-15T21:00:00.000Z');
  });
});

describe('alarms', () => {
  const ok = { name: 'web-5xx', state: 'OK', reason: '' };
  it('reads a name out of an alarm ARN', () => {
    expect(alarmNameOf('arn:aws:cloudwatch:eu-central-1:111122223333:alarm:web-5xx')).toBe('web-5xx');
    expect(alarmNameOf('web-5xx')).toBe('web-5xx');
  });

  it.each([
    ['every alarm OK', [ok], { kind: 'ok' }],
    ['INSUFFICIENT_DATA is not a failure', [{ ...ok, state: 'INSUFFICIENT_DATA' }], { kind: 'ok' }],
    [
      'an alarm in ALARM',
      [{ ...ok, state: 'ALARM' }],
      { kind: 'alarm', alarms: [{ ...ok, state: 'ALARM' }] },
    ],
    ['an alarm that does not exist', [], { kind: 'missing', names: ['web-5xx'] }],
  ])('%s', (_, found, verdict) => {
    expect(alarmVerdict(['web-5xx'], found)).toEqual(verdict);
  });
});

describe('rollout control input', () => {
  const base = { clusterName: 'prod', nodeGroupName: 'win-a', amiId: 'ami-0123456789abcdef0' };
  const problems = (extra: Record<string, unknown>) =>
    rolloutInputSchema
      .safeParse({ ...base, ...extra })
      .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

  it('keeps today behaviour by default: no window, canary, bake or alarms', () => {
    const input = rolloutInputSchema.parse(base);
    expect(input).toMatchObject({ bakeSeconds: 0, rollbackOnAlarm: 'replaceNodes' });
    expect(input.alarms).toBeUndefined();
    expect(input.maintenanceWindow).toBeUndefined();
    expect(input.canary).toBeUndefined();
  });

  it.each([
    [
      { maintenanceWindow: { ...weekendNights, timezone: 'Europe/Berlinn' } },
      'maintenanceWindow.timezone: must be an IANA time zone',
    ],
    [
      { maintenanceWindow: { ...weekendNights, days: ['Saturday'] } },
      'maintenanceWindow.days.0: must be one of Sun',
    ],
    [
      { maintenanceWindow: { ...weekendNights, start: '24:00' } },
      'maintenanceWindow.start: must be a 24-hour local time',
    ],
    [
      { maintenanceWindow: { ...weekendNights, end: '22:00' } },
      'maintenanceWindow.end: start and end must differ',
    ],
    [{ canary: { nodes: 0, bakeSeconds: 60 } }, 'canary.nodes: must be at least 1'],
    [{ bakeSeconds: 100_000 }, 'bakeSeconds: must be at most 86400'],
    [{ rollbackOnAlarm: 'nothing' }, 'rollbackOnAlarm: must be "replaceNodes" or "launchTemplateOnly"'],
    [{ approval: 'afterCanary' }, 'approval: afterCanary needs a canary'],
    [{ approval: 'always' }, 'approval: must be "none", "beforeFirstBatch" or "afterCanary"'],
    [{ approvalTimeoutSeconds: 30 }, 'approvalTimeoutSeconds: must be at least 60'],
  ])('refuses %j naming the field', (extra, problem) => {
    expect(problems(extra)?.join('; ')).toContain(problem);
  });
});
