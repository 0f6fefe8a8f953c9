/** A CloudWatch alarm as the rollout sees it. */
export interface AlarmState {
  name: string;
  /** `OK`, `ALARM` or `INSUFFICIENT_DATA`. */
  state: string;
  reason: string;
}

export type AlarmVerdict =
  | { kind: 'ok' }
  | { kind: 'alarm'; alarms: AlarmState[] }
  | { kind: 'missing'; names: string[] };

/** The alarm name of a name or an alarm ARN (`arn:aws:cloudwatch:<region>:<account>:alarm:<name>`). */
export const alarmNameOf = (nameOrArn: string): string =>
  /^arn:aws[a-z-]*:cloudwatch:[^:]*:\d{12}:alarm:(.+)$/.exec(nameOrArn)?.[1] ?? nameOrArn;

/**
 * Only ALARM stops a rollout, as an Auto Scaling instance refresh's alarm rollback does:
 * INSUFFICIENT_DATA is a quiet metric, not a failing one. An alarm that does not exist is an error:
 * watching nothing must not pass for healthy.
 */
export function alarmVerdict(requested: readonly string[], found: readonly AlarmState[]): AlarmVerdict {
  const byName = new Map(found.map((alarm) => [alarm.name, alarm]));
  const names = requested.map(alarmNameOf);
  const missing = names.filter((name) => !byName.has(name));
  if (missing.length > 0) return { kind: 'missing', names: missing };
  const alarms = names.flatMap((name) => {
    const alarm = byName.get(name);
    return alarm?.state === 'ALARM' ? [alarm] : [];
  });
  return alarms.length > 0 ? { kind: 'alarm', alarms } : { kind: 'ok' };
}
