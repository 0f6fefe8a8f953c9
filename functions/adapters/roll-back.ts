import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Dependencies } from '../commons/dependencies.ts';
import { metrics } from '../commons/powertools.ts';
import { mirrorPodAnnotation } from '../domain/eviction.ts';
import { controllerOf, cordonedByAnnotation, isTerminating, nodesByInstance } from '../domain/nodes.ts';
import { consoleUrl, rolloutNotification } from '../domain/notification.ts';
import { ourCordons, rollbackActions } from '../domain/rollback.ts';
import {
  describeGroup,
  pointGroupAt,
  resumeAfterRollout,
  setDesiredCapacity,
  terminateInstance,
  updateGroup,
} from './autoscaling.ts';
import { describeAmi, describeInstances, describeLaunchTemplateVersions } from './ec2.ts';
import { releaseScaleDown } from './kubernetes/batch-nodes.ts';
import { publish } from './notifications.ts';

export type RollBackDeps = Pick<
  Dependencies,
  'ec2' | 'autoScaling' | 'sns' | 'kubernetes' | 'now' | 'notificationTopicArn'
>;

export interface Failure {
  name: string;
  cause: string;
  actions: string[];
}

export interface RollBackRequest {
  input: { clusterName: string; nodeGroupName: string; amiId: string };
  execution: { id: string; name: string; startTime: string };
  /** The group's sizes and suspended processes before the rollout. */
  before: { asgName: string; maxSize: number; desired: number; suspendedProcesses: string[] };
  /** The launch template change to undo: back to `previousVersion` while the group points at `targetVersion`. */
  launchTemplate: { id: string; previousVersion: string; targetVersion: string } | undefined;
  /** Counts for the notification, when the plan is known. */
  plan:
    | { batches: { nodes: { instanceId: string }[] }[]; nodesOnTarget: number; warnings: string[] }
    | undefined;
  error: { name: string; cause: string };
  /** After an alarm: starts the execution that puts the replaced nodes back on the previous AMI; says what it did. */
  revert?: (previousAmiId: string, nodesReplaced: number) => Promise<string | undefined>;
}

/**
 * The rollback after changes began: uncordon what the execution cordoned, remove its unused
 * replacements, point the group back at its previous launch template version (if its AMI still
 * exists), restore max size, and notify. Every step is idempotent. Run by the Rollback state, and by
 * the clean-up after endings that skip it (stopped, timed out).
 */
export async function rollBack(deps: RollBackDeps, request: RollBackRequest): Promise<Failure> {
  const { input, execution, before, launchTemplate, plan, error } = request;
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
  if (current) {
    const resumed = await resumeAfterRollout(deps.autoScaling, current, before.suspendedProcesses);
    if (resumed.length > 0) actions.push(`resumed ${resumed.join(', ')}`);
  }
  const [previous] = launchTemplate
    ? await describeLaunchTemplateVersions(deps.ec2, launchTemplate.id, [launchTemplate.previousVersion])
    : [];
  const previousAmi = previous?.imageId ? await describeAmi(deps.ec2, previous.imageId) : undefined;
  if (launchTemplate && current?.launchTemplate?.version === launchTemplate.targetVersion) {
    if (previousAmi?.state === 'available') {
      await pointGroupAt(deps.autoScaling, current, {
        id: launchTemplate.id,
        version: launchTemplate.previousVersion,
      });
      actions.push(`launch template ${launchTemplate.id} back to version ${launchTemplate.previousVersion}`);
    } else {
      actions.push(
        `launch template left on version ${launchTemplate.targetVersion}: the previous AMI ${previous?.imageId ?? '(unknown)'} no longer exists`,
      );
    }
  }
  const nodesReplaced = (plan?.batches ?? [])
    .flatMap((b) => b.nodes)
    .filter((n) => !live.includes(n.instanceId)).length;
  if (request.revert && nodesReplaced > 0 && previousAmi?.state === 'available' && previous?.imageId) {
    const started = await request.revert(previous.imageId, nodesReplaced);
    if (started) actions.push(started);
  }
  const originalMax = before.maxSize;
  if (current && current.maxSize > originalMax && desired <= originalMax) {
    await updateGroup(deps.autoScaling, asgName, { maxSize: originalMax });
    actions.push(`max size back to ${originalMax}`);
  } else if (current && current.maxSize > originalMax) {
    actions.push(
      `max size left at ${current.maxSize} (was ${originalMax}) and desired at ${desired}: replacements hold pods moved off the failed batch; ` +
        'lower both once those pods can move back (a re-run keeps this size)',
    );
  }
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
      nodesOnTarget: plan?.nodesOnTarget ?? 0,
      error,
      actions,
      warnings: plan?.warnings,
    }),
  );
  metrics.addDimension('ErrorName', error.name);
  metrics.addMetric('RolloutFailures', MetricUnit.Count, 1);
  return { ...error, actions };
}
