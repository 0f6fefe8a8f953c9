// First: the product modules imported below build Powertools, which reads the environment then.

import { Alarms } from './world/alarms.ts';
import { zoneCounts } from './world/az-rebalance.ts';
import { LifecycleHolds } from './world/lifecycle-hooks.ts';
import './handler-environment.ts';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ResponseLaunchTemplateData } from '@aws-sdk/client-ec2';
import { amiTags } from '../functions/domain/ami.ts';
import { targetTags } from '../functions/domain/targets.ts';
import { lockTable } from './handler-environment.ts';
import { type AmiSpec, executionTargetAmi, type NodeGroupSpec, type Scenario } from './scenario.ts';
import { AutoScaling, type AutoScalingGroupRecord, type AutoScalingTag } from './world/autoscaling.ts';
import { BootTimes } from './world/boot.ts';
import {
  account,
  amazonEksAmiOwner,
  amazonWindowsAmiOwner,
  defaultImageSizeGiB,
  defaultInstanceType,
  eksLinuxAmiName,
  eksOptimizedCachedImages,
  eksReleaseVersionOfName,
  eksWindowsAmiName,
  eksWindowsAmiTypeOfName,
  kubernetesVersionOfName,
  podCapacityOf,
  region,
  windowsBuildOfName,
  windowsReleaseOf,
} from './world/catalog.ts';
import type { Scheduler } from './world/clock.ts';
import { Cluster } from './world/cluster.ts';
import { ClusterAutoscaler, discoveryTags } from './world/cluster-autoscaler.ts';
import { DeadlineWatch } from './world/deadlines.ts';
import { DynamoDb } from './world/dynamodb.ts';
import { Ec2, type ImageRecord, type InstanceStateName, type Platform } from './world/ec2.ts';
import { FastLaunch } from './world/fast-launch.ts';
import { type ExecutionEnding, Faults } from './world/faults.ts';
import { finalizersOnDeletion } from './world/finalizers.ts';
import { Fleet, type NodeGroupRecord } from './world/fleet.ts';
import { Ids } from './world/ids.ts';
import { type InvariantCounts, Invariants } from './world/invariants.ts';
import { ManagedUpdates } from './world/managed-updates.ts';
import { Metrics } from './world/metrics.ts';
import { hashOf, Random } from './world/random.ts';
import { ParameterStore, ssmAliasPrefix } from './world/ssm.ts';
import { Timeline } from './world/timeline.ts';

const day = 86_400_000;
/** When the node groups' current AMIs were published. */
const currentAmiDate = '2026-10-15';

export interface EksClusterRecord {
  name: string;
  arn: string;
  version: string;
  endpoint: string;
  certificateAuthorityData: string;
  createdAt: Date;
  vpcId: string;
  subnetIds: string[];
  securityGroupId: string;
}

export interface Notification {
  t: number;
  topicArn: string;
  subject: string | undefined;
  message: string;
}

/** An event put on the account's default EventBridge bus (the rollout's events). */
export interface BusEvent {
  t: number;
  id: string;
  source: string;
  detailType: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface InstanceReport {
  instanceId: string;
  nodeGroup: string;
  amiId: string;
  nodeName: string;
  state: InstanceStateName;
  unschedulable: boolean;
  instanceType: string;
  /** The launch template version it was launched from (null: a launch configuration). */
  launchTemplateVersion: number | null;
  /** Its warm pool lifecycle state (`Warmed:Stopped`), while it sits in its group's warm pool. */
  warmPool?: string;
}

export interface GroupReport {
  name: string;
  desired: number;
  min: number;
  max: number;
  /** How the group names its template version (`3`, `$Latest`, `$Default`); null with a launch configuration. */
  launchTemplateReference: string | null;
  /** The AMI a launch would use now, aliases resolved. */
  effectiveAmiId: string | null;
  suspendedProcesses: string[];
  /** Running or pending instances per availability zone, in the group's zone order. */
  instancesPerZone: Record<string, number>;
  /** The group's warm pool, when it has one: its size and what each of its instances was made from. */
  warmPool?: {
    minSize: number;
    instances: {
      instanceId: string;
      lifecycleState: string;
      amiId: string;
      launchTemplateVersion: number | null;
    }[];
  };
}

/**
 * One AWS account (111122223333, us-east-1) with one EKS cluster, built from a scenario and run on
 * virtual time. The AWS and Kubernetes fakes answer from it; it counts the invariants.
 */
export class World {
  readonly timeline: Timeline;
  readonly alarms: Alarms;
  readonly invariants: Invariants;
  readonly deadlines: DeadlineWatch;
  readonly metrics: Metrics;
  readonly faults: Faults;
  readonly ids: Ids;
  readonly ec2: Ec2;
  readonly parameters = new ParameterStore();
  readonly cluster: Cluster;
  readonly autoScaling: AutoScaling;
  readonly fleet: Fleet;
  readonly fastLaunch: FastLaunch;
  /** The Kubernetes cluster-autoscaler, when the scenario runs one (`cluster.autoscaler`). */
  readonly clusterAutoscaler: ClusterAutoscaler | undefined;
  /** EKS managed node groups and their updates (UpdateNodegroupVersion, also callable by the bench). */
  readonly managedUpdates: ManagedUpdates;
  readonly eks: EksClusterRecord;
  readonly nodeGroups = new Map<string, NodeGroupRecord>();
  readonly notifications: Notification[] = [];
  readonly busEvents: BusEvent[] = [];
  /** Each node group's instances when the world was built, in order (what `nodeUnreachable` counts). */
  private readonly startingInstances = new Map<string, string[]>();
  /** The deployment's DynamoDB tables: the rollout lock. */
  readonly dynamoDb = new DynamoDb();
  /** Calls the simulator could not answer: a run with any is not to be trusted. */
  readonly simulatorGaps: string[] = [];
  /** Stops an execution as StopExecution or the timeout does (`executionStopped`, `executionTimedOut`); set by the runner. */
  stopExecution: ((executionName: string | undefined, ending: ExecutionEnding) => void) | undefined;
  /** The execution on whose behalf the current Lambda invocation runs (set by the Lambda runtime). */
  readonly actingFor = new AsyncLocalStorage<string>();
  /** Node groups and AMIs the started executions target, and the groups whose executions may override PDBs. */
  readonly targets = { groups: new Set<string>(), amis: new Set<string>(), forcedGroups: new Set<string>() };
  /** One subnet per availability zone the node groups use. */
  private readonly subnetByZone: Map<string, string>;

  constructor(
    readonly scenario: Scenario,
    readonly scheduler: Scheduler,
  ) {
    this.ids = new Ids(new Random(scenario.seed));
    this.timeline = new Timeline(scheduler);
    this.invariants = new Invariants(this.timeline);
    this.deadlines = new DeadlineWatch(scheduler, this.invariants);
    this.metrics = new Metrics(scheduler, this.targets.groups, scheduler.now());
    this.alarms = new Alarms(scenario.alarms, scheduler, this.timeline);
    this.faults = new Faults(scenario.faults, scheduler, {
      setWorkloadNeverReady: (workload, neverReady) =>
        this.cluster.setWorkloadNeverReady(workload, neverReady),
      deregisterImage: (amiId) => this.deregisterImage(amiId ?? [...this.targets.amis][0]),
      stopExecution: (executionName, ending) => this.stopExecution?.(executionName, ending),
      scaleWorkload: (workload, replicas) => this.cluster.scaleWorkload(workload, replicas),
      restartWorkload: (workload) => this.cluster.restartWorkload(workload),
      scaleOut: (group, count) => this.scaleOut(group, count),
      nodeUnreachable: (group, index) => this.nodeUnreachable(group, index),
    });
    this.ec2 = new Ec2(this.ids, this.parameters);
    this.fastLaunch = new FastLaunch(scheduler, this.timeline);
    this.dynamoDb.createTable(lockTable.name, lockTable.partitionKey);
    const zones = [...new Set(scenario.nodeGroups.flatMap((group) => group.availabilityZones))].sort();
    this.subnetByZone = new Map(zones.map((zone) => [zone, this.ids.resourceId('subnet')]));
    this.eks = this.createEksCluster();
    this.cluster = new Cluster({
      scheduler,
      timeline: this.timeline,
      ids: this.ids,
      invariants: this.invariants,
      imagePullSecondsPerGiB: scenario.timing.imagePullSecondsPerGiB,
      onSettled: () => this.observeCapacity(),
      finalizersOnDeletion: (pod) => finalizersOnDeletion(this.faults, pod.workload.spec.name),
      observer: this.metrics,
    });
    const { instanceBootSeconds, instanceBootJitterPercent } = scenario.timing;
    const bootTimes = new BootTimes(instanceBootSeconds, instanceBootJitterPercent, scenario.seed);
    this.fleet = new Fleet({
      scheduler,
      timeline: this.timeline,
      ids: this.ids,
      ec2: this.ec2,
      cluster: this.cluster,
      timing: scenario.timing,
      clusterName: scenario.cluster.name,
      nodeGroup: (name) => this.nodeGroup(name),
      imageSizeGiB: (image, os) => this.imageSizeGiB(image, os),
      bootSeconds: () => bootTimes.next(),
      fastLaunch: (imageId, normalSeconds) => this.fastLaunch.bootSeconds(imageId, normalSeconds),
      neverReady: (image) => this.faults.nodesNeverReady && this.targets.amis.has(image.id),
      onChanged: () => this.observeCapacity(),
      observer: {
        instanceUp: (instance) => this.metrics.instanceUp(instance),
        instanceDown: (instance) => {
          this.metrics.instanceDown(instance);
          // Whoever shut it down (the cluster-autoscaler removing an emptied node too), its drain is over.
          this.deadlines.drainOver(instance.groupName, instance.privateDnsName);
        },
        instanceTerminated: (instance) => this.metrics.instanceTerminated(instance),
      },
    });
    this.autoScaling = new AutoScaling({
      scheduler,
      timeline: this.timeline,
      ids: this.ids,
      ec2: this.ec2,
      faults: this.faults,
      fleet: this.fleet,
      reactionSeconds: scenario.timing.asgLaunchDelaySeconds,
      onChanged: () => this.observeCapacity(),
    });
    this.managedUpdates = new ManagedUpdates({
      scheduler,
      timeline: this.timeline,
      ids: this.ids,
      ec2: this.ec2,
      autoScaling: this.autoScaling,
      cluster: this.cluster,
      random: new Random(scenario.seed ^ hashOf('managed node group updates')),
      releaseImage: (group, releaseVersion) =>
        [...this.ec2.images.values()].find(
          (image) =>
            image.state === 'available' &&
            eksWindowsAmiTypeOfName(image.name) === group.amiType &&
            eksReleaseVersionOfName(image.name) === releaseVersion,
        )?.id,
    });
    for (const ami of scenario.amis) {
      this.addImage(this.imageFromScenario(ami));
      if (ami.fastLaunch) this.fastLaunch.configure(ami.id, ami.fastLaunch);
    }
    for (const group of scenario.nodeGroups) {
      if (!this.ec2.images.has(group.amiId)) this.addImage(this.currentImageOf(group));
    }
    this.cluster.initialize(() => {
      for (const [index, group] of scenario.nodeGroups.entries()) this.createNodeGroup(group, index);
      for (const workload of scenario.workloads) {
        this.cluster.addWorkload(workload, {
          imageSizeGiB: this.imageSizeGiB(workload.image, workload.os),
          startupSeconds: workload.startupSeconds ?? scenario.timing.podStartupSeconds,
          neverReady: this.faults.workloadNeverReady(workload.name),
        });
      }
    });
    const settings = scenario.cluster.autoscaler;
    this.clusterAutoscaler =
      settings === undefined
        ? undefined
        : new ClusterAutoscaler({
            scheduler,
            timeline: this.timeline,
            cluster: this.cluster,
            autoScaling: this.autoScaling,
            random: this.ids.random,
            clusterName: scenario.cluster.name,
            settings,
            templateNode: (group) => {
              const { spec, podCapacity } = this.nodeGroup(group.nodeGroupName);
              return { os: spec.os, podCapacity };
            },
          });
    this.clusterAutoscaler?.start();
  }

  nodeGroup(name: string): NodeGroupRecord {
    const group = this.nodeGroups.get(name);
    if (group === undefined) throw new Error(`The simulator has no node group ${name}`);
    return group;
  }

  /** An execution started with this input: its node group and AMI are the rollout's targets. */
  registerExecutionInput(input: unknown): void {
    if (input === null || typeof input !== 'object') return;
    const { nodeGroupName: named, amiId, overridePdbAfterTimeout } = input as Record<string, unknown>;
    // An input may name a self-managed group by its Auto Scaling group.
    const nodeGroupName =
      [...this.nodeGroups.values()].find((group) => group.autoScalingGroupName === named)?.spec.name ?? named;
    if (typeof nodeGroupName === 'string' && !this.targets.groups.has(nodeGroupName)) {
      this.targets.groups.add(nodeGroupName);
      this.metrics.targetAdded(nodeGroupName);
    }
    if (typeof amiId === 'string') this.targets.amis.add(amiId);
    if (typeof nodeGroupName === 'string' && overridePdbAfterTimeout === true)
      this.targets.forcedGroups.add(nodeGroupName);
    if (typeof nodeGroupName === 'string')
      this.deadlines.executionStarted(nodeGroupName, input as Record<string, unknown>);
  }

  /** An execution started with this input has ended. */
  executionEnded(input: unknown): void {
    const group = groupOfInput(input);
    if (group !== undefined) this.deadlines.executionEnded(group);
  }

  /** An execution started with this input entered (true) or left (false) a Wait for its maintenance window, or a pause. */
  windowWait(input: unknown, waiting: boolean): void {
    const group = groupOfInput(input);
    if (group !== undefined) this.deadlines.windowWait(group, waiting);
  }

  /** Records a change to a node, instance or group; outside the target groups it breaks an invariant. */
  touch(groupName: string | undefined, action: string, resource: string): void {
    if (groupName !== undefined && this.targets.groups.has(groupName)) {
      const execution = this.actingFor.getStore();
      if (execution !== undefined) this.invariants.groupChangedBy(groupName, execution);
      return;
    }
    this.invariants.nonTargetTouched(groupName ?? '(no node group)', action, resource);
  }

  /** The node group of a Kubernetes node (through its instance). */
  groupOfNode(nodeName: string): string | undefined {
    return this.cluster.nodes.get(nodeName)?.groupName;
  }

  instanceReports(): InstanceReport[] {
    const pooled = new Map(
      [...this.autoScaling.groups.values()].flatMap((group) =>
        (group.warmPool?.instances() ?? []).map(({ instance, state }) => [instance.id, state] as const),
      ),
    );
    return [...this.ec2.instances.values()].map((instance) => ({
      instanceId: instance.id,
      nodeGroup: instance.groupName,
      amiId: instance.imageId,
      nodeName: instance.privateDnsName,
      state: instance.state,
      unschedulable: this.cluster.nodes.get(instance.privateDnsName)?.unschedulable ?? false,
      instanceType: instance.instanceType,
      launchTemplateVersion: instance.launchTemplate?.version ?? null,
      ...(pooled.has(instance.id) ? { warmPool: pooled.get(instance.id) } : {}),
    }));
  }

  /** Every node group as it stands: its size, how it names its template, and what a launch would use now. */
  groupReports(): GroupReport[] {
    return [...this.nodeGroups.values()].map(({ spec, autoScalingGroupName }) => {
      const group = this.autoScaling.group(autoScalingGroupName);
      const counts = zoneCounts(group.availabilityZones, this.autoScaling.liveInstances(group));
      return {
        name: spec.name,
        desired: group.desiredCapacity,
        min: group.minSize,
        max: group.maxSize,
        launchTemplateReference: group.launchTemplate?.version ?? null,
        effectiveAmiId: this.autoScaling.effectiveImageId(group) ?? null,
        suspendedProcesses: [...group.suspendedProcesses.keys()].sort(),
        instancesPerZone: Object.fromEntries(
          group.availabilityZones.map((zone, i) => [zone, counts[i] ?? 0]),
        ),
        ...(group.warmPool === undefined
          ? {}
          : {
              warmPool: {
                minSize: group.warmPool.minSize,
                instances: group.warmPool.instances().map(({ instance, state }) => ({
                  instanceId: instance.id,
                  lifecycleState: state,
                  amiId: instance.imageId,
                  launchTemplateVersion: instance.launchTemplate?.version ?? null,
                })),
              },
            }),
      };
    });
  }

  /**
   * The counts, with what is judged at the end counted now: nodes left cordoned, processes an API
   * caller suspended and nobody resumed, and groups whose template reference changed form
   * (`$Latest` → `7`: Terraform and eksctl report it as drift).
   */
  finalInvariants(): InvariantCounts {
    const cordonedNodesLeft = this.instanceReports().filter(
      (instance) => instance.state === 'running' && instance.unschedulable,
    ).length;
    const groups = [...this.nodeGroups.values()].map(({ spec, autoScalingGroupName }) => ({
      spec,
      group: this.autoScaling.group(autoScalingGroupName),
    }));
    const processesLeftSuspended = groups.reduce(
      (count, { group }) => count + this.autoScaling.processesSuspendedByApi(group).length,
      0,
    );
    const launchTemplateReferenceChanged = groups.filter(
      ({ spec, group }) => referenceForm(group.launchTemplate?.version) !== startingForm(spec),
    ).length;
    const waitsPastDeadline = this.invariants.counts.waitsPastDeadline + this.deadlines.openOverdue();
    return {
      ...this.invariants.counts,
      cordonedNodesLeft,
      waitsPastDeadline,
      processesLeftSuspended,
      launchTemplateReferenceChanged,
    };
  }

  private observeCapacity(): void {
    for (const name of this.targets.groups) {
      const group = this.nodeGroups.get(name);
      if (group === undefined) continue;
      const autoScalingGroup = this.autoScaling.groups.get(group.autoScalingGroupName);
      this.invariants.observeCapacity(
        name,
        this.cluster.readyNodeCount(name),
        autoScalingGroup?.minSize ?? group.spec.minSize,
      );
    }
  }

  /** A container image's size: as a workload declares it, else typical for the image. */
  private imageSizeGiB(image: string, os: Platform): number {
    const declared = this.scenario.workloads.find((workload) => workload.image === image)?.imageSizeGiB;
    return declared ?? defaultImageSizeGiB(image, os);
  }

  private deregisterImage(imageId: string | undefined): void {
    const image = imageId === undefined ? undefined : this.ec2.images.get(imageId);
    if (image === undefined) return;
    image.state = 'deregistered';
    this.timeline.record('AmiDeregistered', { amiId: image.id });
  }

  private addImage(image: ImageRecord): void {
    this.ec2.images.set(image.id, image);
  }

  private imageFromScenario(ami: AmiSpec): ImageRecord {
    const clusterVersion = this.scenario.cluster.kubernetesVersion;
    const windowsBuild =
      ami.platform === 'windows' ? (ami.windowsBuild ?? windowsBuildOfName(ami.name)) : undefined;
    const kubernetesVersion = ami.kubernetesVersion ?? kubernetesVersionOfName(ami.name) ?? clusterVersion;
    const tags: Record<string, string> = {};
    if (windowsBuild !== undefined && windowsBuildOfName(ami.name) !== windowsBuild) {
      tags[amiTags.windowsBuild] = windowsBuild;
    }
    if (kubernetesVersionOfName(ami.name) !== kubernetesVersion) {
      tags[amiTags.kubernetesVersion] = kubernetesVersion;
    }
    // Image Builder tags the AMIs it distributes with the image they came from.
    const builtBy = this.scenario.imageBuilderImages.find((image) => image.amiId === ami.id);
    if (builtBy !== undefined) tags[amiTags.imageBuilderArn] = builtBy.arn;
    const isAmazonWindows = ami.name.startsWith('Windows_Server-');
    const isAmazonLinux = ami.name.startsWith('amazon-eks-node-');
    return {
      id: ami.id,
      name: ami.name,
      description: describeImage(ami.platform, windowsBuild, kubernetesVersion),
      platform: ami.platform,
      state: ami.state,
      architecture: ami.architecture,
      windowsBuild,
      kubernetesVersion,
      cachedImages: ami.cachedImages,
      creationDate: creationDateOfName(ami.name) ?? new Date(this.scheduler.now() - day),
      ownerId: isAmazonWindows ? amazonWindowsAmiOwner : isAmazonLinux ? amazonEksAmiOwner : account,
      ownerAlias: isAmazonWindows || isAmazonLinux ? 'amazon' : undefined,
      tags,
    };
  }

  /** The EKS-optimized AMI a node group runs when the scenario does not list it. */
  private currentImageOf(group: NodeGroupSpec): ImageRecord {
    const version = this.scenario.cluster.kubernetesVersion;
    const name =
      group.os === 'windows'
        ? eksWindowsAmiName(group.windowsBuild ?? '', version, currentAmiDate)
        : eksLinuxAmiName(version, currentAmiDate);
    return this.imageFromScenario({
      id: group.amiId,
      name,
      platform: group.os,
      state: 'available',
      windowsBuild: group.windowsBuild,
      kubernetesVersion: version,
      architecture: 'x86_64',
      cachedImages: eksOptimizedCachedImages(group.os, group.windowsBuild),
    });
  }

  private createEksCluster(): EksClusterRecord {
    const { name, kubernetesVersion } = this.scenario.cluster;
    const random = this.ids.random;
    const certificate = `-----BEGIN CERTIFICATE-----\n${Buffer.from(random.hex(96)).toString('base64')}\n-----END CERTIFICATE-----\n`;
    return {
      name,
      arn: `arn:aws:eks:${region}:${account}:cluster/${name}`,
      version: kubernetesVersion,
      endpoint: `https://${random.hex(32).toUpperCase()}.gr7.${region}.eks.amazonaws.com`,
      certificateAuthorityData: Buffer.from(certificate).toString('base64'),
      createdAt: new Date(this.scheduler.now() - 400 * day),
      vpcId: this.ids.resourceId('vpc'),
      subnetIds: [...this.subnetByZone.values()],
      securityGroupId: this.ids.resourceId('sg'),
    };
  }

  private createNodeGroup(spec: NodeGroupSpec, groupIndex: number): void {
    const instanceType = spec.instanceType ?? defaultInstanceType;
    const podCapacity = spec.podsPerNode ?? podCapacityOf(instanceType, spec.os);
    if (podCapacity === undefined)
      throw new Error(`Node group ${spec.name}: give podsPerNode for ${instanceType}`);
    const managed = spec.management === 'managed';
    const autoScalingGroupName = managed
      ? `eks-${spec.name}-${this.ids.uuid()}`
      : (spec.asgName ?? spec.name);
    this.nodeGroups.set(spec.name, { spec, autoScalingGroupName, instanceType, podCapacity });
    this.metrics.setBaseline(spec.name, spec.instances);

    const now = new Date(this.scheduler.now());
    const created = new Date(now.getTime() - 60 * day);
    const source = spec.launchConfiguration
      ? this.createLaunchConfiguration(spec, autoScalingGroupName, instanceType, created)
      : this.createLaunchTemplate(spec, instanceType, created);
    const group: AutoScalingGroupRecord = {
      name: autoScalingGroupName,
      arn: `arn:aws:autoscaling:${region}:${account}:autoScalingGroup:${this.ids.uuid()}:autoScalingGroupName/${autoScalingGroupName}`,
      nodeGroupName: spec.name,
      launchTemplate: source.launchTemplate,
      mixedInstances: spec.mixedInstances,
      launchConfigurationName: source.launchConfigurationName,
      suspendedProcesses: new Map(
        spec.suspendedProcesses.map((process) => [process, { by: 'scenario', at: created }]),
      ),
      instanceRefreshInProgress: spec.instanceRefreshInProgress ? this.ids.uuid() : undefined,
      lifecycleHolds: new LifecycleHolds(spec.lifecycleHooks, {
        after: (seconds, action) => this.scheduler.after(seconds, action),
        record: (event, detail) => this.timeline.record(event, { group: spec.name, ...detail }),
      }),
      warmPool: undefined,
      rebalanceLaunch: undefined,
      minSize: spec.minSize,
      maxSize: spec.maxSize,
      desiredCapacity: spec.instances,
      availabilityZones: spec.availabilityZones,
      subnetByZone: new Map(spec.availabilityZones.map((zone) => [zone, this.subnetByZone.get(zone) ?? ''])),
      tags: this.autoScalingTags(spec),
      createdTime: created,
      instanceIds: [],
      activities: [],
      reconcileScheduled: false,
      launchRetrySeconds: 10,
    };
    this.autoScaling.add(group);
    if (managed) {
      if (source.launchTemplate === undefined)
        throw new Error(`Node group ${spec.name}: a managed group has a template`);
      this.addManagedNodegroup(spec, group, source.launchTemplate);
    }

    const onTarget = spec.instances - spec.nodesAlreadyOnTarget;
    const current = this.autoScaling.launchSpec(group, source.currentVersion);
    const earlierRun = source.targetVersion && this.autoScaling.launchSpec(group, source.targetVersion);
    // Old instances two hours apart over the last 30 days, those of an earlier run 15 minutes apart over
    // the last 6 hours; closer in a large group, so that none was launched after the start (EC2's launch
    // times are in the past).
    const apart = Math.min(7_200_000, Math.floor((29 * day) / Math.max(1, onTarget)));
    const apartOnTarget = Math.min(
      900_000,
      Math.floor((5 * 3_600_000) / Math.max(1, spec.nodesAlreadyOnTarget)),
    );
    for (let index = 0; index < spec.instances; index++) {
      const zone = spec.availabilityZones[index % spec.availabilityZones.length] ?? '';
      const alreadyOnTarget = index >= onTarget;
      const launchTime = alreadyOnTarget
        ? now.getTime() - 6 * 3_600_000 + (index - onTarget) * apartOnTarget
        : now.getTime() - 30 * day + groupIndex * 420_000 + index * apart;
      const launchSpec = alreadyOnTarget ? earlierRun : current;
      if (typeof launchSpec !== 'object') throw new Error(`Node group ${spec.name}: ${String(launchSpec)}`);
      const instance = this.fleet.materialize(group, zone, launchSpec, new Date(launchTime));
      group.instanceIds.push(instance.id);
    }
    if (spec.warmPool !== undefined) {
      if (typeof current !== 'object') throw new Error(`Node group ${spec.name}: ${String(current)}`);
      const pool = this.autoScaling.attachWarmPool(group, spec.warmPool);
      for (let index = 0; index < pool.targetSize(group); index++) {
        const zone = spec.availabilityZones[index % spec.availabilityZones.length] ?? '';
        pool.adopt(this.fleet.materializeStopped(group, zone, current, new Date(now.getTime() - 2 * day)));
      }
    }
    this.startingInstances.set(spec.name, [...group.instanceIds]);
  }

  /** Someone raises the group's desired capacity (a person, a script): Auto Scaling's rules apply. */
  private scaleOut(groupName: string, count: number): void {
    const group = this.autoScaling.group(this.nodeGroup(groupName).autoScalingGroupName);
    try {
      this.autoScaling.setDesiredCapacity(group.name, group.desiredCapacity + count);
      this.timeline.record('ScaledOutFromOutside', { group: groupName, count });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.timeline.record('ScaleOutRefused', { group: groupName, count, reason });
    }
  }

  /** The kubelet of a starting instance stops, if that instance still runs. */
  private nodeUnreachable(groupName: string, index: number): void {
    const instanceId = this.startingInstances.get(groupName)?.[index];
    const instance = instanceId === undefined ? undefined : this.ec2.instances.get(instanceId);
    if (instance?.state === 'running') this.cluster.kubeletUnreachable(instance.privateDnsName);
  }

  /** The older form: a launch configuration, no template (refused by the rollout, kept by the world). */
  private createLaunchConfiguration(
    spec: NodeGroupSpec,
    groupName: string,
    instanceType: string,
    createdTime: Date,
  ) {
    const name = `${groupName}-LaunchConfiguration`;
    this.ec2.launchConfigurations.set(name, { name, imageId: spec.amiId, instanceType, createdTime });
    return {
      launchTemplate: undefined,
      launchConfigurationName: name,
      currentVersion: undefined,
      targetVersion: undefined,
    };
  }

  /**
   * The group's launch template: its earlier versions (1..n), then the current one (n+1) whose
   * ImageId is the AMI or a `resolve:ssm:` alias of a parameter holding it; the group names the
   * current one as its reference says. A stopped earlier run (`nodesAlreadyOnTarget`) left a version
   * with the target AMI after it.
   */
  private createLaunchTemplate(spec: NodeGroupSpec, instanceType: string, createdTime: Date) {
    const clusterName = this.scenario.cluster.name;
    const managed = spec.management === 'managed';
    const base = this.launchTemplateData(spec, instanceType);
    const form = spec.launchTemplate;
    const parameter = form?.imageIdFromSsm;
    if (parameter !== undefined) this.parameters.put(parameter, spec.amiId, createdTime);
    const versions: ResponseLaunchTemplateData[] = [
      ...(form?.earlierVersions ?? []).map((earlier) => ({
        ...base,
        ImageId: earlier.amiId,
        InstanceType: (earlier.instanceType ??
          base.InstanceType) as ResponseLaunchTemplateData['InstanceType'],
        UserData:
          earlier.userData === undefined ? base.UserData : Buffer.from(earlier.userData).toString('base64'),
      })),
      { ...base, ImageId: parameter === undefined ? spec.amiId : `${ssmAliasPrefix}${parameter}` },
    ];
    const [first, ...rest] = versions;
    const template = this.ec2.createLaunchTemplate(
      spec.name,
      !managed
        ? `eksctl-${clusterName}-nodegroup-${spec.name}`
        : form === undefined
          ? `eks-${this.ids.uuid()}`
          : `${clusterName}-${spec.name}`,
      first ?? base,
      createdTime,
    );
    for (const data of rest) {
      this.ec2.createLaunchTemplateVersion(
        template,
        { sourceVersion: undefined, data, description: undefined, clientToken: undefined },
        createdTime,
      );
    }
    template.defaultVersion = versions.length;
    const targetAmi = executionTargetAmi(this.scenario);
    let targetVersion: string | undefined;
    if (spec.nodesAlreadyOnTarget > 0 && targetAmi !== undefined) {
      // A stopped earlier run left its version behind and pointed the group back at the current one.
      const left = this.ec2.createLaunchTemplateVersion(
        template,
        {
          sourceVersion: String(versions.length),
          data: { ImageId: targetAmi },
          description: undefined,
          clientToken: undefined,
        },
        new Date(this.scheduler.now() - 7 * 3_600_000),
      );
      targetVersion = String(left.versionNumber);
    }
    const reference = form?.reference ?? 'number';
    return {
      launchTemplate: {
        id: template.id,
        name: template.name,
        version: reference === 'number' ? String(versions.length) : reference,
      },
      launchConfigurationName: undefined,
      currentVersion: String(versions.length),
      targetVersion,
    };
  }

  /** What EKS records of a managed group: its template (when its own) or AMI type and release. */
  private addManagedNodegroup(
    spec: NodeGroupSpec,
    group: AutoScalingGroupRecord,
    template: { id: string; name: string; version: string },
  ): void {
    const image = this.ec2.images.get(spec.amiId);
    const name = image?.name ?? '';
    this.managedUpdates.add({
      name: spec.name,
      autoScalingGroupName: group.name,
      launchTemplate: spec.launchTemplate === undefined ? undefined : { ...template },
      ownTemplateId: template.id,
      releaseVersion: eksReleaseVersionOfName(name) ?? '',
      kubernetesVersion: image?.kubernetesVersion ?? this.scenario.cluster.kubernetesVersion,
      amiType:
        spec.os === 'linux'
          ? 'AL2023_x86_64_STANDARD'
          : spec.launchTemplate === undefined
            ? (eksWindowsAmiTypeOfName(name) ??
              `WINDOWS_CORE_${windowsReleaseOf(spec.windowsBuild ?? '')}_x86_64`)
            : 'CUSTOM',
      scaling: { minSize: spec.minSize, maxSize: spec.maxSize, desiredSize: spec.instances },
      updateConfig: { maxUnavailable: 1 },
      status: 'ACTIVE',
      updates: [],
      modifiedAt: group.createdTime,
    });
  }

  private launchTemplateData(spec: NodeGroupSpec, instanceType: string): ResponseLaunchTemplateData {
    const clusterName = this.scenario.cluster.name;
    const bootstrap =
      spec.os === 'windows'
        ? `<powershell>\n[string]$EKSBootstrapScriptFile = "$env:ProgramFiles\\Amazon\\EKS\\Start-EKSBootstrap.ps1"\n& $EKSBootstrapScriptFile -EKSClusterName "${clusterName}" 3>&1 4>&1 5>&1 6>&1\n</powershell>\n`
        : `---\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n    name: ${clusterName}\n`;
    return {
      ImageId: spec.amiId,
      InstanceType: instanceType as ResponseLaunchTemplateData['InstanceType'],
      IamInstanceProfile: {
        Arn: `arn:aws:iam::${account}:instance-profile/${clusterName}-${spec.name}-NodeInstanceProfile`,
      },
      SecurityGroupIds: [this.eks.securityGroupId],
      UserData: Buffer.from(bootstrap).toString('base64'),
      MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled' },
      TagSpecifications: [
        { ResourceType: 'instance', Tags: [{ Key: 'Name', Value: `${clusterName}-${spec.name}-Node` }] },
      ],
    };
  }

  private autoScalingTags(spec: NodeGroupSpec): AutoScalingTag[] {
    const clusterName = this.scenario.cluster.name;
    const tag = (key: string, value: string, propagateAtLaunch = true) => ({ key, value, propagateAtLaunch });
    const owned = tag(`kubernetes.io/cluster/${clusterName}`, 'owned');
    const autoscalerTags = (propagate: boolean) =>
      Object.entries(discoveryTags(clusterName)).map(([key, value]) => tag(key, value, propagate));
    if (spec.management === 'managed') {
      return [
        tag('eks:cluster-name', clusterName),
        tag('eks:nodegroup-name', spec.name),
        owned,
        // EKS tags a managed group's Auto Scaling group for the cluster-autoscaler's auto-discovery.
        ...autoscalerTags(true),
      ];
    }
    return [
      tag('alpha.eksctl.io/cluster-name', clusterName),
      tag('alpha.eksctl.io/nodegroup-name', spec.name),
      owned,
      ...(spec.clusterAutoscaler ? autoscalerTags(false) : []),
      ...Object.entries(this.nodeGroupTags(spec)).map(([key, value]) => tag(key, value, false)),
    ];
  }

  /** The tags that mark a group for the patcher: on the ASG (self-managed) or the EKS node group (managed). */
  nodeGroupTags(spec: NodeGroupSpec): Record<string, string> {
    return { ...(spec.os === 'windows' ? { [targetTags.enabled]: 'true' } : {}), ...spec.tags };
  }
}

/** How a group names its launch template version: `number`, `$Latest`, `$Default`, or none. */
function referenceForm(version: string | undefined): string {
  if (version === undefined) return 'none';
  return version.startsWith('$') ? version : 'number';
}

function startingForm(spec: NodeGroupSpec): string {
  return spec.launchConfiguration ? 'none' : (spec.launchTemplate?.reference ?? 'number');
}

function describeImage(
  platform: Platform,
  windowsBuild: string | undefined,
  kubernetesVersion: string,
): string {
  return platform === 'windows'
    ? `Microsoft Windows Server ${windowsReleaseOf(windowsBuild ?? '')} Core optimized for EKS and Kubernetes ${kubernetesVersion}`
    : `EKS-optimized Kubernetes node based on Amazon Linux 2023, (k8s: ${kubernetesVersion})`;
}

/** The publication date in an AMI name (`...-2026.11.12` or `...-v20261112`). */
function creationDateOfName(name: string): Date | undefined {
  const match = /(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(name);
  if (match === null) return undefined;
  const [, year, month, date] = match;
  return new Date(`${year}-${month}-${date}T08:00:00.000Z`);
}

/** The node group an execution input names, if it names one. */
function groupOfInput(input: unknown): string | undefined {
  if (input === null || typeof input !== 'object') return undefined;
  const { nodeGroupName } = input as Record<string, unknown>;
  return typeof nodeGroupName === 'string' ? nodeGroupName : undefined;
}
