import type {
  Activity,
  AutoScalingGroup,
  DescribeAutoScalingGroupsCommandInput,
  DescribeAutoScalingGroupsCommandOutput,
  DescribeScalingActivitiesCommandInput,
  DescribeScalingActivitiesCommandOutput,
  DescribeTagsCommandInput,
  DescribeTagsCommandOutput,
  Filter,
  LifecycleState,
  SetDesiredCapacityCommandInput,
  SetDesiredCapacityCommandOutput,
  TagDescription,
  TerminateInstanceInAutoScalingGroupCommandInput,
  TerminateInstanceInAutoScalingGroupCommandOutput,
  UpdateAutoScalingGroupCommandInput,
  UpdateAutoScalingGroupCommandOutput,
} from '@aws-sdk/client-auto-scaling';
import type { AutoScalingGroupRecord, ScalingActivity } from '../world/autoscaling.ts';
import { account } from '../world/catalog.ts';
import type { InstanceStateName } from '../world/ec2.ts';
import { AwsApiError } from '../world/errors.ts';
import type { World } from '../world.ts';
import { type Answer, modelledParameters, type Operations, page } from './operations.ts';

const lifecycleStates: Record<InstanceStateName, LifecycleState> = {
  pending: 'Pending',
  running: 'InService',
  'shutting-down': 'Terminating',
  terminated: 'Terminated',
};

function tagDescriptions(group: AutoScalingGroupRecord): TagDescription[] {
  return group.tags.map((tag) => ({
    ResourceId: group.name,
    ResourceType: 'auto-scaling-group',
    Key: tag.key,
    Value: tag.value,
    PropagateAtLaunch: tag.propagateAtLaunch,
  }));
}

function groupShape(world: World, group: AutoScalingGroupRecord): AutoScalingGroup {
  const instances = group.instanceIds.flatMap((id) => world.ec2.instances.get(id) ?? []);
  return {
    AutoScalingGroupName: group.name,
    AutoScalingGroupARN: group.arn,
    LaunchTemplate: {
      LaunchTemplateId: group.launchTemplate.id,
      LaunchTemplateName: group.launchTemplate.name,
      Version: group.launchTemplate.version,
    },
    MinSize: group.minSize,
    MaxSize: group.maxSize,
    DesiredCapacity: group.desiredCapacity,
    DefaultCooldown: 300,
    AvailabilityZones: group.availabilityZones,
    LoadBalancerNames: [],
    TargetGroupARNs: [],
    HealthCheckType: 'EC2',
    HealthCheckGracePeriod: 300,
    Instances: instances.map((instance) => ({
      InstanceId: instance.id,
      InstanceType: instance.instanceType,
      AvailabilityZone: instance.availabilityZone,
      LifecycleState: lifecycleStates[instance.state],
      HealthStatus: 'Healthy',
      LaunchTemplate: {
        LaunchTemplateId: instance.launchTemplate.id,
        LaunchTemplateName: instance.launchTemplate.name,
        Version: String(instance.launchTemplate.version),
      },
      ProtectedFromScaleIn: false,
    })),
    CreatedTime: group.createdTime,
    SuspendedProcesses: [],
    VPCZoneIdentifier: [...group.subnetByZone.values()].join(','),
    EnabledMetrics: [],
    Tags: tagDescriptions(group),
    TerminationPolicies: ['Default'],
    NewInstancesProtectedFromScaleIn: false,
    ServiceLinkedRoleARN: `arn:aws:iam::${account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
    CapacityRebalance: false,
    TrafficSources: [],
  };
}

function activityShape(group: AutoScalingGroupRecord, activity: ScalingActivity): Activity {
  return {
    ActivityId: activity.id,
    AutoScalingGroupName: activity.groupName,
    AutoScalingGroupARN: group.arn,
    Description: activity.description,
    Cause: activity.cause,
    StartTime: activity.startTime,
    EndTime: activity.endTime,
    StatusCode: activity.statusCode,
    StatusMessage: activity.statusMessage,
    Progress: activity.endTime === undefined ? 50 : 100,
    Details: activity.details,
  };
}

/** Auto Scaling's tag filters on groups: `tag:<key>`, `tag-key`, `tag-value`. */
function groupMatches(group: AutoScalingGroupRecord, filters: Filter[] | undefined): boolean {
  return (filters ?? []).every(({ Name = '', Values = [] }) => {
    if (Name.startsWith('tag:'))
      return group.tags.some((tag) => tag.key === Name.slice(4) && Values.includes(tag.value));
    if (Name === 'tag-key') return group.tags.some((tag) => Values.includes(tag.key));
    if (Name === 'tag-value') return group.tags.some((tag) => Values.includes(tag.value));
    throw new AwsApiError('ValidationError', `Filter name ${Name} is not valid.`);
  });
}

/** DescribeTags' filters: `auto-scaling-group`, `key`, `value`, `propagate-at-launch`. */
function tagMatches(tag: TagDescription, filters: Filter[] | undefined): boolean {
  const fields: Record<string, string> = {
    'auto-scaling-group': tag.ResourceId ?? '',
    key: tag.Key ?? '',
    value: tag.Value ?? '',
    'propagate-at-launch': String(tag.PropagateAtLaunch),
  };
  return (filters ?? []).every(({ Name = '', Values = [] }) => {
    const field = fields[Name];
    if (field === undefined) throw new AwsApiError('ValidationError', `Filter name ${Name} is not valid.`);
    return Values.includes(field);
  });
}

export function autoScalingOperations(world: World): Operations {
  const { autoScaling } = world;
  const groupNameOf = (asgName: string) => autoScaling.group(asgName).nodeGroupName;

  return {
    DescribeAutoScalingGroups(
      input: DescribeAutoScalingGroupsCommandInput,
    ): Answer<DescribeAutoScalingGroupsCommandOutput> {
      modelledParameters('autoscaling:DescribeAutoScalingGroups', input, [
        'AutoScalingGroupNames',
        'Filters',
        'MaxRecords',
        'NextToken',
      ]);
      const named = input.AutoScalingGroupNames;
      const groups = [...autoScaling.groups.values()].filter(
        (group) => (named === undefined || named.includes(group.name)) && groupMatches(group, input.Filters),
      );
      const { items, nextToken } = page(
        groups,
        { maxResults: input.MaxRecords, nextToken: input.NextToken },
        'InvalidNextToken',
        50,
      );
      return { AutoScalingGroups: items.map((group) => groupShape(world, group)), NextToken: nextToken };
    },

    DescribeTags(input: DescribeTagsCommandInput): Answer<DescribeTagsCommandOutput> {
      modelledParameters('autoscaling:DescribeTags', input, ['Filters', 'MaxRecords', 'NextToken']);
      const tags = [...autoScaling.groups.values()]
        .flatMap(tagDescriptions)
        .filter((tag) => tagMatches(tag, input.Filters));
      const { items, nextToken } = page(
        tags,
        { maxResults: input.MaxRecords, nextToken: input.NextToken },
        'InvalidNextToken',
        50,
      );
      return { Tags: items, NextToken: nextToken };
    },

    DescribeScalingActivities(
      input: DescribeScalingActivitiesCommandInput,
    ): Answer<DescribeScalingActivitiesCommandOutput> {
      modelledParameters('autoscaling:DescribeScalingActivities', input, [
        'AutoScalingGroupName',
        'ActivityIds',
        'MaxRecords',
        'NextToken',
      ]);
      const groups = [...autoScaling.groups.values()].filter(
        (group) => input.AutoScalingGroupName === undefined || group.name === input.AutoScalingGroupName,
      );
      const activities = groups
        .flatMap((group) => group.activities.map((activity) => activityShape(group, activity)))
        .filter(
          (activity) =>
            input.ActivityIds === undefined || input.ActivityIds.includes(activity.ActivityId ?? ''),
        )
        .sort((a, b) => (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0));
      const { items, nextToken } = page(
        activities,
        { maxResults: input.MaxRecords, nextToken: input.NextToken },
        'InvalidNextToken',
        100,
      );
      return { Activities: items, NextToken: nextToken };
    },

    UpdateAutoScalingGroup(
      input: UpdateAutoScalingGroupCommandInput,
    ): Answer<UpdateAutoScalingGroupCommandOutput> {
      modelledParameters('autoscaling:UpdateAutoScalingGroup', input, [
        'AutoScalingGroupName',
        'LaunchTemplate',
        'MinSize',
        'MaxSize',
        'DesiredCapacity',
      ]);
      const name = input.AutoScalingGroupName ?? '';
      let launchTemplate: AutoScalingGroupRecord['launchTemplate'] | undefined;
      if (input.LaunchTemplate !== undefined) {
        const template = world.ec2.launchTemplate(input.LaunchTemplate);
        const version = input.LaunchTemplate.Version ?? '$Default';
        world.ec2.resolveVersion(template, version);
        launchTemplate = { id: template.id, name: template.name, version };
      }
      autoScaling.update(name, {
        launchTemplate,
        minSize: input.MinSize,
        maxSize: input.MaxSize,
        desiredCapacity: input.DesiredCapacity,
      });
      world.touch(groupNameOf(name), 'UpdateAutoScalingGroup', name);
      return {};
    },

    SetDesiredCapacity(input: SetDesiredCapacityCommandInput): Answer<SetDesiredCapacityCommandOutput> {
      modelledParameters('autoscaling:SetDesiredCapacity', input, [
        'AutoScalingGroupName',
        'DesiredCapacity',
        'HonorCooldown',
      ]);
      const name = input.AutoScalingGroupName ?? '';
      if (input.DesiredCapacity === undefined) {
        throw new AwsApiError(
          'ValidationError',
          "1 validation error detected: Value null at 'desiredCapacity' failed to satisfy constraint: Member must not be null",
        );
      }
      autoScaling.setDesiredCapacity(name, input.DesiredCapacity);
      world.touch(groupNameOf(name), 'SetDesiredCapacity', name);
      return {};
    },

    TerminateInstanceInAutoScalingGroup(
      input: TerminateInstanceInAutoScalingGroupCommandInput,
    ): Answer<TerminateInstanceInAutoScalingGroupCommandOutput> {
      modelledParameters('autoscaling:TerminateInstanceInAutoScalingGroup', input, [
        'InstanceId',
        'ShouldDecrementDesiredCapacity',
      ]);
      const instanceId = input.InstanceId ?? '';
      const activity = autoScaling.terminateInstance(instanceId, input.ShouldDecrementDesiredCapacity);
      const group = autoScaling.group(activity.groupName);
      world.touch(group.nodeGroupName, 'TerminateInstanceInAutoScalingGroup', instanceId);
      return { Activity: activityShape(group, activity) };
    },
  };
}
