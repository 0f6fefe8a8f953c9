import { account, region } from './catalog.ts';
import type { Scheduler } from './clock.ts';
import type { Timeline } from './timeline.ts';

export interface AlarmSpec {
  name: string;
  /** Seconds after the start when the alarm goes to ALARM; null: never. */
  alarmAfterSeconds: number | null;
  /** Seconds after the start when it is back to OK; null: it stays in ALARM. */
  okAfterSeconds: number | null;
}

export interface AlarmRecord {
  name: string;
  arn: string;
  state: 'OK' | 'ALARM';
  reason: string;
  updatedAt: Date;
}

/**
 * The account's CloudWatch metric alarms, each OK until its `alarmAfterSeconds` and OK again at
 * `okAfterSeconds`, as a metric breaching and recovering would move them. Each move to ALARM is on
 * the timeline (`AlarmTriggered`, with the wall-clock time).
 */
export class Alarms {
  private readonly records = new Map<string, AlarmRecord>();

  constructor(specs: readonly AlarmSpec[], scheduler: Scheduler, timeline: Timeline) {
    for (const spec of specs) {
      const record: AlarmRecord = {
        name: spec.name,
        arn: `arn:aws:cloudwatch:${region}:${account}:alarm:${spec.name}`,
        state: 'OK',
        reason: 'Threshold Crossed: no datapoint was greater than the threshold.',
        updatedAt: new Date(scheduler.now()),
      };
      this.records.set(spec.name, record);
      const move = (state: AlarmRecord['state'], reason: string) => {
        Object.assign(record, { state, reason, updatedAt: new Date(scheduler.now()) });
        timeline.record(state === 'ALARM' ? 'AlarmTriggered' : 'AlarmOk', {
          alarm: spec.name,
          at: record.updatedAt.toISOString(),
        });
      };
      if (spec.alarmAfterSeconds !== null) {
        scheduler.after(spec.alarmAfterSeconds, () =>
          move('ALARM', 'Threshold Crossed: 1 datapoint was greater than the threshold.'),
        );
      }
      if (spec.okAfterSeconds !== null) {
        scheduler.after(spec.okAfterSeconds, () =>
          move('OK', 'Threshold Crossed: no datapoint was greater than the threshold.'),
        );
      }
    }
  }

  /** The alarms of these names that exist, in the order asked. */
  named(names: readonly string[]): AlarmRecord[] {
    return names.flatMap((name) => this.records.get(name) ?? []);
  }

  all(): AlarmRecord[] {
    return [...this.records.values()];
  }
}
