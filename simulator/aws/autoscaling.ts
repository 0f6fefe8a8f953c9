import type {
  Activity,
  AutoScalingGroup,
  CreateOrUpdateTagsCommandInput,
  CreateOrUpdateTagsCommandOutput,
  DeleteTagsCommandInput,
  DeleteTagsCommandOutput,
  DescribeAutoScalingGroupsCommandInput,
  DescribeAutoScalingGroupsCommandOutput,
  DescribeInstanceRefreshesCommandInput,
  DescribeInstanceRefreshesCommandOutput,
  DescribeScalingActivitiesCommandInput,
  DescribeScalingActivitiesCommandOutput,
  DescribeTagsCommandInput,
  DescribeTagsCommandOutput,
  DescribeWarmPoolCommandInput,
  DescribeWarmPoolCommandOutput,
  Filter,
  Instance,
  LifecycleState,
  ResumeProcessesCommandInput,
  ResumeProcessesCommandOutput,
  SetDesiredCapacityCommandInput,
  SetDesiredCapacityCommandOutput,
  SuspendProcessesCommandInput,
  SuspendProcessesCommandOutput,
  Tag,
  TagDescription,
  TerminateInstanceInAutoScalingGroupCommandInput,
  TerminateInstanceInAutoScalingGroupCommandOutput,
  UpdateAutoScalingGroupCommandInput,
  UpdateAutoScalingGroupCommandOutput,
} from '@aws-sdk/client-auto-scaling';
import { type AutoScalingGroupRecord, type ScalingActivity, scalingProcesses } from '../world/autoscaling.ts';
import { account } from '../world/catalog.ts';
import type { InstanceRecord, InstanceStateName } from '../world/ec2.ts';
import { AwsApiError, SimulatorGap } from '../world/errors.ts';
import type { World } from '../world.ts';
import { type Answer, modelledParameters, type Operations, page } from './operations.ts';

const lifecycleStates: Record<InstanceStateName, LifecycleState> = {
  pending: 'Pending',
  running: 'InService',
  'shutting-down': 'Terminating',
  terminated: 'Terminated',
  // A group's own instances are never stopped; its warm pool's are reported by DescribeWarmPool.
  stopping: 'Warmed:Stopped',
  stopped: 'Warmed:Stopped',
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

function templateShape(template: { id: string; name: string; version: string | number } | undefined) {
  return template === undefined
    ? undefined
    : { LaunchTemplateId: template.id, LaunchTemplateName: template.name, Version: String(template.version) };
}

function instanceShape(
  group: AutoScalingGroupRecord,
  instance: InstanceRecord,
  state: LifecycleState,
): Instance {
  return {
    InstanceId: instance.id,
    InstanceType: instance.instanceType,
    AvailabilityZone: instance.availabilityZone,
    LifecycleState: state,
    HealthStatus: 'Healthy',
    LaunchTemplate: templateShape(instance.launchTemplate),
    LaunchConfigurationName:
      instance.launchTemplate === undefined ? group.launchConfigurationName : undefined,
    ProtectedFromScaleIn: false,
  };
}

function groupShape(world: World, group: AutoScalingGroupRecord): AutoScalingGroup {
  const instances = group.instanceIds.flatMap((id) => world.ec2.instances.get(id) ?? []);
  const template = templateShape(group.launchTemplate);
  return {
    AutoScalingGroupName: group.name,
    AutoScalingGroupARN: group.arn,
    // A group names its template once: directly, or inside its MixedInstancesPolicy.
    LaunchTemplate: group.mixedInstances === undefined ? template : undefined,
    MixedInstancesPolicy:
      group.mixedInstances === undefined
        ? undefined
        : {
            LaunchTemplate: {
              LaunchTemplateSpecification: template,
              Overrides: group.mixedInstances.instanceTypes.map((InstanceType) => ({ InstanceType })),
            },
            InstancesDistribution: {
              OnDemandAllocationStrategy: 'prioritized',
              OnDemandBaseCapacity: 0,
              OnDemandPercentageAboveBaseCapacity: 100,
              SpotAllocationStrategy: 'lowest-price',
            },
          },
    LaunchConfigurationName: group.launchConfigurationName,
    MinSize: group.minSize,
    MaxSize: group.maxSize,
    DesiredCapacity: group.desiredCapacity,
    DefaultCooldown: 300,
    AvailabilityZones: group.availabilityZones,
    LoadBalancerNames: [],
    TargetGroupARNs: [],
    HealthCheckType: 'EC2',
    HealthCheckGracePeriod: 300,
    Instances: instances.map((instance) =>
      instanceShape(
        group,
        instance,
        group.lifecycleHolds.stateOf(instance.id) ?? lifecycleStates[instance.state],
      ),
    ),
    CreatedTime: group.createdTime,
    SuspendedProcesses: [...group.suspendedProcesses].map(([ProcessName, { at }]) => ({
      ProcessName,
      SuspensionReason: `User suspended at ${at.toISOString().replace(/\.\d{3}Z$/, 'Z')}`,
    })),
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

/** SuspendProcesses and ResumeProcesses refuse a name that is not a process. */
function validProcesses(processes: string[] | undefined): string[] {
  const unknown = (processes ?? []).filter(
    (process) => !(scalingProcesses as readonly string[]).includes(process),
  );
  if (unknown.length > 0) {
    throw new AwsApiError('ValidationError', `Process names are not valid: ${unknown.join(', ')}`);
  }
  return processes ?? [];
}

export function autoScalingOperations(world: World): Operations {
  const { autoScaling } = world;
  const groupNameOf = (asgName: string) => autoScaling.group(asgName).nodeGroupName;
  /** Tags name their group by ResourceId; only `auto-scaling-group` resources exist. */
  const taggedGroups = (tags: Tag[] | undefined) =>
    (tags ?? []).map((tag) => {
      if (tag.ResourceType !== 'auto-scaling-group' || tag.Key === undefined) {
        throw new AwsApiError(
          'ValidationError',
          'A tag needs ResourceType auto-scaling-group, ResourceId and Key.',
        );
      }
      return { group: autoScaling.group(tag.ResourceId ?? ''), tag };
    });

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
        'MixedInstancesPolicy',
        'MinSize',
        'MaxSize',
        'DesiredCapacity',
      ]);
      const name = input.AutoScalingGroupName ?? '';
      const group = autoScaling.group(name);
      const mixed = input.MixedInstancesPolicy;
      if (input.LaunchTemplate !== undefined && mixed !== undefined) {
        throw new AwsApiError(
          'ValidationError',
          'Valid requests must contain either LaunchTemplate, LaunchConfigurationName or MixedInstancesPolicy parameter.',
        );
      }
      if (mixed !== undefined && group.mixedInstances === undefined) {
        throw new SimulatorGap('autoscaling:UpdateAutoScalingGroup adding a MixedInstancesPolicy to a group');
      }
      const specification = input.LaunchTemplate ?? mixed?.LaunchTemplate?.LaunchTemplateSpecification;
      let launchTemplate: NonNullable<AutoScalingGroupRecord['launchTemplate']> | undefined;
      if (specification !== undefined) {
        const template = world.ec2.launchTemplate(specification);
        const version = specification.Version ?? '$Default';
        world.ec2.resolveVersion(template, version);
        launchTemplate = { id: template.id, name: template.name, version };
      }
      // A plain LaunchTemplate replaces a MixedInstancesPolicy: the group loses its overrides.
      if (input.LaunchTemplate !== undefined) group.mixedInstances = undefined;
      const overrides = mixed?.LaunchTemplate?.Overrides;
      const before = autoScaling.group(name).desiredCapacity;
      autoScaling.update(name, {
        launchTemplate,
        mixedInstanceTypes: overrides?.flatMap((override) => override.InstanceType ?? []),
        minSize: input.MinSize,
        maxSize: input.MaxSize,
        desiredCapacity: input.DesiredCapacity,
      });
      world.touch(groupNameOf(name), 'UpdateAutoScalingGroup', name);
      if (autoScaling.group(name).desiredCapacity > before) world.deadlines.surged(groupNameOf(name));
      return {};
    },

    SuspendProcesses(input: SuspendProcessesCommandInput): Answer<SuspendProcessesCommandOutput> {
      modelledParameters('autoscaling:SuspendProcesses', input, ['AutoScalingGroupName', 'ScalingProcesses']);
      const name = input.AutoScalingGroupName ?? '';
      autoScaling.suspendProcesses(name, validProcesses(input.ScalingProcesses));
      world.touch(groupNameOf(name), 'SuspendProcesses', name);
      return {};
    },

    ResumeProcesses(input: ResumeProcessesCommandInput): Answer<ResumeProcessesCommandOutput> {
      modelledParameters('autoscaling:ResumeProcesses', input, ['AutoScalingGroupName', 'ScalingProcesses']);
      const name = input.AutoScalingGroupName ?? '';
      autoScaling.resumeProcesses(name, validProcesses(input.ScalingProcesses));
      world.touch(groupNameOf(name), 'ResumeProcesses', name);
      return {};
    },

    CreateOrUpdateTags(input: CreateOrUpdateTagsCommandInput): Answer<CreateOrUpdateTagsCommandOutput> {
      modelledParameters('autoscaling:CreateOrUpdateTags', input, ['Tags']);
      for (const { group, tag } of taggedGroups(input.Tags)) {
        group.tags = [
          ...group.tags.filter((existing) => existing.key !== tag.Key),
          { key: tag.Key ?? '', value: tag.Value ?? '', propagateAtLaunch: tag.PropagateAtLaunch ?? false },
        ];
        world.touch(group.nodeGroupName, 'CreateOrUpdateTags', group.name);
      }
      return {};
    },

    DeleteTags(input: DeleteTagsCommandInput): Answer<DeleteTagsCommandOutput> {
      modelledParameters('autoscaling:DeleteTags', input, ['Tags']);
      for (const { group, tag } of taggedGroups(input.Tags)) {
        group.tags = group.tags.filter((existing) => existing.key !== tag.Key);
        world.touch(group.nodeGroupName, 'DeleteTags', group.name);
      }
      return {};
    },

    DescribeInstanceRefreshes(
      input: DescribeInstanceRefreshesCommandInput,
    ): Answer<DescribeInstanceRefreshesCommandOutput> {
      modelledParameters('autoscaling:DescribeInstanceRefreshes', input, [
        'AutoScalingGroupName',
        'InstanceRefreshIds',
        'MaxRecords',
        'NextToken',
      ]);
      const group = autoScaling.group(input.AutoScalingGroupName ?? '');
      const refreshes = group.instanceRefreshInProgress
        ? [
            {
              InstanceRefreshId: group.instanceRefreshInProgress,
              AutoScalingGroupName: group.name,
              Status: 'InProgress' as const,
              StatusReason: 'Waiting for instances to warm up before continuing.',
              StartTime: new Date(world.scheduler.now() - 1_200_000),
              PercentageComplete: 25,
              InstancesToUpdate: group.instanceIds.length,
            },
          ]
        : [];
      return { InstanceRefreshes: refreshes };
    },

    /** The warm pool's configuration (default size: max size − desired) and its instances; none: both empty. */
    DescribeWarmPool(input: DescribeWarmPoolCommandInput): Answer<DescribeWarmPoolCommandOutput> {
      modelledParameters('autoscaling:DescribeWarmPool', input, [
        'AutoScalingGroupName',
        'MaxRecords',
        'NextToken',
      ]);
      const group = autoScaling.group(input.AutoScalingGroupName ?? '');
      const pool = group.warmPool;
      if (pool === undefined) return { Instances: [] };
      const { items, nextToken } = page(
        pool.instances(),
        { maxResults: input.MaxRecords, nextToken: input.NextToken },
        'InvalidNextToken',
        50,
      );
      return {
        WarmPoolConfiguration: { MinSize: pool.minSize, PoolState: 'Stopped' },
        Instances: items.map(({ instance, state }) => instanceShape(group, instance, state)),
        NextToken: nextToken,
      };
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
      const before = autoScaling.group(name).desiredCapacity;
      autoScaling.setDesiredCapacity(name, input.DesiredCapacity);
      world.touch(groupNameOf(name), 'SetDesiredCapacity', name);
      if (input.DesiredCapacity > before) world.deadlines.surged(groupNameOf(name));
      if (input.DesiredCapacity < before) world.deadlines.surgeWithdrawn(groupNameOf(name));
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
      const node = world.ec2.instances.get(instanceId)?.privateDnsName;
      if (input.ShouldDecrementDesiredCapacity) world.deadlines.surgeWithdrawn(group.nodeGroupName, node);
      if (node !== undefined) world.deadlines.drainOver(group.nodeGroupName, node);
      return { Activity: activityShape(group, activity) };
    },
  };
}
