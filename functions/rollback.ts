import * as z from 'zod';
import { describeGroup, recentActivities, resumeAfterRollout } from './adapters/autoscaling.ts';
import { startExecutions } from './adapters/executions.ts';
import type { KubernetesPort } from './adapters/kubernetes/port.ts';
import { extendLease, releaseLease } from './adapters/lock-table.ts';
import { rollBackManagedGroup } from './adapters/managed-rollback.ts';
import { type Failure, notifyFailure, rollBack, type Undone } from './adapters/roll-back.ts';
import { stateMachineArnOf } from './adapters/running-rollouts.ts';
import {
  autoScalingClient,
  dynamoDbClient,
  ec2Client,
  eksClient,
  eventBridgeClient,
  sfnClient,
  snsClient,
} from './commons/clients.ts';
import { requireEnv } from './commons/config.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { type RolloutInput, rolloutInputSchema } from './commons/rollout-input.ts';
import {
  executionSchema,
  lockSchema,
  planSchema,
  type RolloutGroup,
  rolloutGroupSchema,
  verifiedSchema,
} from './commons/state.ts';
import { revertName } from './domain/continuation.ts';
import { leaseSeconds } from './domain/lock.ts';
import { managedUpdateDeadline, nodesAtOnce } from './domain/managed.ts';
import { caughtError, executionError } from './domain/notification.ts';
import { resumeOutcome } from './domain/processes.ts';
import { launchFailure } from './domain/replacements.ts';

/** The rollback's wait for the launches that even the zones, before it resumes AZRebalance. */
const zonesSchema = z.object({
  /** Seconds until the next look. */
  seconds: z.int().min(1),
  /** Milliseconds since the epoch: past it, AZRebalance stays suspended for the next run. */
  deadline: z.number(),
  /** When the launches were asked for (epoch ms): launches failing since then end the wait early. */
  since: z.number().optional(),
  done: z.boolean(),
  actions: z.array(z.string()),
});
type ZonesWait = z.infer<typeof zonesSchema>;

/** How often the rollback looks at the zones while their launches come in. */
const zonesLookSeconds = 30;

const resumeEvent = z.object({
  resume: z.object({
    input: rolloutInputSchema,
    verified: verifiedSchema,
    zones: zonesSchema,
  }),
});

const rollbackEvent = z.object({
  state: z.object({
    input: rolloutInputSchema,
    execution: executionSchema,
    lock: lockSchema,
    verified: verifiedSchema,
    group: rolloutGroupSchema.optional(),
    plan: planSchema,
    error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }),
  }),
});

const event = z.union([rollbackEvent, resumeEvent]);

type Deps = Pick<
  Dependencies,
  | 'ec2'
  | 'eks'
  | 'autoScaling'
  | 'sns'
  | 'eventBridge'
  | 'sfn'
  | 'dynamoDb'
  | 'kubernetes'
  | 'now'
  | 'notificationTopicArn'
  | 'lockTableName'
>;

/** Failures that say the new AMI is unwanted (not merely that a step failed): the replaced nodes go back. */
const revertingErrors = ['AlarmTriggered', 'RolloutRejected', 'ApprovalTimedOut'];

/**
 * The rollout that puts replaced nodes back on the previous AMI after an alarm: the same node group
 * and pace, no window, alarms or bake (the alarm still fires), after this execution has ended.
 */
const revertInput = (input: RolloutInput, previousAmiId: string, executionName: string) => ({
  clusterName: input.clusterName,
  nodeGroupName: input.nodeGroupName,
  amiId: previousAmiId,
  maxUnavailable: input.maxUnavailable,
  drainTimeoutSeconds: input.drainTimeoutSeconds,
  readyTimeoutSeconds: input.readyTimeoutSeconds,
  gracePeriodSeconds: input.gracePeriodSeconds,
  force: input.force,
  overridePdbAfterTimeout: input.overridePdbAfterTimeout,
  deleteEmptyDirData: input.deleteEmptyDirData,
  allowWindowsBuildChange: input.allowWindowsBuildChange,
  allowUntestedImage: input.allowUntestedImage,
  continuedFrom: executionName,
});

export interface RollbackFailure extends Failure {
  /** A managed group going back through EKS: the update the state machine follows to its end. */
  revert?: RolloutGroup;
  /** Launches evening the zones: the state machine looks again (`resume`) until they are in. */
  zones?: ZonesWait;
}

/**
 * The failure path after changes began: uncordon what we cordoned, remove unused replacements,
 * point the group back at its previous launch template version (if its AMI still exists), restore
 * max size, after an alarm start the execution that puts replaced nodes back on that AMI, and notify. Every step is idempotent; the original error is what the execution reports.
 * With `resume`: the later look that resumes AZRebalance once the launches evening the zones are in.
 */
export const makeHandler = (deps: Deps) =>
  lambdaHandler(
    event,
    async (request): Promise<RollbackFailure | ZonesWait> =>
      'resume' in request ? resumeWhenEven(deps, request.resume) : rollBackAndNotify(deps, request.state),
    { emitsMetrics: true },
  );

async function rollBackAndNotify(deps: Deps, state: RollbackState): Promise<RollbackFailure> {
  const { input, execution, lock, verified, plan } = state;
  const error = executionError(caughtError(state.error));
  const managed = verified.group.managed;
  const { revert, zonesAwait, ...undone }: Undone & { revert?: RolloutGroup } = managed
    ? await rollBackManaged(deps, await deps.kubernetes(input.clusterName), state, managed.nodegroupName)
    : await rollBackSelfManagedGroup(deps, state, error.name);
  const failure = await notifyFailure(deps, { input, execution, error, undone, plan });
  const now = deps.now();
  const zones: ZonesWait | undefined = zonesAwait
    ? {
        seconds: zonesLookSeconds,
        deadline: now + input.readyTimeoutSeconds * 1000,
        since: now,
        done: false,
        actions: [],
      }
    : undefined;
  // The node group is free once it is back as it was: after EKS's revert, or the zones' launches, if any.
  const holdUntil = revert?.managed?.update.deadline ?? zones?.deadline;
  if (holdUntil === undefined) {
    await releaseLease(deps.dynamoDb, deps.lockTableName, lock.groupId, execution.id);
  } else {
    const expiresAt = holdUntil + leaseSeconds(input) * 1000;
    await extendLease(
      deps.dynamoDb,
      deps.lockTableName,
      { groupId: lock.groupId, holder: execution.id, holderName: execution.name, expiresAt },
      execution.id,
    );
  }
  return { ...failure, ...(revert ? { revert } : {}), ...(zones ? { zones } : {}) };
}

/**
 * Resumes what the rollout suspended once the zones are even. Past the deadline, or as soon as the
 * group's launches since the wait began all failed (as CheckReplacements gives up: an AMI gone, no
 * capacity), resumes it anyway: the group gets its own processes back, and the actions say that
 * AZRebalance may then move an instance without a drain.
 */
async function resumeWhenEven(
  deps: Pick<Deps, 'autoScaling' | 'now'>,
  { verified, zones }: z.output<typeof resumeEvent>['resume'],
): Promise<ZonesWait> {
  const resume = (evenOrNot: boolean) =>
    resumeAfterRollout(
      deps.autoScaling,
      verified.group.asgName,
      verified.group.suspendedProcesses,
      evenOrNot,
    );
  const outcome = await resume(false);
  if (outcome.leftSuspended.length === 0) return { ...zones, done: true, actions: resumeOutcome(outcome) };
  const failing =
    zones.since === undefined
      ? undefined
      : launchFailure(await recentActivities(deps.autoScaling, verified.group.asgName), zones.since);
  if (deps.now() < zones.deadline && failing === undefined) return { ...zones, done: false, actions: [] };
  const forced = await resume(true);
  const why =
    failing === undefined
      ? 'the launches that even them did not succeed within readyTimeoutSeconds'
      : `the launches that even them keep failing: ${failing}`;
  return {
    ...zones,
    done: true,
    actions: forced.resumed.map(
      (process) =>
        `resumed ${process} over uneven zones (${why}): ` +
        'once it can launch, Auto Scaling adds an instance to the emptiest zone and terminates one in the fullest without a drain; ' +
        'cordon and drain that node first, or suspend AZRebalance again until the zones are even',
    ),
  };
}

type RollbackState = z.output<typeof rollbackEvent>['state'];

/** Planned nodes whose instances are gone: replaced before the failure. */
const replacedOf = (plan: RollbackState['plan'], live: string[]) =>
  plan.batches.flatMap((b) => b.nodes).filter((n) => !live.includes(n.instanceId)).length;

/** A managed node group: through EKS (adapters/managed-rollback.ts); its Auto Scaling group is EKS's. */
async function rollBackManaged(
  deps: Deps,
  kubernetes: KubernetesPort,
  { input, execution, verified, group, plan }: RollbackState,
  nodegroupName: string,
): Promise<Undone & { revert?: RolloutGroup }> {
  const { actions, revert } = await rollBackManagedGroup(
    deps,
    kubernetes,
    { clusterName: input.clusterName, executionId: execution.id, group, plan },
    nodegroupName,
  );
  const current = await describeGroup(deps.autoScaling, verified.group.asgName);
  const live = (current?.instances ?? [])
    .filter((i) => !/^Terminat/.test(i.lifecycleState))
    .map((i) => i.instanceId);
  if (!revert || !group) return { actions, nodesReplaced: replacedOf(plan, live) };
  const now = deps.now();
  const nodes = group.original.desired;
  return {
    actions,
    nodesReplaced: replacedOf(plan, live),
    // Followed as the update itself was: the previous version is now the target.
    revert: {
      ...group,
      targetAmiId: revert.previousAmiId,
      targetVersion: group.previousVersion,
      managed: {
        nodegroupName,
        update: {
          id: revert.updateId,
          type: 'VersionUpdate',
          done: false,
          seconds: 30,
          since: now,
          deadline: managedUpdateDeadline(now, nodes, nodesAtOnce(input, nodes), Math.max(1, nodes)),
          nodesOnTarget: 0,
          nodes,
        },
      },
    },
  };
}

/**
 * A self-managed node group (adapters/roll-back.ts, shared with the clean-up); after an alarm or a
 * refusal, the execution that puts the replaced nodes back on the previous AMI.
 */
function rollBackSelfManagedGroup(deps: Deps, state: RollbackState, errorName: string): Promise<Undone> {
  const { input, execution, verified, group, plan } = state;
  const reverts = revertingErrors.includes(errorName) && input.rollbackOnAlarm === 'replaceNodes';
  return rollBack(deps, {
    input,
    execution,
    before: {
      asgName: verified.group.asgName,
      maxSize: group?.original.maxSize ?? verified.group.maxSize,
      desired: group?.original.desired ?? verified.group.desired,
      suspendedProcesses: verified.group.suspendedProcesses,
    },
    template: group && {
      launchTemplateId: group.launchTemplateId,
      reference: group.reference,
      previousVersion: Number(group.previousVersion),
      targetVersion: Number(group.targetVersion),
      targetAmiId: group.targetAmiId,
    },
    plan,
    revert: reverts
      ? (previousAmiId, nodesReplaced) => startRevert(deps, state, previousAmiId, nodesReplaced)
      : undefined,
    evenZones: true,
  });
}

/** The execution that puts the replaced nodes back on the previous AMI; what it did, in words. */
async function startRevert(
  deps: Pick<Deps, 'sfn' | 'now'>,
  { input, execution }: RollbackState,
  previousAmiId: string,
  nodesReplaced: number,
): Promise<string | undefined> {
  const executionName = revertName(execution.name);
  const { started, duplicates, failed } = await startExecutions(
    deps.sfn,
    stateMachineArnOf(execution.id),
    [
      {
        clusterName: input.clusterName,
        nodeGroupName: input.nodeGroupName,
        amiId: previousAmiId,
        executionName,
        input: revertInput(input, previousAmiId, execution.name),
      },
    ],
    deps.now,
  );
  if (failed[0]) throw failed[0].error;
  return started.length + duplicates.length > 0
    ? `started execution ${executionName} to replace the ${nodesReplaced} replaced nodes back onto ${previousAmiId}`
    : undefined;
}

export const handler = makeHandler({
  ec2: ec2Client(),
  eks: eksClient(),
  autoScaling: autoScalingClient(),
  sns: snsClient(),
  eventBridge: eventBridgeClient(),
  sfn: sfnClient(),
  kubernetes: kubernetesConnector(),
  now: Date.now,
  notificationTopicArn: requireEnv('NOTIFICATION_TOPIC_ARN'),
  dynamoDb: dynamoDbClient(),
  lockTableName: requireEnv('LOCK_TABLE_NAME'),
});
