import { holdForRebalance, type RebalanceHost, rebalance, rebalanceTermination } from './az-rebalance.ts';
import type { Scheduler } from './clock.ts';
import { compareTuples } from './compare.ts';
import type { Ec2, InstanceRecord } from './ec2.ts';
import { AwsApiError } from './errors.ts';
import type { Faults } from './faults.ts';
import type { Ids } from './ids.ts';
import type { LifecycleHolds } from './lifecycle-hooks.ts';
import type { Timeline } from './timeline.ts';
import { WarmPool, type WarmPoolSpec } from './warm-pool.ts';

export interface AutoScalingTag {
  key: string;
  value: string;
  propagateAtLaunch: boolean;
}

export interface ScalingActivity {
  id: string;
  groupName: string;
  description: string;
  cause: string;
  details: string;
  startTime: Date;
  endTime: Date | undefined;
  statusCode: 'InProgress' | 'Successful' | 'Failed';
  statusMessage: string | undefined;
}

export interface AutoScalingGroupRecord {
  name: string;
  arn: string;
  /** The scenario's node group this Auto Scaling group carries. */
  nodeGroupName: string;
  /** The group's own template, or the template of its MixedInstancesPolicy; undefined with a launch configuration. */
  launchTemplate: { id: string; name: string; version: string } | undefined;
  /** The template sits in a MixedInstancesPolicy with these instance type overrides, in priority order. */
  mixedInstances: { instanceTypes: string[] } | undefined;
  launchConfigurationName: string | undefined;
  /** Suspended processes by name, each with who suspended it (the scenario's owner, or an API call) and when. */
  suspendedProcesses: Map<string, { by: 'scenario' | 'api'; at: Date }>;
  /** The id of an instance refresh started outside the rollout and still running. */
  instanceRefreshInProgress: string | undefined;
  /** Instances its lifecycle hooks hold in Pending:Wait or Terminating:Wait (lifecycle-hooks.ts). */
  lifecycleHolds: LifecycleHolds;
  /** The group's warm pool, if it has one (warm-pool.ts). */
  warmPool: WarmPool | undefined;
  /** The instance AZRebalance launched and has not yet balanced by a termination (az-rebalance.ts). */
  rebalanceLaunch: string | undefined;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  availabilityZones: string[];
  subnetByZone: Map<string, string>;
  tags: AutoScalingTag[];
  createdTime: Date;
  /** Instances in the group until they are terminated, in launch order. */
  instanceIds: string[];
  /** Newest last. */
  activities: ScalingActivity[];
  reconcileScheduled: boolean;
  launchRetrySeconds: number;
}

/** What one launch uses, resolved at launch from the template version or launch configuration. */
export interface LaunchSpec {
  imageId: string;
  instanceType: string | undefined;
  launchTemplate: { id: string; name: string; version: number } | undefined;
  tagSpecifications: { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[];
}

/** Launching and terminating instances, with everything that follows (boot, node, shutdown). */
export interface InstanceFleet {
  launch(group: AutoScalingGroupRecord, zone: string, spec: LaunchSpec): InstanceRecord;
  /** Into a warm pool: first boot, then stopped. */
  prepare(
    group: AutoScalingGroupRecord,
    zone: string,
    spec: LaunchSpec,
    whenStopped: () => void,
  ): InstanceRecord;
  /** A stopped warm pool instance started into its group. */
  resume(instance: InstanceRecord, bootSeconds: number): void;
  coldBootSeconds(): number;
  terminate(instance: InstanceRecord, whenTerminated: () => void): void;
}

export interface AutoScalingOptions {
  scheduler: Scheduler;
  timeline: Timeline;
  ids: Ids;
  ec2: Ec2;
  faults: Faults;
  fleet: InstanceFleet;
  /** How long the group takes to act on a difference between desired and actual capacity. */
  reactionSeconds: number;
  onChanged: () => void;
}

const firstLaunchRetrySeconds = 10;

/** Every process SuspendProcesses knows; none named means all of them. */
export const scalingProcesses = [
  'Launch',
  'Terminate',
  'AddToLoadBalancer',
  'AlarmNotification',
  'AZRebalance',
  'HealthCheck',
  'InstanceRefresh',
  'ReplaceUnhealthy',
  'ScheduledActions',
] as const;
const maxLaunchRetrySeconds = 300;

const validationError = (message: string) => new AwsApiError('ValidationError', message);

/** How many of these instances each zone holds, in one pass (a launch or scale-in looks at every instance once). */
function instancesPerZone(live: InstanceRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { availabilityZone } of live)
    counts.set(availabilityZone, (counts.get(availabilityZone) ?? 0) + 1);
  return counts;
}

/** The zone with the fewest live instances; the first of the group's zones on a tie. */
function leastPopulatedZone(zones: string[], live: InstanceRecord[]): string {
  const counts = instancesPerZone(live);
  const count = (zone: string) => counts.get(zone) ?? 0;
  return zones.reduce((best, zone) => (count(zone) < count(best) ? zone : best));
}

/** Auto Scaling: groups that keep their desired capacity, and the API's validation rules. */
export class AutoScaling {
  readonly groups = new Map<string, AutoScalingGroupRecord>();

  constructor(private readonly options: AutoScalingOptions) {}

  private get now() {
    return new Date(this.options.scheduler.now());
  }

  add(group: AutoScalingGroupRecord): void {
    this.groups.set(group.name, group);
  }

  /** The group by name; the API's ValidationError otherwise. */
  group(name: string): AutoScalingGroupRecord {
    const group = this.groups.get(name);
    if (group === undefined)
      throw validationError(`AutoScalingGroup name not found - AutoScalingGroup ${name} not found`);
    return group;
  }

  groupOfInstance(instanceId: string): AutoScalingGroupRecord | undefined {
    return [...this.groups.values()].find((group) => group.instanceIds.includes(instanceId));
  }

  /** Pending or InService: what counts toward the desired capacity. */
  liveInstances(group: AutoScalingGroupRecord): InstanceRecord[] {
    return group.instanceIds
      .map((id) => this.options.ec2.instances.get(id))
      .filter(
        (instance): instance is InstanceRecord =>
          (instance?.state === 'pending' || instance?.state === 'running') &&
          group.lifecycleHolds.stateOf(instance.id) !== 'Terminating:Wait',
      );
  }

  setDesiredCapacity(name: string, desired: number): void {
    const group = this.group(name);
    if (desired > group.maxSize) {
      throw validationError(
        `New SetDesiredCapacity value ${desired} is above max value ${group.maxSize} for the AutoScalingGroup.`,
      );
    }
    if (desired < group.minSize) {
      throw validationError(
        `New SetDesiredCapacity value ${desired} is below min value ${group.minSize} for the AutoScalingGroup.`,
      );
    }
    this.changeDesired(group, desired, 'SetDesiredCapacity');
  }

  /**
   * UpdateAutoScalingGroup: a new MinSize above the desired capacity raises it, a new MaxSize below it
   * lowers it (as documented); an explicit DesiredCapacity must fit the new bounds.
   */
  update(
    name: string,
    change: {
      launchTemplate?: { id: string; name: string; version: string };
      /** The MixedInstancesPolicy's overrides, when the update gives them. */
      mixedInstanceTypes?: string[];
      minSize?: number;
      maxSize?: number;
      desiredCapacity?: number;
    },
  ): void {
    const group = this.group(name);
    const minSize = change.minSize ?? group.minSize;
    const maxSize = change.maxSize ?? group.maxSize;
    if (minSize > maxSize)
      throw validationError(`Max bound, ${maxSize}, must be greater than or equal to min bound, ${minSize}`);
    let desired = change.desiredCapacity ?? group.desiredCapacity;
    if (change.desiredCapacity === undefined) desired = Math.min(Math.max(desired, minSize), maxSize);
    if (desired < minSize || desired > maxSize) {
      throw validationError(
        `Desired capacity:${desired} must be between the specified min size:${minSize} and max size:${maxSize}`,
      );
    }
    if (change.launchTemplate !== undefined) {
      if (group.launchConfigurationName !== undefined) group.launchConfigurationName = undefined;
      group.launchTemplate = change.launchTemplate;
    }
    if (change.mixedInstanceTypes !== undefined && group.mixedInstances !== undefined)
      group.mixedInstances = { instanceTypes: change.mixedInstanceTypes };
    group.minSize = minSize;
    group.maxSize = maxSize;
    this.changeDesired(group, desired, 'UpdateAutoScalingGroup');
  }

  /** TerminateInstanceInAutoScalingGroup: the instance goes; with decrement the group shrinks, else it is replaced. */
  terminateInstance(instanceId: string, decrement: boolean | undefined): ScalingActivity {
    if (decrement === undefined) {
      throw validationError(
        "1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to satisfy constraint: Member must not be null",
      );
    }
    const pooled = this.terminatePoolInstance(instanceId);
    if (pooled !== undefined) return pooled;
    const group = this.groupOfInstance(instanceId);
    const instance = this.options.ec2.instances.get(instanceId);
    if (group === undefined || instance === undefined) {
      throw validationError(
        `Instance Id not found - No managed instance found for instance ID: ${instanceId}`,
      );
    }
    const leaving = group.lifecycleHolds.stateOf(instanceId) === 'Terminating:Wait';
    if ((instance.state !== 'pending' && instance.state !== 'running') || leaving) {
      throw validationError(`The instance ${instanceId} is not in InService or Standby.`);
    }
    const before = group.desiredCapacity;
    if (decrement && before - 1 < group.minSize) {
      throw validationError(
        `Currently, desiredCapacity=${before} and minSize=${group.minSize}. Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size constraint.`,
      );
    }
    const at = this.now.toISOString();
    const cause = decrement
      ? `At ${at} instance ${instanceId} was taken out of service in response to a user request, shrinking the capacity from ${before} to ${before - 1}.`
      : `At ${at} instance ${instanceId} was taken out of service in response to a user request.`;
    if (decrement) group.desiredCapacity = before - 1;
    const activity = this.terminate(group, instance, cause);
    this.options.timeline.record('AutoScalingGroupUpdated', {
      group: group.name,
      action: 'TerminateInstanceInAutoScalingGroup',
      instanceId,
      desiredCapacity: group.desiredCapacity,
    });
    this.scheduleReconcile(group);
    this.options.onChanged();
    return activity;
  }

  /** Gives the group a warm pool (the scenario's); its instances come from `maintain` or `adopt`. */
  attachWarmPool(group: AutoScalingGroupRecord, spec: WarmPoolSpec): WarmPool {
    const { fleet, timeline } = this.options;
    group.warmPool = new WarmPool(spec, {
      prepare: (zone, whenStopped) => {
        const launch = this.launchFailure(group, zone);
        if (typeof launch === 'string') return launch;
        const instance = fleet.prepare(group, zone, launch, whenStopped);
        this.addActivity(group, {
          description: `Launching a new EC2 instance into warm pool: ${instance.id}`,
          cause: `At ${this.now.toISOString()} an instance was launched in response to a warm pool below its size.`,
          details: JSON.stringify({ 'Subnet ID': group.subnetByZone.get(zone), 'Availability Zone': zone }),
          statusCode: 'Successful',
          statusMessage: undefined,
          ended: true,
        });
        return instance;
      },
      resume: (instance, seconds) => fleet.resume(instance, seconds),
      terminate: (instance, whenTerminated) => fleet.terminate(instance, whenTerminated),
      coldBootSeconds: () => fleet.coldBootSeconds(),
      record: (event, detail) => timeline.record(event, { group: group.nodeGroupName, ...detail }),
    });
    return group.warmPool;
  }

  /** TerminateInstanceInAutoScalingGroup on a warm pool instance: it goes, the pool refills; desired is the live group's. */
  private terminatePoolInstance(instanceId: string): ScalingActivity | undefined {
    const group = [...this.groups.values()].find((g) => g.warmPool?.stateOf(instanceId) !== undefined);
    const instance = this.options.ec2.instances.get(instanceId);
    if (group?.warmPool === undefined || instance === undefined) return undefined;
    const activity = this.terminationActivity(
      group,
      instance,
      `At ${this.now.toISOString()} instance ${instanceId} was taken out of the warm pool in response to a user request.`,
    );
    const going = group.warmPool.terminate(instanceId, () => this.terminated(activity));
    if (!going) throw validationError(`The instance ${instanceId} is not in InService or Standby.`);
    this.options.timeline.record('AutoScalingGroupUpdated', {
      group: group.name,
      action: 'TerminateInstanceInAutoScalingGroup',
      instanceId,
      warmPool: true,
    });
    this.scheduleReconcile(group);
    this.options.onChanged();
    return activity;
  }

  private changeDesired(group: AutoScalingGroupRecord, desired: number, action: string): void {
    const before = group.desiredCapacity;
    group.desiredCapacity = desired;
    this.options.timeline.record('AutoScalingGroupUpdated', {
      group: group.name,
      action,
      minSize: group.minSize,
      maxSize: group.maxSize,
      desiredCapacity: desired,
      previousDesiredCapacity: before,
      launchTemplateVersion: group.launchTemplate?.version,
    });
    this.scheduleReconcile(group);
    this.options.onChanged();
  }

  private scheduleReconcile(
    group: AutoScalingGroupRecord,
    delaySeconds = this.options.reactionSeconds,
  ): void {
    if (group.reconcileScheduled) return;
    group.reconcileScheduled = true;
    this.options.scheduler.after(delaySeconds, () => {
      group.reconcileScheduled = false;
      this.reconcile(group);
      this.options.onChanged();
    });
  }

  /** SuspendProcesses: none named means all. */
  suspendProcesses(name: string, processes: readonly string[]): void {
    const group = this.group(name);
    for (const process of processes.length === 0 ? scalingProcesses : processes) {
      if (!group.suspendedProcesses.has(process))
        group.suspendedProcesses.set(process, { by: 'api', at: this.now });
    }
    this.options.timeline.record('ProcessesSuspended', { group: group.name, processes: [...processes] });
  }

  /** ResumeProcesses: none named means all; resuming lets the group act on what it deferred. */
  resumeProcesses(name: string, processes: readonly string[]): void {
    const group = this.group(name);
    for (const process of processes.length === 0 ? scalingProcesses : processes) {
      group.suspendedProcesses.delete(process);
    }
    this.options.timeline.record('ProcessesResumed', { group: group.name, processes: [...processes] });
    this.scheduleReconcile(group);
  }

  /** Processes the API suspended (the service, not the scenario) and still suspended. */
  processesSuspendedByApi(group: AutoScalingGroupRecord): string[] {
    return [...group.suspendedProcesses].flatMap(([process, { by }]) => (by === 'api' ? [process] : []));
  }

  /** The AMI a launch would use now, or undefined when a launch would fail to resolve one. */
  effectiveImageId(group: AutoScalingGroupRecord): string | undefined {
    const spec = this.launchSpec(group);
    return typeof spec === 'string' ? undefined : spec.imageId;
  }

  /**
   * Launches or terminates until the live instances match the desired capacity, as far as the
   * suspended processes allow; then AZRebalance.
   * https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-suspend-resume-processes.html
   */
  private reconcile(group: AutoScalingGroupRecord): void {
    const suspended = (process: string) => group.suspendedProcesses.has(process);
    const host = this.rebalanceHost(group);
    let live = this.liveInstances(group);
    if (holdForRebalance(group, live, host)) return;
    while (live.length < group.desiredCapacity && !suspended('Launch')) {
      if (this.launchOne(group, live) === undefined) {
        this.scheduleReconcile(group, group.launchRetrySeconds);
        group.launchRetrySeconds = Math.min(group.launchRetrySeconds * 2, maxLaunchRetrySeconds);
        return;
      }
      group.launchRetrySeconds = firstLaunchRetrySeconds;
      live = this.liveInstances(group);
    }
    while (live.length > group.desiredCapacity && !suspended('Terminate')) {
      const victim = this.scaleInVictim(group, live);
      const at = this.now.toISOString();
      const reason = rebalanceTermination(group) ?? 'a difference between desired and actual capacity';
      this.terminate(
        group,
        victim,
        `At ${at} an instance was taken out of service in response to ${reason}, shrinking the capacity from ${live.length} to ${live.length - 1}. At ${at} instance ${victim.id} was selected for termination.`,
      );
      live = this.liveInstances(group);
    }
    rebalance(group, live, host);
    if (group.warmPool !== undefined && !suspended('Launch') && !group.warmPool.maintain(group))
      this.scheduleReconcile(group, maxLaunchRetrySeconds);
  }

  private rebalanceHost(group: AutoScalingGroupRecord): RebalanceHost {
    return {
      launch: (reason) => this.launchOne(group, this.liveInstances(group), reason),
      schedule: () => this.scheduleReconcile(group),
      record: (event, detail) => this.options.timeline.record(event, detail),
    };
  }

  /** One launch into the zone with the fewest instances, from what the group says now; the instance id. */
  private launchOne(
    group: AutoScalingGroupRecord,
    live: InstanceRecord[],
    reason = 'a difference between desired and actual capacity',
  ): string | undefined {
    const zone = leastPopulatedZone(group.availabilityZones, live);
    const liveCount = live.length;
    const details = JSON.stringify({ 'Subnet ID': group.subnetByZone.get(zone), 'Availability Zone': zone });
    const cause = `At ${this.now.toISOString()} an instance was started in response to ${reason}, increasing the capacity from ${liveCount} to ${liveCount + 1}.`;
    // A scale-out draws on the warm pool first, taking its instances as they were made.
    const warm = group.warmPool?.take(zone);
    if (warm !== undefined) {
      this.joinGroup(group, warm);
      this.addActivity(group, {
        description: `Launching a new EC2 instance from warm pool: ${warm.id}`,
        cause,
        details: JSON.stringify({ 'Subnet ID': warm.subnetId, 'Availability Zone': warm.availabilityZone }),
        statusCode: 'Successful',
        statusMessage: undefined,
        ended: true,
      });
      return warm.id;
    }
    const failure = this.launchFailure(group, zone);
    if (typeof failure === 'string') {
      this.addActivity(group, {
        description: `Launching a new EC2 instance.  Status Reason: ${failure} Launching EC2 instance failed.`,
        cause,
        details,
        statusCode: 'Failed',
        statusMessage: failure,
        ended: true,
      });
      this.options.timeline.record('LaunchFailed', { group: group.name, zone, reason: failure });
      return undefined;
    }
    const instance = this.options.fleet.launch(group, zone, failure);
    this.joinGroup(group, instance);
    this.addActivity(group, {
      description: `Launching a new EC2 instance: ${instance.id}`,
      cause,
      details,
      statusCode: 'Successful',
      statusMessage: undefined,
      ended: true,
    });
    return instance.id;
  }

  /** A launched instance joins the group, held by a launching hook if it has one. */
  private joinGroup(group: AutoScalingGroupRecord, instance: InstanceRecord): void {
    group.instanceIds.push(instance.id);
    group.lifecycleHolds.hold(instance.id, 'launching', (completed) => {
      if (completed || !['pending', 'running'].includes(instance.state)) return;
      const at = this.now.toISOString();
      this.terminate(
        group,
        instance,
        `At ${at} instance ${instance.id} was taken out of service because its launching lifecycle action was abandoned (heartbeat timeout).`,
      );
      this.scheduleReconcile(group);
    });
  }

  /**
   * What a launch uses now: the template version the group's reference resolves to (`$Latest` and
   * `$Default` at launch time, `resolve:ssm:` read then), the first override of a
   * MixedInstancesPolicy (the `prioritized` On-Demand strategy), or the launch configuration;
   * `version` names another version of the group's template (the world's starting instances).
   */
  launchSpec(group: AutoScalingGroupRecord, version?: string): string | LaunchSpec {
    const { ec2 } = this.options;
    try {
      if (group.launchTemplate === undefined) {
        const configuration = ec2.launchConfigurations.get(group.launchConfigurationName ?? '');
        if (configuration === undefined)
          return `Launch configuration ${group.launchConfigurationName} not found.`;
        const { imageId, instanceType } = configuration;
        return { imageId, instanceType, launchTemplate: undefined, tagSpecifications: [] };
      }
      const template = ec2.launchTemplate({ LaunchTemplateId: group.launchTemplate.id });
      const resolved = ec2.resolveVersion(template, version ?? group.launchTemplate.version);
      return {
        imageId: ec2.effectiveImageId(resolved.data) ?? '(none)',
        instanceType: group.mixedInstances?.instanceTypes[0] ?? resolved.data.InstanceType,
        launchTemplate: { id: template.id, name: template.name, version: resolved.versionNumber },
        tagSpecifications: resolved.data.TagSpecifications ?? [],
      };
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** Why a launch fails now (a message), or what it launches. */
  private launchFailure(group: AutoScalingGroupRecord, zone: string): string | LaunchSpec {
    const { ec2 } = this.options;
    const spec = this.launchSpec(group);
    if (typeof spec === 'string') return spec;
    const imageId = spec.imageId;
    const image = ec2.images.get(imageId);
    if (image === undefined || image.state === 'deregistered')
      return `The image id '[${imageId}]' does not exist.`;
    if (image.state !== 'available')
      return `The image id '[${imageId}]' is not in a valid state (${image.state}).`;
    if (this.options.faults.launchFails()) {
      const instanceType = spec.instanceType ?? 'the requested';
      const others = group.availabilityZones.filter((other) => other !== zone).join(', ');
      return `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${zone}). Our system will be working on provisioning additional capacity. You can currently get ${instanceType} capacity by not specifying an Availability Zone in your request or choosing ${others || 'another Availability Zone'}.`;
    }
    return spec;
  }

  /**
   * The Default termination policy: the zone with the most instances, then instances not on the
   * group's current launch template version (oldest version first), then the oldest instance.
   */
  private scaleInVictim(group: AutoScalingGroupRecord, live: InstanceRecord[]): InstanceRecord {
    const inZone = instancesPerZone(live);
    const perZone = (zone: string) => inZone.get(zone) ?? 0;
    const busiest = Math.max(...live.map((instance) => perZone(instance.availabilityZone)));
    const current = this.currentVersionNumber(group);
    const rank = (instance: InstanceRecord) => [
      instance.launchTemplate?.version === current ? 1 : 0,
      instance.launchTemplate?.version ?? 0,
      instance.launchTime.getTime(),
    ];
    const candidates = live.filter((instance) => perZone(instance.availabilityZone) === busiest);
    const [victim] = candidates.sort((a, b) => compareTuples(rank(a), rank(b)));
    if (victim === undefined) throw new Error(`Auto Scaling group ${group.name} has no instance to scale in`);
    return victim;
  }

  private currentVersionNumber(group: AutoScalingGroupRecord): number | undefined {
    const spec = this.launchSpec(group);
    return typeof spec === 'string' ? undefined : spec.launchTemplate?.version;
  }

  private terminate(group: AutoScalingGroupRecord, instance: InstanceRecord, cause: string): ScalingActivity {
    const activity = this.terminationActivity(group, instance, cause);
    // A terminating hook keeps the instance running (Terminating:Wait) until its action completes.
    group.lifecycleHolds.hold(instance.id, 'terminating', () => {
      this.options.fleet.terminate(instance, () => {
        group.instanceIds = group.instanceIds.filter((id) => id !== instance.id);
        this.terminated(activity);
      });
      this.options.onChanged();
    });
    return activity;
  }

  private terminationActivity(
    group: AutoScalingGroupRecord,
    instance: InstanceRecord,
    cause: string,
  ): ScalingActivity {
    return this.addActivity(group, {
      description: `Terminating EC2 instance: ${instance.id}`,
      cause,
      details: JSON.stringify({
        'Subnet ID': instance.subnetId,
        'Availability Zone': instance.availabilityZone,
      }),
      statusCode: 'InProgress',
      statusMessage: undefined,
      ended: false,
    });
  }

  /** A termination's activity ends when the instance is terminated. */
  private terminated(activity: ScalingActivity): void {
    activity.statusCode = 'Successful';
    activity.endTime = this.now;
    this.options.onChanged();
  }

  private addActivity(
    group: AutoScalingGroupRecord,
    fields: Pick<ScalingActivity, 'description' | 'cause' | 'details' | 'statusCode' | 'statusMessage'> & {
      ended: boolean;
    },
  ): ScalingActivity {
    const { ended, ...rest } = fields;
    const activity: ScalingActivity = {
      id: this.options.ids.uuid(),
      groupName: group.name,
      startTime: this.now,
      endTime: ended ? this.now : undefined,
      ...rest,
    };
    group.activities.push(activity);
    return activity;
  }
}
