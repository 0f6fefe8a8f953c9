/** Virtual time for the world: what time it is, and run something later. */
export interface Scheduler {
  /** Milliseconds since the epoch. */
  now(): number;
  after(seconds: number, action: () => void): void;
}

/** 2026-11-10T18:00:00Z, a Patch Tuesday evening: the simulated moment a run starts at unless its `clock.start` says otherwise. */
export const simulationStart = Date.UTC(2026, 10, 10, 18, 0, 0);

/** The subset of a @sinonjs/fake-timers clock the world schedules on. */
export interface TimerClock {
  now: number;
  setTimeout(action: () => void, milliseconds: number): unknown;
}

export function schedulerOf(clock: TimerClock): Scheduler {
  return {
    now: () => clock.now,
    after: (seconds, action) => {
      clock.setTimeout(action, Math.round(seconds * 1000));
    },
  };
}
