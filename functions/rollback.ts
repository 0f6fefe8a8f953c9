import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import {
  describeGroup,
  type GroupState,
  pointGroupAt,
  resumeAfterRollout,
  setDesiredCapacity,
  terminateInstance,
  updateGroup,
} from './adapters/autoscaling.ts';
import {
  createLaunchTemplateVersion,
  describeAmi,
  describeInstances,
  describeLaunchTemplateVersions,
  effectiveImageId,
  setDefaultVersion,
} from './adapters/ec2.ts';
import { startExecutions } from './adapters/executions.ts';
import { releaseScaleDown } from './adapters/kubernetes/batch-nodes.ts';
import type { KubernetesPort } from './adapters/kubernetes/port.ts';
import { releaseLease } from './adapters/lock-table.ts';
import { rollBackManagedGroup } from './adapters/managed-rollback.ts';
import { publish } from './adapters/notifications.ts';
import { stateMachineArnOf } from './adapters/running-rollouts.ts';
import {
  autoScalingClient,
  dynamoDbClient,
  ec2Client,
  eksClient,
  sfnClient,
  snsClient,
} from './commons/clients.ts';
import { requireEnv } from './commons/config.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { metrics } from './commons/powertools.ts';
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
import { mirrorPodAnnotation } from './domain/eviction.ts';
import { clientToken, templateRestore } from './domain/launch-template.ts';
import { managedUpdateDeadline, nodesAtOnce } from './domain/managed.ts';
import { controllerOf, cordonedByAnnotation, isTerminating, nodesByInstance } from './domain/nodes.ts';
import { caughtError, consoleUrl, executionError, rolloutNotification } from './domain/notification.ts';
import { ourCordons, rollbackActions } from './domain/rollback.ts';

const event = z.object({
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

type Deps = Pick<
  Dependencies,
  | 'ec2'
  | 'eks'
  | 'autoScaling'
  | 'sns'
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

export interface Failure {
  name: string;
  cause: string;
  actions: string[];
  /** A managed group going back through EKS: the update the state machine follows to its end. */
  revert?: RolloutGroup;
}

/**
 * The failure path after changes began: uncordon what we cordoned, remove unused replacements,
 * point the group back at its previous launch template version (if its AMI still exists), restore
 * max size, after an alarm start the execution that puts replaced nodes back on that AMI, and notify. Every step is idempotent; the original error is what the execution reports.
 */
export const makeHandler = (deps: Deps) =>
  lambdaHandler(
    event,
    async ({ state }): Promise<Failure> => {
      const { input, execution, lock, verified, plan } = state;
      const error = executionError(caughtError(state.error));
      const kubernetes = await deps.kubernetes(input.clusterName);
      const managed = verified.group.managed;
      const { actions, nodesReplaced, revert } = managed
        ? await rollBackManaged(deps, kubernetes, state, managed.nodegroupName)
        : await rollBackSelfManagedGroup(deps, kubernetes, state, error.name);
      await publish(
        deps.sns,
        deps.notificationTopicArn,
        rolloutNotification({
          outcome: 'FAILED',
          clusterName: input.clusterName,
          nodeGroupName: input.nodeGroupName,
          amiId: input.amiId,
          executionName: execution.name,
          consoleUrl: consoleUrl(execution.id),
          durationSeconds: Math.round((deps.now() - Date.parse(execution.startTime)) / 1000),
          nodesReplaced,
          nodesOnTarget: plan.nodesOnTarget,
          error,
          actions,
          warnings: plan.warnings,
        }),
      );
      metrics.addDimension('ErrorName', error.name);
      metrics.addMetric('RolloutFailures', MetricUnit.Count, 1);
      // Last: the node group is free once it is back as it was.
      await releaseLease(deps.dynamoDb, deps.lockTableName, lock.groupId, execution.id);
      return { ...error, actions, ...(revert ? { revert } : {}) };
    },
    { emitsMetrics: true },
  );

type RollbackState = z.output<typeof event>['state'];
interface Undone {
  actions: string[];
  nodesReplaced: number;
  revert?: RolloutGroup;
}

/** Planned nodes whose instances are gone: replaced before the failure. */
const replacedOf = (plan: RollbackState['plan'], live: string[]) =>
  plan.batches.flatMap((b) => b.nodes).filter((n) => !live.includes(n.instanceId)).length;

/** A managed node group: through EKS (adapters/managed-rollback.ts); its Auto Scaling group is EKS's. */
async function rollBackManaged(
  deps: Deps,
  kubernetes: KubernetesPort,
  { input, execution, verified, group, plan }: RollbackState,
  nodegroupName: string,
): Promise<Undone> {
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
 * A self-managed node group: uncordon ours, remove unused replacements, the previous launch template
 * version, processes resumed, after an alarm the execution that puts replaced nodes back, max size back.
 */
async function rollBackSelfManagedGroup(
  deps: Deps,
  kubernetes: KubernetesPort,
  { input, execution, verified, group, plan }: RollbackState,
  errorName: string,
): Promise<Undone> {
  const asgName = verified.group.asgName;
  const actions: string[] = [];
  const current = await describeGroup(deps.autoScaling, asgName);
  const live = (current?.instances ?? [])
    .filter((i) => !/^Terminat/.test(i.lifecycleState))
    .map((i) => i.instanceId);
  const [instances, nodes] = await Promise.all([describeInstances(deps.ec2, live), kubernetes.listNodes()]);
  const byInstance = nodesByInstance(nodes);
  // Uncordon first: it needs only the nodes, and matters most if a later call keeps failing.
  const cordoned = ourCordons(
    instances.map((i) => byInstance.get(i.instanceId)),
    execution.name,
  );
  for (const name of cordoned) {
    await kubernetes.patchNode(name, {
      unschedulable: false,
      annotations: { [cordonedByAnnotation]: null },
    });
    actions.push(`uncordoned ${name}`);
  }
  for (const name of await releaseScaleDown(
    kubernetes,
    instances.flatMap((i) => byInstance.get(i.instanceId) ?? []),
  )) {
    actions.push(`scale-down by the cluster-autoscaler allowed again on ${name}`);
  }
  const pods = await kubernetes.listPods(undefined);
  const workloadPods = new Map<string, number>();
  for (const pod of pods) {
    const skipped =
      controllerOf(pod)?.kind === 'DaemonSet' ||
      pod.metadata?.annotations?.[mirrorPodAnnotation] !== undefined;
    if (skipped || isTerminating(pod) || !pod.spec?.nodeName) continue;
    workloadPods.set(pod.spec.nodeName, (workloadPods.get(pod.spec.nodeName) ?? 0) + 1);
  }
  const { removeSurge } = rollbackActions(
    instances.map((i) => {
      const node = byInstance.get(i.instanceId);
      return { ...i, node, workloadPods: workloadPods.get(node?.metadata?.name ?? '') ?? 0 };
    }),
    { name: execution.name, startTime: Date.parse(execution.startTime) },
    input.amiId,
    live.length - (group?.original.desired ?? verified.group.desired),
  );
  let desired = current?.desired ?? 0;
  let running = live.length;
  for (const instanceId of removeSurge) {
    if (desired - 1 < (current?.minSize ?? 0)) break;
    await terminateInstance(deps.autoScaling, instanceId);
    desired -= 1;
    running -= 1;
    actions.push(`terminated unused replacement ${instanceId}`);
  }
  if (current && desired > running) {
    // Launches still pending (e.g. the group cannot launch): cancel them.
    desired = Math.max(running, current.minSize);
    await setDesiredCapacity(deps.autoScaling, asgName, desired);
    actions.push(`desired capacity set back to ${desired}`);
  }
  const previousAmiId = group
    ? await effectiveImageId(deps.ec2, group.launchTemplateId, Number(group.previousVersion))
    : undefined;
  const previousAmi = previousAmiId ? await describeAmi(deps.ec2, previousAmiId) : undefined;
  if (group && current) {
    const previous = { amiId: previousAmiId, available: previousAmi?.state === 'available' };
    actions.push(...(await restoreTemplate(deps, group, current, execution.name, previous)));
  }
  if (current) {
    const resumed = await resumeAfterRollout(deps.autoScaling, current, verified.group.suspendedProcesses);
    if (resumed.length > 0) actions.push(`resumed ${resumed.join(', ')}`);
  }
  const nodesReplaced = replacedOf(plan, live);
  if (
    revertingErrors.includes(errorName) &&
    input.rollbackOnAlarm === 'replaceNodes' &&
    nodesReplaced > 0 &&
    previousAmi?.state === 'available' &&
    previousAmiId
  ) {
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
    if (started.length + duplicates.length > 0)
      actions.push(
        `started execution ${executionName} to replace the ${nodesReplaced} replaced nodes back onto ${previousAmiId}`,
      );
  }
  const originalMax = group?.original.maxSize ?? verified.group.maxSize;
  if (current && current.maxSize > originalMax && desired <= originalMax) {
    await updateGroup(deps.autoScaling, asgName, { maxSize: originalMax });
    actions.push(`max size back to ${originalMax}`);
  } else if (current && current.maxSize > originalMax) {
    actions.push(
      `max size left at ${current.maxSize} (was ${originalMax}) and desired at ${desired}: replacements hold pods moved off the failed batch; ` +
        'lower both once those pods can move back (a re-run keeps this size)',
    );
  }
  return { actions, nodesReplaced };
}

/**
 * Makes the group launch what it launched before, in its own reference form: the group pointed back
 * (a number), the default moved back (`$Default`), or a copy of the previous version made the newest
 * (`$Latest`). Only when the previous version's AMI still exists; an alias is resolved by EC2, never
 * passed to an AMI API.
 */
async function restoreTemplate(
  deps: Pick<Deps, 'ec2' | 'autoScaling'>,
  group: RolloutGroup,
  current: GroupState,
  executionName: string,
  previousAmi: { amiId: string | undefined; available: boolean },
): Promise<string[]> {
  const { launchTemplateId } = group;
  const versions = await describeLaunchTemplateVersions(deps.ec2, launchTemplateId);
  const restore = templateRestore(
    group.reference,
    {
      groupVersion: current.launchTemplate?.version ?? '',
      defaultVersion: versions.find((v) => v.isDefault)?.versionNumber,
      latestVersion: Math.max(...versions.map((v) => v.versionNumber)),
    },
    { previousVersion: Number(group.previousVersion), targetVersion: Number(group.targetVersion) },
  );
  if (restore.kind === 'none') return [];
  const { amiId: previousAmiId } = previousAmi;
  if (previousAmiId === undefined || !previousAmi.available) {
    return [
      `launch template left on version ${group.targetVersion}: the previous AMI ${previousAmiId ?? '(unknown)'} no longer exists`,
    ];
  }
  if (restore.kind === 'pointGroup') {
    await pointGroupAt(deps.autoScaling, current, { id: launchTemplateId, version: String(restore.version) });
    return [`launch template ${launchTemplateId} back to version ${restore.version}`];
  }
  if (restore.kind === 'setDefault') {
    await setDefaultVersion(deps.ec2, launchTemplateId, restore.version);
    return [`default version of launch template ${launchTemplateId} back to ${restore.version}`];
  }
  const previous = versions.find((v) => v.versionNumber === restore.version);
  const copy = await createLaunchTemplateVersion(
    deps.ec2,
    launchTemplateId,
    restore.version,
    previous?.imageId ?? previousAmiId,
    `copy of version ${restore.version}: rollback of ${group.targetAmiId} by eks-windows-patcher`,
    clientToken(executionName, 'rollback'),
  );
  return [
    `launch template ${launchTemplateId} version ${copy} (a copy of version ${restore.version}) is now $Latest`,
  ];
}

export const handler = makeHandler({
  ec2: ec2Client(),
  eks: eksClient(),
  autoScaling: autoScalingClient(),
  sns: snsClient(),
  sfn: sfnClient(),
  kubernetes: kubernetesConnector(),
  now: Date.now,
  notificationTopicArn: requireEnv('NOTIFICATION_TOPIC_ARN'),
  dynamoDb: dynamoDbClient(),
  lockTableName: requireEnv('LOCK_TABLE_NAME'),
});
