import type { DescribeAlarmsCommandInput, DescribeAlarmsCommandOutput } from '@aws-sdk/client-cloudwatch';
import { AwsApiError } from '../world/errors.ts';
import type { World } from '../world.ts';
import { type Answer, modelledParameters, type Operations } from './operations.ts';

/** CloudWatch DescribeAlarms over the world's metric alarms (no composite alarms are modelled). */
export function cloudWatchOperations(world: World): Operations {
  return {
    DescribeAlarms(input: DescribeAlarmsCommandInput): Answer<DescribeAlarmsCommandOutput> {
      modelledParameters('cloudwatch:DescribeAlarms', input, ['AlarmNames', 'AlarmTypes', 'NextToken']);
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html: at most 100 names.
      if ((input.AlarmNames?.length ?? 0) > 100) {
        throw new AwsApiError(
          'ValidationError',
          'The collection AlarmNames must not have a size greater than 100.',
        );
      }
      // Without AlarmTypes only metric alarms are returned, as the API documents.
      const metric = input.AlarmTypes === undefined || input.AlarmTypes.includes('MetricAlarm');
      const alarms =
        input.AlarmNames === undefined ? world.alarms.all() : world.alarms.named(input.AlarmNames);
      return {
        MetricAlarms: metric
          ? alarms.map((alarm) => ({
              AlarmName: alarm.name,
              AlarmArn: alarm.arn,
              StateValue: alarm.state,
              StateReason: alarm.reason,
              StateUpdatedTimestamp: alarm.updatedAt,
            }))
          : [],
        CompositeAlarms: [],
      };
    },
  };
}
