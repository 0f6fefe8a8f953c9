import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Dependencies } from '../commons/dependencies.ts';
import { metrics } from '../commons/powertools.ts';
import { rolloutEvent } from '../domain/events.ts';
import { mirrorPodAnnotation } from '../domain/eviction.ts';
import { originalSizeTag, surplusInstances } from '../domain/group-size.ts';
import { clientToken, type TemplateChange, templateRestore } from '../domain/launch-template.ts';
import {
  controllerOf,
  cordonedByAnnotation,
  isTerminating,
  nodesByInstance,
  retiringTaint,
} from '../domain/nodes.ts';
import { consoleUrl, rolloutNotification } from '../domain/notification.ts';
import { resumeOutcome } from '../domain/processes.ts';
import { ourCordons, replacedWithoutPlan, rollbackActions } from '../domain/rollback.ts';
import {
  describeGroup,
  type GroupState,
  launchToEven,
  pointGroupAt,
  resumeAfterRollout,
  setDesiredCapacity,
  terminateInstance,
  untagGroup,
  updateGroup,
} from './autoscaling.ts';
import {
  createLaunchTemplateVersion,
  describeAmi,
  describeInstances,
  describeLaunchTemplateVersions,
  effectiveImageId,
  setDefaultVersion,
} from './ec2.ts';
import { putRolloutEvents } from './events.ts';
import { markRetiring, releaseScaleDown } from './kubernetes/batch-nodes.ts';
import { removePrePulls } from './kubernetes/pre-pull.ts';
import { publish } from './notifications.ts';
import { replaceWarmPoolInstances } from './warm-pool.ts';

export type RollBackDeps = Pick<
  Dependencies,
  'ec2' | 'autoScaling' | 'sns' | 'eventBridge' | 'kubernetes' | 'now' | 'notificationTopicArn'
>;

export interface Failure {
  name: string;
  cause: string;
  actions: string[];
}

/** What a rollback did, and how many planned nodes were already replaced. */
export interface Undone {
  actions: string[];
  nodesReplaced: number;
  /** Launches the zones wait for before AZRebalance may be resumed (0: nothing to wait for). */
  zonesAwait?: number;
}

export interface RollBackRequest {
  input: { clusterName: string; nodeGroupName: string; amiId: string };
  execution: { id: string; name: string; startTime: string };
  /** The group's own sizes (what a surge or an earlier run left does not count) and the processes suspended before. */
  before: { asgName: string; maxSize: number; desired: number; suspendedProcesses: string[] };
  template: TemplateChange | undefined;
  /** Counts for the notification, when the plan is known. */
  plan:
    | { batches: { nodes: { instanceId: string }[] }[]; nodesOnTarget: number; warnings: string[] }
    | undefined;
  /** After an alarm: starts the execution that puts the replaced nodes back on the previous AMI; says what it did. */
  revert?: (previousAmiId: string, nodesReplaced: number) => Promise<string | undefined>;
  /**
   * Uneven zones get launches into the emptiest ones, so AZRebalance can be resumed once they are in
   * (the caller waits for them); without it, AZRebalance stays suspended for the next run.
   */
  evenZones?: boolean;
}

/**
 * The rollback after changes began: uncordon what the execution cordoned, remove its unused
 * replacements (naming those it must keep, beyond the group's own size), make the group launch what it
 * launched before in its own reference form (if that AMI still exists), resume what the rollout
 * suspended, and restore max size. Every step is idempotent. Run by the Rollback state, and by the
 * clean-up after endings that skip it (stopped, timed out); both then notify (`notifyFailure`).
 */
export async function rollBack(deps: RollBackDeps, request: RollBackRequest): Promise<Undone> {
  const { input, execution, before, template, plan } = request;
  const asgName = before.asgName;
  const actions: string[] = [];
  const current = await describeGroup(deps.autoScaling, asgName);
  const live = (current?.instances ?? [])
    .filter((i) => !/^Terminat/.test(i.lifecycleState))
    .map((i) => i.instanceId);
  const kubernetes = await deps.kubernetes(input.clusterName);
  const [instances, nodes] = await Promise.all([describeInstances(deps.ec2, live), kubernetes.listNodes()]);
  const byInstance = nodesByInstance(nodes);
  // Uncordon first: it needs only the nodes, and matters most if a later call keeps failing.
  const cordoned = ourCordons(
    instances.map((i) => byInstance.get(i.instanceId)),
    execution.name,
  );
  for (const name of cordoned) {
    await kubernetes.patchNode(name, { unschedulable: false, annotations: { [cordonedByAnnotation]: null } });
    actions.push(`uncordoned ${name}`);
  }
  for (const name of await releaseScaleDown(
    kubernetes,
    instances.flatMap((i) => byInstance.get(i.instanceId) ?? []),
  )) {
    actions.push(`scale-down by the cluster-autoscaler allowed again on ${name}`);
  }
  for (const name of await markRetiring(
    kubernetes,
    instances.flatMap((i) => byInstance.get(i.instanceId) ?? []),
    false,
  )) {
    actions.push(`taint ${retiringTaint.key} removed from ${name}`);
  }
  // Before the count below: a pre-pull pod is no workload, and must not keep an empty replacement.
  for (const name of await removePrePulls(
    kubernetes,
    instances.flatMap((i) => byInstance.get(i.instanceId) ?? []),
  )) {
    actions.push(`pre-pull of images ended on ${name}`);
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
    live.length - before.desired,
  );
  let desired = current?.desired ?? 0;
  const running = new Set(live);
  for (const instanceId of removeSurge) {
    if (desired - 1 < (current?.minSize ?? 0)) break;
    await terminateInstance(deps.autoScaling, instanceId);
    desired -= 1;
    running.delete(instanceId);
    actions.push(`terminated unused replacement ${instanceId}`);
  }
  if (current && desired > running.size) {
    // Launches still pending (e.g. the group cannot launch): cancel them.
    desired = Math.max(running.size, current.minSize);
    await setDesiredCapacity(deps.autoScaling, asgName, desired);
    actions.push(`desired capacity set back to ${desired}`);
  }
  const previousAmiId = template
    ? await effectiveImageId(deps.ec2, template.launchTemplateId, template.previousVersion)
    : undefined;
  const previousAmi = previousAmiId ? await describeAmi(deps.ec2, previousAmiId) : undefined;
  if (template && current) {
    const previous = { amiId: previousAmiId, available: previousAmi?.state === 'available' };
    actions.push(...(await restoreTemplate(deps, template, current, execution.name, previous)));
    if (previous.available && previousAmiId) {
      // The pool may hold instances made from the failed version: a later scale-out would take them.
      for (const instanceId of await replaceWarmPoolInstances(deps, asgName, previousAmiId))
        actions.push(
          `warm pool instance ${instanceId} (not on ${previousAmiId}) terminated: the pool refills from the restored version`,
        );
    }
  }
  let maxSize = current?.maxSize ?? 0;
  let zonesAwait = 0;
  if (current) {
    const outcome = await resumeAfterRollout(deps.autoScaling, asgName, before.suspendedProcesses);
    const evened =
      outcome.leftSuspended.length > 0 && request.evenZones
        ? await launchToEven(deps.autoScaling, asgName)
        : undefined;
    if (evened && evened.awaited > 0) {
      ({ desired, maxSize } = evened);
      zonesAwait = evened.awaited;
      actions.push(
        `desired capacity raised to ${desired}: ${evened.awaited} instance(s) launching into the zones with the fewest ` +
          `so that the zones end even, then ${outcome.leftSuspended.join(', ')} resumed (over uneven zones it would terminate ` +
          "a node without a drain); the next run drains and removes them with the group's surplus",
      );
    } else {
      actions.push(...resumeOutcome(outcome));
    }
  }
  const kept = surplusInstances(
    instances.filter((i) => running.has(i.instanceId)),
    before.desired,
  );
  if (kept.length > 0) {
    // The tag stays: the next run drains and removes these first, and never takes them for the group's size.
    actions.push(
      `${kept.map((id) => `instance ${id} (${byInstance.get(id)?.metadata?.name ?? 'no node'})`).join(', ')} left running beyond the group's own size of ${before.desired}: ` +
        'replacements holding pods moved off the failed batch; the next run drains and removes them before replacing anything',
    );
  } else if (current && zonesAwait === 0) {
    await untagGroup(deps.autoScaling, asgName, originalSizeTag);
  }
  const nodesReplaced = plan
    ? plan.batches.flatMap((b) => b.nodes).filter((n) => !live.includes(n.instanceId)).length
    : replacedWithoutPlan(instances, { startTime: Date.parse(execution.startTime) }, before.desired);
  if (request.revert && nodesReplaced > 0 && previousAmi?.state === 'available' && previousAmiId) {
    const started = await request.revert(previousAmiId, nodesReplaced);
    if (started) actions.push(started);
  }
  if (current && maxSize > before.maxSize && desired <= before.maxSize) {
    await updateGroup(deps.autoScaling, asgName, { maxSize: before.maxSize });
    actions.push(`max size back to ${before.maxSize}`);
  } else if (current && maxSize > before.maxSize) {
    actions.push(
      `max size left at ${maxSize} (was ${before.maxSize}) and desired at ${desired}: instances beyond the group's own size ` +
        '(replacements holding pods moved off the failed batch, or launched to even the zones); the next run removes them and restores both',
    );
  }
  return { actions, nodesReplaced, zonesAwait };
}

/**
 * Nodes of the group replaced since an execution started, counted without its plan (a managed
 * group's, by the EKS update it started): see replacedWithoutPlan.
 */
export async function nodesReplacedSince(
  deps: Pick<RollBackDeps, 'ec2' | 'autoScaling'>,
  before: { asgName: string; desired: number },
  execution: { startTime: string },
): Promise<number> {
  const group = await describeGroup(deps.autoScaling, before.asgName);
  const live = (group?.instances ?? [])
    .filter((i) => !/^Terminat/.test(i.lifecycleState))
    .map((i) => i.instanceId);
  const instances = await describeInstances(deps.ec2, live);
  return replacedWithoutPlan(instances, { startTime: Date.parse(execution.startTime) }, before.desired);
}

/** The failure notification and metric, for whatever ended the rollout and what its rollback did. */
export async function notifyFailure(
  deps: Pick<RollBackDeps, 'sns' | 'eventBridge' | 'now' | 'notificationTopicArn'>,
  failure: {
    input: { clusterName: string; nodeGroupName: string; amiId: string };
    execution: { id: string; name: string; startTime: string };
    error: { name: string; cause: string };
    undone: Undone;
    plan?: { nodesToReplace: number; nodesOnTarget: number; warnings: string[] };
  },
): Promise<Failure> {
  const { input, execution, error, undone, plan } = failure;
  const moment = (kind: 'failed' | 'rolledBack', extra: Record<string, unknown>) =>
    rolloutEvent({
      kind,
      input,
      executionArn: execution.id,
      at: deps.now(),
      progress: {
        nodesReplaced: undone.nodesReplaced,
        nodesToReplace: plan?.nodesToReplace ?? undone.nodesReplaced,
      },
      batchIndex: null,
      extra,
    });
  await putRolloutEvents(deps.eventBridge, [
    moment('failed', { error: error.name, cause: error.cause }),
    moment('rolledBack', { error: error.name, actions: undone.actions }),
  ]);
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
      nodesReplaced: undone.nodesReplaced,
      nodesOnTarget: plan?.nodesOnTarget ?? 0,
      error,
      actions: undone.actions,
      warnings: plan?.warnings,
    }),
  );
  metrics.addDimension('ErrorName', error.name);
  metrics.addMetric('RolloutFailures', MetricUnit.Count, 1);
  return { ...error, actions: undone.actions };
}

/**
 * Makes the group launch what it launched before, in its own reference form: the group pointed back
 * (a number), the default moved back (`$Default`), or a copy of the previous version made the newest
 * (`$Latest`). Only when the previous version's AMI still exists; an alias is resolved by EC2, never
 * passed to an AMI API.
 */
async function restoreTemplate(
  deps: Pick<RollBackDeps, 'ec2' | 'autoScaling'>,
  template: TemplateChange,
  current: GroupState,
  executionName: string,
  previousAmi: { amiId: string | undefined; available: boolean },
): Promise<string[]> {
  const { launchTemplateId } = template;
  const versions = await describeLaunchTemplateVersions(deps.ec2, launchTemplateId);
  const restore = templateRestore(
    template.reference,
    {
      groupVersion: current.launchTemplate?.version ?? '',
      defaultVersion: versions.find((v) => v.isDefault)?.versionNumber,
      latestVersion: Math.max(...versions.map((v) => v.versionNumber)),
    },
    template,
  );
  if (restore.kind === 'none') return [];
  const { amiId: previousAmiId } = previousAmi;
  if (previousAmiId === undefined || !previousAmi.available) {
    return [
      `launch template left on version ${template.targetVersion}: the previous AMI ${previousAmiId ?? '(unknown)'} no longer exists`,
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
    `copy of version ${restore.version}: rollback of ${template.targetAmiId} by eks-windows-patcher`,
    clientToken(executionName, 'rollback'),
  );
  return [
    `launch template ${launchTemplateId} version ${copy} (a copy of version ${restore.version}) is now $Latest`,
  ];
}
