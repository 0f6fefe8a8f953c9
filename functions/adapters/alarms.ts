import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { AlarmNotFound, AlarmTriggered } from '../commons/errors.ts';
import { type AlarmState, alarmNameOf, alarmVerdict } from '../domain/alarms.ts';

/** The current state of the named alarms, metric and composite (DescribeAlarms returns only metric alarms by default). */
export async function describeAlarms(
  client: CloudWatchClient,
  names: readonly string[],
): Promise<AlarmState[]> {
  const found: AlarmState[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new DescribeAlarmsCommand({
        AlarmNames: [...new Set(names.map(alarmNameOf))],
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        NextToken: nextToken,
      }),
    );
    for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
      found.push({
        name: alarm.AlarmName ?? '',
        state: alarm.StateValue ?? 'INSUFFICIENT_DATA',
        reason: alarm.StateReason ?? '',
      });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return found;
}

/**
 * Throws AlarmTriggered when one of `names` is in ALARM, AlarmNotFound when one does not exist;
 * `where` says what the rollout was about to do (or doing), for the operator.
 */
export async function requireNoAlarm(
  client: CloudWatchClient,
  names: readonly string[],
  where: string,
  stopped = 'the rollout stopped',
): Promise<void> {
  if (names.length === 0) return;
  const verdict = alarmVerdict(names, await describeAlarms(client, names));
  if (verdict.kind === 'missing') {
    throw new AlarmNotFound(
      `CloudWatch alarm ${verdict.names.join(', ')} does not exist in this account and region (${where}): ` +
        'fix the name in the input `alarms`, or create the alarm, and start the rollout again.',
    );
  }
  if (verdict.kind === 'alarm') {
    const named = verdict.alarms.map((alarm) => `${alarm.name} (${alarm.reason || 'no reason given'})`);
    throw new AlarmTriggered(
      `CloudWatch alarm ${named.join(', ')} is in ALARM ${where}: ${stopped}. ` +
        'Find the cause before starting it again.',
    );
  }
}
