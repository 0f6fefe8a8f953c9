import {
  type AutoScalingClient,
  type AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  type Filter,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';

export interface GroupState {
  asgName: string;
  minSize: number;
  maxSize: number;
  desired: number;
  launchTemplate: { id: string; version: string } | undefined;
  instances: { instanceId: string; lifecycleState: string; availabilityZone: string }[];
  tags: Record<string, string>;
}

const toGroupState = (group: AutoScalingGroup): GroupState => ({
  asgName: group.AutoScalingGroupName ?? '',
  minSize: group.MinSize ?? 0,
  maxSize: group.MaxSize ?? 0,
  desired: group.DesiredCapacity ?? 0,
  launchTemplate: group.LaunchTemplate?.LaunchTemplateId
    ? { id: group.LaunchTemplate.LaunchTemplateId, version: group.LaunchTemplate.Version ?? '$Default' }
    : undefined,
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
  change: { launchTemplate?: { id: string; version: string }; maxSize?: number; desired?: number },
): Promise<void> {
  await autoScaling.send(
    new UpdateAutoScalingGroupCommand({
      AutoScalingGroupName: asgName,
      LaunchTemplate: change.launchTemplate
        ? { LaunchTemplateId: change.launchTemplate.id, Version: change.launchTemplate.version }
        : undefined,
      MaxSize: change.maxSize,
      DesiredCapacity: change.desired,
    }),
  );
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

/** Terminates through the group, decrementing desired so no replacement is launched. */
export async function terminateInstance(autoScaling: AutoScalingClient, instanceId: string): Promise<void> {
  await autoScaling.send(
    new TerminateInstanceInAutoScalingGroupCommand({
      InstanceId: instanceId,
      ShouldDecrementDesiredCapacity: true,
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
