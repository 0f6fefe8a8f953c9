import type { Scheduler } from './clock.ts';

export interface TimelineEvent {
  /** Seconds since the simulation started. */
  t: number;
  event: string;
  detail: Record<string, unknown>;
}

/** What happened and when, in order; listeners see each event as it is recorded. */
export class Timeline {
  readonly events: TimelineEvent[] = [];
  private readonly listeners: ((event: TimelineEvent) => void)[] = [];
  private readonly startedAt: number;

  constructor(private readonly scheduler: Scheduler) {
    this.startedAt = scheduler.now();
  }

  /** Seconds since the start, to a tenth. */
  elapsedSeconds(): number {
    return Math.round((this.scheduler.now() - this.startedAt) / 100) / 10;
  }

  record(event: string, detail: Record<string, unknown> = {}): void {
    const entry = { t: this.elapsedSeconds(), event, detail };
    this.events.push(entry);
    for (const listener of this.listeners) listener(entry);
  }

  subscribe(listener: (event: TimelineEvent) => void): void {
    this.listeners.push(listener);
  }
}
