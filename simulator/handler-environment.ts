import { promotionStateMachineArn, stateMachineArn } from './stepfunctions.ts';
import { account, lockTable, region } from './world/catalog.ts';

export { lockTable };

/**
 * The environment the functions read at cold start. Powertools reads its settings when its
 * singletons are built, at the first import of `functions/`, so this module is imported first.
 */
export const notificationTopicArn = `arn:aws:sns:${region}:${account}:eks-windows-patcher-notifications`;

Object.assign(process.env, {
  AWS_REGION: region,
  NOTIFICATION_TOPIC_ARN: notificationTopicArn,
  STATE_MACHINE_ARN: stateMachineArn,
  PROMOTION_STATE_MACHINE_ARN: promotionStateMachineArn,
  LOCK_TABLE_NAME: lockTable.name,
  // Read only by the modules' production handlers; the simulator builds its own with makeHandler.
  CLUSTER_NAMES: 'simulated',
});
// Quiet unless asked otherwise: Lambda logs and EMF metrics would mix with the report on stdout.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
