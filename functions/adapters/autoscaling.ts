import {
  type AutoScalingClient,
  type AutoScalingGroup,
  CreateOrUpdateTagsCommand,
  DeleteTagsCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribeScalingActivitiesCommand,
  type Filter,
  type LaunchTemplateOverrides,
  type LaunchTemplateSpecification,
  ResumeProcessesCommand,
  SetDesiredCapacityCommand,
  SuspendProcessesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { processesToResume, suspendedByUsTag } from '../domain/processes.ts';
import { launchesToEven, zonesEven } from '../domain/zones.ts';

export interface GroupState {
  asgName: string;
  /** The group's identity: a name can be reused after a delete, the ARN (with its UUID) cannot. */
  arn: string;
  minSize: number;
  maxSize: number;
  desired: number;
  /** The group's template: its own, or the one of its MixedInstancesPolicy. */
  launchTemplate: { id: string; version: string } | undefined;
  /** The MixedInstancesPolicy's template overrides, when the group has one (kept as they are on update). */
  mixedInstancesOverrides: LaunchTemplateOverrides[] | undefined;
  launchConfigurationName: string | undefined;
  suspendedProcesses: string[];
  availabilityZones: string[];
  instances: { instanceId: string; lifecycleState: string; availabilityZone: string }[];
  tags: Record<string, string>;
}

const templateOf = (specification: LaunchTemplateSpecification | undefined) =>
  specification?.LaunchTemplateId
    ? { id: specification.LaunchTemplateId, version: specification.Version ?? '$Default' }
    : undefined;

const toGroupState = (group: AutoScalingGroup): GroupState => ({
  asgName: group.AutoScalingGroupName ?? '',
  arn: group.AutoScalingGroupARN ?? '',
  minSize: group.MinSize ?? 0,
  maxSize: group.MaxSize ?? 0,
  desired: group.DesiredCapacity ?? 0,
  launchTemplate: templateOf(
    group.LaunchTemplate ?? group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification,
  ),
  mixedInstancesOverrides: group.MixedInstancesPolicy
    ? (group.MixedInstancesPolicy.LaunchTemplate?.Overrides ?? [])
    : undefined,
  launchConfigurationName: group.LaunchConfigurationName,
  suspendedProcesses: (group.SuspendedProcesses ?? []).flatMap((p) => p.ProcessName ?? []),
  availabilityZones: group.AvailabilityZones ?? [],
  instances: (group.Instances ?? []).map((i) => ({
    instanceId: i.InstanceId ?? '',
    lifecycleState: i.LifecycleState ?? 'unknown',
    availabilityZone: i.AvailabilityZone ?? '',
  })),
  tags: Object.fromEntries((group.Tags ?? []).flatMap((t) => (t.Key ? [[t.Key, t.Value ?? '']] : []))),
});

async function describeGroups(
  autoScaling: AutoScalingClient,
  request: { AutoScalingGroupNames?: string[]; Filters?: Filter[] },
): Promise<GroupState[]> {
  const groups: GroupState[] = [];
  let NextToken: string | undefined;
  do {
    const page = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ ...request, NextToken }));
    groups.push(...(page.AutoScalingGroups ?? []).map(toGroupState));
    NextToken = page.NextToken;
  } while (NextToken);
  return groups;
}

export async function describeGroup(
  autoScaling: AutoScalingClient,
  asgName: string,
): Promise<GroupState | undefined> {
  return (await describeGroups(autoScaling, { AutoScalingGroupNames: [asgName] }))[0];
}

/** Groups carrying a tag key (e.g. `kubernetes.io/cluster/<name>`). */
export function groupsWithTagKey(autoScaling: AutoScalingClient, tagKey: string): Promise<GroupState[]> {
  return describeGroups(autoScaling, { Filters: [{ Name: 'tag-key', Values: [tagKey] }] });
}

export async function updateGroup(
  autoScaling: AutoScalingClient,
  asgName: string,
  change: { maxSize?: number; desired?: number },
): Promise<void> {
  await autoScaling.send(
    new UpdateAutoScalingGroupCommand({
      AutoScalingGroupName: asgName,
      MaxSize: change.maxSize,
      DesiredCapacity: change.desired,
    }),
  );
}

/**
 * Points the group at a version of its template where the group names it: its LaunchTemplate, or
 * its MixedInstancesPolicy with the overrides kept (a plain LaunchTemplate would replace the policy).
 */
export async function pointGroupAt(
  autoScaling: AutoScalingClient,
  group: Pick<GroupState, 'asgName' | 'mixedInstancesOverrides'>,
  launchTemplate: { id: string; version: string },
): Promise<void> {
  const specification = { LaunchTemplateId: launchTemplate.id, Version: launchTemplate.version };
  await autoScaling.send(
    new UpdateAutoScalingGroupCommand({
      AutoScalingGroupName: group.asgName,
      ...(group.mixedInstancesOverrides
        ? {
            MixedInstancesPolicy: {
              LaunchTemplate: {
                LaunchTemplateSpecification: specification,
                Overrides: group.mixedInstancesOverrides,
              },
            },
          }
        : { LaunchTemplate: specification }),
    }),
  );
}

/** Suspends processes for the rollout, naming them in our tag first so a later run knows them for ours. */
export async function suspendForRollout(
  autoScaling: AutoScalingClient,
  asgName: string,
  processes: string[],
) {
  if (processes.length === 0) return;
  await tagGroup(autoScaling, asgName, suspendedByUsTag, processes.join(','));
  await autoScaling.send(
    new SuspendProcessesCommand({ AutoScalingGroupName: asgName, ScalingProcesses: processes }),
  );
}

/**
 * Resumes what the rollout suspended (never what was suspended before it) and drops our tag. While
 * the zones are uneven it resumes nothing and keeps the tag, so the next run resumes them: resumed,
 * AZRebalance would terminate a node undrained at once. Says what it resumed, or left suspended.
 */
export async function resumeAfterRollout(
  autoScaling: AutoScalingClient,
  asgName: string,
  suspendedBefore: string[],
  evenOrNot = false,
): Promise<{ resumed: string[]; leftSuspended: string[] }> {
  // Read now: the caller's terminations just changed the zones' counts.
  const group = await describeGroup(autoScaling, asgName);
  if (!group) return { resumed: [], leftSuspended: [] };
  const resume = processesToResume(suspendedBefore, group.suspendedProcesses);
  const live = group.instances.filter((i) => !/^Terminat/.test(i.lifecycleState));
  if (resume.length > 0 && !evenOrNot && !zonesEven(group.availabilityZones, live))
    return { resumed: [], leftSuspended: resume };
  if (resume.length > 0) {
    await autoScaling.send(
      new ResumeProcessesCommand({ AutoScalingGroupName: group.asgName, ScalingProcesses: resume }),
    );
  }
  if (suspendedByUsTag in group.tags) await untagGroup(autoScaling, group.asgName, suspendedByUsTag);
  return { resumed: resume, leftSuspended: [] };
}

/**
 * Raises desired capacity by the launches that even the zones (Auto Scaling puts each into the zone
 * with the fewest instances), so AZRebalance, once resumed, has nothing to terminate undrained. Counts
 * launches already asked for (desired above the live instances): a retry asks for no more. Says
 * how many it asked for now, and how many the zones wait for (those and the earlier ones).
 */
export async function launchToEven(
  autoScaling: AutoScalingClient,
  asgName: string,
): Promise<{ launched: number; awaited: number; desired: number; maxSize: number }> {
  const group = await describeGroup(autoScaling, asgName);
  if (!group) return { launched: 0, awaited: 0, desired: 0, maxSize: 0 };
  const live = group.instances.filter((i) => !/^Terminat/.test(i.lifecycleState));
  const pending = Math.max(0, group.desired - live.length);
  const launched = launchesToEven(group.availabilityZones, live, pending);
  const desired = group.desired + launched;
  if (launched > 0) await raiseDesiredCapacity(autoScaling, group, desired);
  return { launched, awaited: pending + launched, desired, maxSize: Math.max(group.maxSize, desired) };
}

/** Sets one tag of the group (not propagated to its instances). */
export async function tagGroup(autoScaling: AutoScalingClient, asgName: string, key: string, value: string) {
  await autoScaling.send(
    new CreateOrUpdateTagsCommand({
      Tags: [
        {
          ResourceId: asgName,
          ResourceType: 'auto-scaling-group',
          Key: key,
          Value: value,
          PropagateAtLaunch: false,
        },
      ],
    }),
  );
}

/** Removes one tag of the group; removing an absent tag is not an error. */
export async function untagGroup(autoScaling: AutoScalingClient, asgName: string, key: string) {
  await autoScaling.send(
    new DeleteTagsCommand({ Tags: [{ ResourceId: asgName, ResourceType: 'auto-scaling-group', Key: key }] }),
  );
}

/** Whether an instance refresh of the group is under way (it would replace instances under us). */
export async function instanceRefreshInProgress(
  autoScaling: AutoScalingClient,
  asgName: string,
): Promise<string | undefined> {
  const { InstanceRefreshes } = await autoScaling.send(
    new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: asgName, MaxRecords: 10 }),
  );
  const active = new Set(['Pending', 'InProgress', 'Cancelling', 'RollbackInProgress', 'Baking']);
  return (InstanceRefreshes ?? []).find((refresh) => active.has(refresh.Status ?? ''))?.InstanceRefreshId;
}

export async function setDesiredCapacity(autoScaling: AutoScalingClient, asgName: string, desired: number) {
  await autoScaling.send(
    new SetDesiredCapacityCommand({
      AutoScalingGroupName: asgName,
      DesiredCapacity: desired,
      HonorCooldown: false,
    }),
  );
}

/**
 * Raises the group's desired capacity to `desired` (and its max size with it when needed); never
 * lowers it, so a retry, or a batch whose replacements an earlier step launched, changes nothing.
 */
export async function raiseDesiredCapacity(
  autoScaling: AutoScalingClient,
  current: GroupState,
  desired: number,
): Promise<void> {
  if (current.maxSize < desired) {
    await updateGroup(autoScaling, current.asgName, { maxSize: desired, desired });
  } else if (current.desired < desired) {
    await setDesiredCapacity(autoScaling, current.asgName, desired);
  }
}

/**
 * Terminates through the group, by default decrementing desired so no replacement is launched (a warm
 * pool instance does not count toward desired: `decrement` false).
 */
export async function terminateInstance(
  autoScaling: AutoScalingClient,
  instanceId: string,
  decrement = true,
): Promise<void> {
  await autoScaling.send(
    new TerminateInstanceInAutoScalingGroupCommand({
      InstanceId: instanceId,
      ShouldDecrementDesiredCapacity: decrement,
    }),
  );
}

export interface ScalingActivity {
  status: string;
  message: string;
  startTime: number;
}

/** The group's most recent scaling activities, newest first. */
export async function recentActivities(
  autoScaling: AutoScalingClient,
  asgName: string,
): Promise<ScalingActivity[]> {
  const { Activities } = await autoScaling.send(
    new DescribeScalingActivitiesCommand({ AutoScalingGroupName: asgName, MaxRecords: 20 }),
  );
  return (Activities ?? []).map((a) => ({
    status: a.StatusCode ?? 'unknown',
    message: a.StatusMessage ?? a.Description ?? '',
    startTime: a.StartTime?.getTime() ?? 0,
  }));
}
