import * as z from 'zod';
import { describeLaunchTemplateVersions } from './adapters/ec2.ts';
import { extendLease, putLease, readLease, releaseLease } from './adapters/lock-table.ts';
import { resolveNodeGroup } from './adapters/node-group.ts';
import { executionStatus } from './adapters/running-rollouts.ts';
import { autoScalingClient, dynamoDbClient, ec2Client, eksClient, sfnClient } from './commons/clients.ts';
import { requireEnv } from './commons/config.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { LockReleasePending, RolloutInProgress } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { executionSchema, lockSchema } from './commons/state.ts';
import { referenceFormOf } from './domain/launch-template.ts';
import { isLive, type Lease, leaseSeconds, lockRefusal, siblingExecutionArn } from './domain/lock.ts';

const event = z.object({
  input: rolloutInputSchema,
  execution: executionSchema,
  lock: lockSchema.optional(),
  /** The execution is about to wait until this moment (a maintenance window): the lease outlasts it. */
  until: z.iso.datetime({ offset: true }).nullish(),
  /** Give the lock up (an ending that neither Finish nor Rollback completed). */
  release: z.literal(true).optional(),
});

type Deps = Pick<Dependencies, 'sfn' | 'eks' | 'autoScaling' | 'ec2' | 'dynamoDb' | 'lockTableName' | 'now'>;

/** Refuses with the holder named; a holder that has ended gets a short grace for its clean-up (retried). */
async function refuse(deps: Deps, lease: Lease, target: z.output<typeof rolloutInputSchema>): Promise<never> {
  const refusal = lockRefusal(lease, await executionStatus(deps.sfn, lease.holder), target);
  throw refusal.kind === 'inProgress'
    ? new RolloutInProgress(refusal.message)
    : new LockReleasePending(refusal.message);
}

/**
 * One rollout per node group: a lease in DynamoDB keyed by the group's ARN, so the group named by its
 * Auto Scaling group or by its eksctl name is one lock. Taken before any change (with the group as it
 * was, for the clean-up), renewed as each batch starts and before each wait for a window, to outlast
 * it (`lock` given, `until`), handed over to the execution that continues this one, released at every
 * ending (`release`: when Finish failed past its retries). A dry run only checks.
 */
export const makeHandler = (deps: Deps) =>
  lambdaHandler(event, async ({ input, execution, lock, until, release }) => {
    if (release) {
      if (lock) await releaseLease(deps.dynamoDb, deps.lockTableName, lock.groupId, execution.id);
      return { groupId: lock?.groupId ?? '', expiresAt: deps.now() };
    }
    const now = deps.now();
    const waitsUntil = until ? Math.max(now, Date.parse(until)) : now;
    const expiresAt = waitsUntil + leaseSeconds(input) * 1000;
    const self = { holder: execution.id, holderName: execution.name, expiresAt };
    if (lock) {
      if (
        await extendLease(deps.dynamoDb, deps.lockTableName, { groupId: lock.groupId, ...self }, execution.id)
      )
        return { groupId: lock.groupId, expiresAt };
      const lease = await readLease(deps.dynamoDb, deps.lockTableName, lock.groupId);
      throw new RolloutInProgress(
        `The lock on node group ${input.nodeGroupName} of cluster ${input.clusterName} expired and is now held by ` +
          `${lease ? `execution ${lease.holderName}` : 'nobody'}: this execution stops here; run the rollout again once that one ends.`,
      );
    }
    const group = await resolveNodeGroup(
      deps.eks,
      deps.autoScaling,
      deps.ec2,
      input.clusterName,
      input.nodeGroupName,
    );
    const groupId = group.arn;
    const template = group.launchTemplate;
    // `$Latest`/`$Default` move as the rollout works: the number they stand for now is what a clean-up restores.
    const [resolved] =
      template && referenceFormOf(template.version) !== 'number'
        ? await describeLaunchTemplateVersions(deps.ec2, template.id, [template.version])
        : [];
    const before = {
      asgName: group.asgName,
      launchTemplateId: template?.id ?? '',
      launchTemplateVersion: template?.version ?? '',
      ...(resolved ? { launchTemplateResolvedVersion: resolved.versionNumber } : {}),
      minSize: group.minSize,
      maxSize: group.maxSize,
      desired: group.desired,
      suspendedProcesses: group.suspendedProcesses,
    };
    if (input.dryRun) {
      const lease = await readLease(deps.dynamoDb, deps.lockTableName, groupId);
      if (lease && isLive(lease, now) && lease.holder !== execution.id) await refuse(deps, lease, input);
      return { groupId, expiresAt: now };
    }
    const parent = input.continuedFrom
      ? siblingExecutionArn(execution.id, input.continuedFrom)
      : execution.id;
    // The continued execution's lease first (it keeps the group's state from before), then a new one,
    // then our own (a retry of this step after a lost response).
    const acquired =
      (input.continuedFrom !== undefined &&
        (await extendLease(deps.dynamoDb, deps.lockTableName, { groupId, ...self }, parent))) ||
      (await putLease(
        deps.dynamoDb,
        deps.lockTableName,
        { groupId, ...self, acquiredAt: now, before },
        now,
      )) ||
      (await extendLease(deps.dynamoDb, deps.lockTableName, { groupId, ...self }, execution.id));
    if (acquired) return { groupId, expiresAt };
    const lease = await readLease(deps.dynamoDb, deps.lockTableName, groupId);
    if (lease === undefined) {
      throw new LockReleasePending(
        `The lock on node group ${input.nodeGroupName} of cluster ${input.clusterName} was released while this execution asked for it: asking again.`,
      );
    }
    return refuse(deps, lease, input);
  });

export const handler = makeHandler({
  sfn: sfnClient(),
  eks: eksClient(),
  autoScaling: autoScalingClient(),
  ec2: ec2Client(),
  dynamoDb: dynamoDbClient(),
  lockTableName: requireEnv('LOCK_TABLE_NAME'),
  now: Date.now,
});
