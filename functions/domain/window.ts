/** Days as the input names them; the index is JavaScript's `getUTCDay()`. */
export const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
export type Weekday = (typeof weekdays)[number];

/** A recurring maintenance window in local time: it opens on each of `days` at `start` and closes at `end`. */
export interface MaintenanceWindow {
  timezone: string;
  days: readonly Weekday[];
  /** `HH:MM`, 24-hour. */
  start: string;
  /** `HH:MM`; at or before `start`, the window closes on the next day. */
  end: string;
}

/** One opening of the window, in epoch milliseconds. */
export interface Opening {
  opens: number;
  closes: number;
}

export type WindowVerdict =
  | { kind: 'open'; closes: number }
  | { kind: 'wait'; opens: number; closes: number }
  /** No opening is long enough for a batch: waiting would never end. */
  | { kind: 'tooShort'; longestSeconds: number };

const dayMs = 86_400_000;

/** The wall-clock fields of an instant in a time zone. */
function wallClock(at: number, timeZone: string): { year: number; month: number; day: number; ms: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(at);
  const field = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return {
    year: field('year'),
    month: field('month') - 1,
    day: field('day'),
    ms: ((field('hour') * 60 + field('minute')) * 60 + field('second')) * 1000,
  };
}

/** Milliseconds the zone is ahead of UTC at an instant (whole seconds; zones have no finer offsets today). */
function offsetAt(at: number, timeZone: string): number {
  const wall = wallClock(at, timeZone);
  return Date.UTC(wall.year, wall.month, wall.day) + wall.ms - Math.floor(at / 1000) * 1000;
}

/**
 * The instant of a local date and time. Two passes settle daylight saving changes; a time that a
 * spring-forward change skips moves forward by the change (02:30 becomes 03:30).
 */
function instantOf(year: number, month: number, day: number, minutes: number, timeZone: string): number {
  const asUtc = Date.UTC(year, month, day) + minutes * 60_000;
  const first = asUtc - offsetAt(asUtc, timeZone);
  return asUtc - offsetAt(first, timeZone);
}

const minutesOf = (time: string): number => {
  const [hours = 0, minutes = 0] = time.split(':').map(Number);
  return hours * 60 + minutes;
};

/** The window's openings that overlap [from, from + days), in order. */
export function openings(window: MaintenanceWindow, from: number, days = 15): Opening[] {
  const today = wallClock(from, window.timezone);
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  const result: Opening[] = [];
  // From yesterday: an opening that began yesterday may still be open (it crosses midnight).
  for (let offset = -1; offset < days; offset++) {
    const date = new Date(Date.UTC(today.year, today.month, today.day) + offset * dayMs);
    const weekday = weekdays[date.getUTCDay()];
    if (weekday === undefined || !window.days.includes(weekday)) continue;
    const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()];
    const opens = instantOf(y, m, d, start, window.timezone);
    const closes = instantOf(y, m, d + (end <= start ? 1 : 0), end, window.timezone);
    if (closes > from) result.push({ opens, closes });
  }
  return result;
}

/**
 * May a batch expected to take `expectedSeconds` start at `now`? Only if it is expected to finish
 * before the current opening closes; otherwise at the next opening long enough to hold it.
 */
export function windowVerdict(
  window: MaintenanceWindow,
  now: number,
  expectedSeconds: number,
): WindowVerdict {
  const expectedMs = expectedSeconds * 1000;
  const ahead = openings(window, now);
  const fits = ahead.filter((o) => o.closes - Math.max(o.opens, now) >= expectedMs);
  const current = fits.find((o) => o.opens <= now);
  if (current) return { kind: 'open', closes: current.closes };
  const next = fits.find((o) => o.opens > now);
  if (next) return { kind: 'wait', opens: next.opens, closes: next.closes };
  const longest = Math.max(0, ...ahead.map((o) => o.closes - o.opens));
  return { kind: 'tooShort', longestSeconds: Math.round(longest / 1000) };
}

/** What the expected duration of the next batch rests on. */
export type EstimateBasis = 'observed' | 'plan' | 'planObservedTooLong';

/**
 * May the next batch start at `now`, and how long is it expected to take? Once a batch of this
 * rollout is done, as long as the slowest batch so far (a batch is never cut short, so the window
 * must hold the slowest); before that, the plan's estimate. Batches that ran longer than any opening
 * fall back to the plan's estimate: waiting for an opening that can hold them would never end.
 */
export function batchWindowVerdict(
  window: MaintenanceWindow,
  now: number,
  planSeconds: number,
  slowestObservedSeconds: number | null,
): { verdict: WindowVerdict; expectedSeconds: number; basis: EstimateBasis } {
  if (slowestObservedSeconds !== null) {
    const verdict = windowVerdict(window, now, slowestObservedSeconds);
    if (verdict.kind !== 'tooShort')
      return { verdict, expectedSeconds: slowestObservedSeconds, basis: 'observed' };
  }
  return {
    verdict: windowVerdict(window, now, planSeconds),
    expectedSeconds: planSeconds,
    basis: slowestObservedSeconds === null ? 'plan' : 'planObservedTooLong',
  };
}
