import * as z from 'zod';
import { describeGroup } from './adapters/autoscaling.ts';
import { describeLaunchTemplateVersions } from './adapters/ec2.ts';
import { readLease, releaseLease } from './adapters/lock-table.ts';
import { resolveNodeGroup } from './adapters/node-group.ts';
import { nodesReplacedSince, notifyFailure, type RollBackDeps, rollBack } from './adapters/roll-back.ts';
import {
  autoScalingClient,
  dynamoDbClient,
  ec2Client,
  eksClient,
  eventBridgeClient,
  snsClient,
} from './commons/clients.ts';
import { requireEnv } from './commons/config.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { RolloutError } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { type RolloutInput, rolloutInputSchema } from './commons/rollout-input.ts';
import { endingError, endingsToCleanUp, templateChange } from './domain/clean-up.ts';
import { originalSizeTag, ownSize } from './domain/group-size.ts';

/** EventBridge's "Step Functions Execution Status Change" event, the fields read here. */
const event = z.object({
  detail: z.object({
    executionArn: z.string(),
    name: z.string(),
    status: z.string(),
    startDate: z.number(),
    input: z.string().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});

export interface CleanUpResult {
  cleanedUp: boolean;
  reason: string;
  actions: string[];
}

const nothing = (reason: string): CleanUpResult => ({ cleanedUp: false, reason, actions: [] });

/**
 * After an execution ends without its own rollback (stopped, timed out, or failed past its Catch),
 * runs the same rollback for its node group and notifies. It acts only while that execution still
 * holds the group's lock: every ending of the workflow itself releases it, so a repeated event, or
 * an execution that rolled back or was refused, changes nothing.
 */
export const makeHandler = (deps: RollBackDeps & Pick<Dependencies, 'eks' | 'dynamoDb' | 'lockTableName'>) =>
  lambdaHandler(
    event,
    async ({ detail }): Promise<CleanUpResult> => {
      if (!(endingsToCleanUp as readonly string[]).includes(detail.status))
        return nothing(`the execution ended ${detail.status}`);
      const parsed = rolloutInputSchema.safeParse(JSON.parse(detail.input ?? 'null'));
      if (!parsed.success) return nothing('the input was refused before the lock was taken');
      const input = parsed.data;
      let groupId: string;
      let managed: boolean;
      try {
        const group = await resolveNodeGroup(
          deps.eks,
          deps.autoScaling,
          deps.ec2,
          input.clusterName,
          input.nodeGroupName,
        );
        groupId = group.arn;
        managed = group.managed !== undefined;
      } catch (error) {
        if (error instanceof RolloutError) return nothing(`no node group to clean up: ${error.message}`);
        throw error;
      }
      const lease = await readLease(deps.dynamoDb, deps.lockTableName, groupId);
      if (lease?.holder !== detail.executionArn)
        return nothing('the execution does not hold the lock: it released it at its own ending');
      const execution = {
        id: detail.executionArn,
        name: detail.name,
        startTime: new Date(detail.startDate).toISOString(),
      };
      const error = endingError(detail.status, detail.name, detail.error, detail.cause);
      if (managed) {
        // EKS owns the group and goes on with an update it started without this execution: it is not ours to undo.
        const actions = await leaveToEks(deps, input, execution, error, lease.before);
        await releaseLease(deps.dynamoDb, deps.lockTableName, groupId, detail.executionArn);
        return { cleanedUp: true, reason: error.name, actions };
      }
      const current = await describeGroup(deps.autoScaling, lease.before.asgName);
      const versions = lease.before.launchTemplateId
        ? await describeLaunchTemplateVersions(deps.ec2, lease.before.launchTemplateId, [
            '$Default',
            '$Latest',
          ])
        : [];
      const undone = await rollBack(deps, {
        input,
        execution,
        // The group's own size: an earlier failed run's surplus does not count (its tag says so).
        before: { ...lease.before, ...ownSize(lease.before, current?.tags[originalSizeTag]) },
        template: templateChange(
          lease.before,
          current?.launchTemplate,
          {
            defaultVersion: versions.find((v) => v.isDefault)?.versionNumber,
            latestVersion:
              versions.length > 0 ? Math.max(...versions.map((v) => v.versionNumber)) : undefined,
          },
          input.amiId,
        ),
        plan: undefined,
      });
      const failure = await notifyFailure(deps, { input, execution, error, undone });
      await releaseLease(deps.dynamoDb, deps.lockTableName, groupId, detail.executionArn);
      return { cleanedUp: true, reason: failure.name, actions: failure.actions };
    },
    { emitsMetrics: true },
  );

/** A managed node group after a stopped rollout: nothing is changed; the operators are told what EKS is doing. */
async function leaveToEks(
  deps: RollBackDeps,
  input: RolloutInput,
  execution: { id: string; name: string; startTime: string },
  error: { name: string; cause: string },
  before: { asgName: string; desired: number },
): Promise<string[]> {
  const actions = [
    `nothing changed on managed node group ${input.nodeGroupName}: an update EKS started goes on without this execution ` +
      `(aws eks list-updates --cluster-name ${input.clusterName} --nodegroup-name ${input.nodeGroupName}); run the rollout again to follow it, ` +
      'or once it ends, update the group to its previous launch template version',
  ];
  const nodesReplaced = await nodesReplacedSince(deps, before, execution);
  await notifyFailure(deps, { input, execution, error, undone: { actions, nodesReplaced } });
  return actions;
}

export const handler = makeHandler({
  ec2: ec2Client(),
  autoScaling: autoScalingClient(),
  eks: eksClient(),
  sns: snsClient(),
  eventBridge: eventBridgeClient(),
  dynamoDb: dynamoDbClient(),
  kubernetes: kubernetesConnector(),
  now: Date.now,
  notificationTopicArn: requireEnv('NOTIFICATION_TOPIC_ARN'),
  lockTableName: requireEnv('LOCK_TABLE_NAME'),
});
