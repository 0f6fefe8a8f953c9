import type { NodeGroupSpec, Timing } from '../scenario.ts';
import type { AutoScalingGroupRecord, InstanceFleet, LaunchSpec } from './autoscaling.ts';
import { region } from './catalog.ts';
import type { Scheduler } from './clock.ts';
import type { Cluster } from './cluster.ts';
import type { Ec2, ImageRecord, InstanceRecord } from './ec2.ts';
import type { Ids } from './ids.ts';
import type { Timeline } from './timeline.ts';

/** A scenario node group with what the world derived for it. */
export interface NodeGroupRecord {
  spec: NodeGroupSpec;
  autoScalingGroupName: string;
  instanceType: string;
  podCapacity: number;
}

export interface FleetOptions {
  scheduler: Scheduler;
  timeline: Timeline;
  ids: Ids;
  ec2: Ec2;
  cluster: Cluster;
  timing: Timing;
  clusterName: string;
  nodeGroup: (name: string) => NodeGroupRecord;
  /** Size of a container image, as the scenario gives it or as typical for it. */
  imageSizeGiB: (image: string, os: 'windows' | 'linux') => number;
  /** Seconds from launch to a Ready node for the next launch (the boot time, with its jitter). */
  bootSeconds: () => number;
  /** A launch's boot time from its AMI and its normal one: shorter when EC2 Fast Launch has a snapshot ready. */
  fastLaunch: (imageId: string, normalSeconds: number) => number;
  /** Whether nodes booted from this image never turn Ready (the `nodeNeverReady` fault). */
  neverReady: (image: ImageRecord) => boolean;
  onChanged: () => void;
  observer?: FleetObserver;
}

/** Who watches instances come and go (the metrics). */
export interface FleetObserver {
  /** Pending or running: counts toward its group. */
  instanceUp(instance: InstanceRecord): void;
  /** Shutting down. */
  instanceDown(instance: InstanceRecord): void;
  instanceTerminated(instance: InstanceRecord): void;
}

/** Seconds from launch until EC2 reports the instance running. */
const pendingSeconds = 20;
/** The kubelet registers this long before the node turns Ready (CNI and node set-up). */
const registrationLeadSeconds = 45;
/** Seconds EC2 takes to stop an instance (stopping → stopped). */
const stoppingSeconds = 30;

const gibibyte = 2 ** 30;

const zoneIndexOf = (zone: string) => zone.charCodeAt(zone.length - 1) - 'a'.charCodeAt(0);

/** Instances from launch to termination, and the Kubernetes node each one brings. */
export class Fleet implements InstanceFleet {
  /** Instances the observer saw come up (a warm pool instance only once started into its group). */
  private readonly counted = new Set<string>();

  constructor(private readonly options: FleetOptions) {}

  /** A new instance: pending, running, its node registers, then turns Ready after the boot time. */
  launch(group: AutoScalingGroupRecord, zone: string, spec: LaunchSpec): InstanceRecord {
    const instance = this.createInstance(
      group,
      zone,
      spec,
      new Date(this.options.scheduler.now()),
      'pending',
    );
    this.start(instance, this.launchBootSeconds(instance), {});
    return instance;
  }

  /**
   * An instance launched into a warm pool: it runs its first boot (user data, no node: AWS advises
   * user data that joins the cluster only outside the pool), then stops; `whenStopped` once stopped.
   * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-warm-pools.html
   */
  prepare(
    group: AutoScalingGroupRecord,
    zone: string,
    spec: LaunchSpec,
    whenStopped: () => void,
  ): InstanceRecord {
    const { scheduler, timeline } = this.options;
    const instance = this.createInstance(group, zone, spec, new Date(scheduler.now()), 'pending');
    timeline.record('WarmPoolInstanceLaunched', {
      instanceId: instance.id,
      group: group.nodeGroupName,
      amiId: instance.imageId,
      zone,
      launchTemplateVersion: spec.launchTemplate?.version,
    });
    const boot = this.launchBootSeconds(instance);
    scheduler.after(Math.min(pendingSeconds, boot / 2), () => {
      if (instance.state === 'pending') instance.state = 'running';
    });
    scheduler.after(boot, () => {
      if (instance.state !== 'running') return;
      instance.state = 'stopping';
      scheduler.after(stoppingSeconds, () => {
        if (instance.state !== 'stopping') return;
        instance.state = 'stopped';
        whenStopped();
        this.options.onChanged();
      });
    });
    return instance;
  }

  /** A stopped warm pool instance started into its group: its node joins after `bootSeconds`. */
  resume(instance: InstanceRecord, bootSeconds: number): void {
    instance.state = 'pending';
    this.start(instance, bootSeconds, { fromWarmPool: true });
  }

  /** From pending: running, the node registers, then turns Ready after `boot` seconds. */
  private start(instance: InstanceRecord, boot: number, detail: Record<string, unknown>): void {
    const { scheduler, timeline } = this.options;
    this.counted.add(instance.id);
    this.options.observer?.instanceUp(instance);
    timeline.record('InstanceLaunched', {
      instanceId: instance.id,
      group: instance.groupName,
      amiId: instance.imageId,
      zone: instance.availabilityZone,
      launchTemplateVersion: instance.launchTemplate?.version,
      ...detail,
    });
    const stillUp = () => instance.state === 'pending' || instance.state === 'running';
    scheduler.after(Math.min(pendingSeconds, boot / 2), () => {
      if (instance.state !== 'pending') return;
      instance.state = 'running';
      this.options.onChanged();
    });
    scheduler.after(Math.max(boot - registrationLeadSeconds, boot / 2), () => {
      if (stillUp()) this.registerNode(instance);
    });
    scheduler.after(boot, () => {
      const image = this.image(instance.imageId);
      if (stillUp() && !this.options.neverReady(image))
        this.options.cluster.setNodeReady(instance.privateDnsName);
    });
  }

  /** An instance of the starting state: launched at `launchTime`, running, its node Ready since boot. */
  materialize(
    group: AutoScalingGroupRecord,
    zone: string,
    spec: LaunchSpec,
    launchTime: Date,
  ): InstanceRecord {
    const instance = this.createInstance(group, zone, spec, launchTime, 'running');
    this.counted.add(instance.id);
    this.options.observer?.instanceUp(instance);
    this.registerNode(instance, launchTime.getTime() + this.options.timing.instanceBootSeconds * 1000);
    return instance;
  }

  /** A warm pool instance of the starting state: prepared at `launchTime`, stopped since. */
  materializeStopped(
    group: AutoScalingGroupRecord,
    zone: string,
    spec: LaunchSpec,
    launchTime: Date,
  ): InstanceRecord {
    return this.createInstance(group, zone, spec, launchTime, 'stopped');
  }

  /** A launch from the AMI (into the group or its warm pool) may take a Fast Launch snapshot. */
  private launchBootSeconds(instance: InstanceRecord): number {
    return this.options.fastLaunch(instance.imageId, this.options.bootSeconds());
  }

  coldBootSeconds(): number {
    return this.options.bootSeconds();
  }

  /** shutting-down (the kubelet stops with it), terminated after the shutdown time, node deleted later. */
  terminate(instance: InstanceRecord, whenTerminated: () => void): void {
    const { scheduler, timing, timeline, cluster } = this.options;
    const counted = this.counted.has(instance.id);
    instance.state = 'shutting-down';
    if (counted) this.options.observer?.instanceDown(instance);
    instance.stateTransitionReason = `User initiated (${new Date(scheduler.now()).toISOString().replace('T', ' ').slice(0, 19)} GMT)`;
    cluster.stopKubelet(instance.privateDnsName);
    scheduler.after(timing.instanceShutdownSeconds, () => {
      instance.state = 'terminated';
      if (counted) this.options.observer?.instanceTerminated(instance);
      timeline.record('InstanceTerminated', {
        instanceId: instance.id,
        group: instance.groupName,
        node: instance.privateDnsName,
      });
      whenTerminated();
      scheduler.after(timing.nodeDeregisterSeconds, () => cluster.deleteNode(instance.privateDnsName));
    });
  }

  private createInstance(
    group: AutoScalingGroupRecord,
    zone: string,
    spec: LaunchSpec,
    launchTime: Date,
    state: 'pending' | 'running' | 'stopped',
  ): InstanceRecord {
    const { ids, ec2 } = this.options;
    const nodeGroup = this.options.nodeGroup(group.nodeGroupName);
    const privateIp = ids.privateIp(zoneIndexOf(zone));
    const { imageId, launchTemplate } = spec;
    const launchedTags = spec.tagSpecifications
      .filter((specification) => specification.ResourceType === 'instance')
      .flatMap((specification) => specification.Tags ?? []);
    const instance: InstanceRecord = {
      id: ids.instanceId(),
      groupName: nodeGroup.spec.name,
      imageId,
      platform: this.image(imageId).platform,
      instanceType: spec.instanceType ?? nodeGroup.instanceType,
      availabilityZone: zone,
      subnetId: group.subnetByZone.get(zone) ?? '',
      privateIp,
      privateDnsName: `ip-${privateIp.replaceAll('.', '-')}.ec2.internal`,
      launchTime,
      state,
      stateTransitionReason: '',
      launchTemplate,
      tags: {
        ...Object.fromEntries(launchedTags.map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
        ...Object.fromEntries(
          group.tags.filter((tag) => tag.propagateAtLaunch).map((tag) => [tag.key, tag.value]),
        ),
        'aws:autoscaling:groupName': group.name,
        ...(launchTemplate === undefined
          ? {}
          : {
              'aws:ec2launchtemplate:id': launchTemplate.id,
              'aws:ec2launchtemplate:version': String(launchTemplate.version),
            }),
      },
    };
    ec2.instances.set(instance.id, instance);
    return instance;
  }

  private image(imageId: string): ImageRecord {
    const image = this.options.ec2.images.get(imageId);
    if (image === undefined) throw new Error(`The simulator has no image ${imageId}`);
    return image;
  }

  private registerNode(instance: InstanceRecord, readySince?: number): void {
    const { cluster, clusterName } = this.options;
    const nodeGroup = this.options.nodeGroup(instance.groupName);
    const image = this.image(instance.imageId);
    const name = instance.privateDnsName;
    const managed = nodeGroup.spec.management === 'managed';
    const labels: Record<string, string> = {
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/instance-type': instance.instanceType,
      'beta.kubernetes.io/os': image.platform,
      'failure-domain.beta.kubernetes.io/region': region,
      'failure-domain.beta.kubernetes.io/zone': instance.availabilityZone,
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': name,
      'kubernetes.io/os': image.platform,
      'node.kubernetes.io/instance-type': instance.instanceType,
      'topology.kubernetes.io/region': region,
      'topology.kubernetes.io/zone': instance.availabilityZone,
      ...(image.windowsBuild === undefined ? {} : { 'node.kubernetes.io/windows-build': image.windowsBuild }),
      ...(managed
        ? {
            'eks.amazonaws.com/nodegroup': nodeGroup.spec.name,
            'eks.amazonaws.com/nodegroup-image': image.id,
            'eks.amazonaws.com/capacityType': 'ON_DEMAND',
            'eks.amazonaws.com/sourceLaunchTemplateId': instance.launchTemplate?.id ?? '',
            'eks.amazonaws.com/sourceLaunchTemplateVersion': String(instance.launchTemplate?.version),
          }
        : {
            'alpha.eksctl.io/nodegroup-name': nodeGroup.spec.name,
            'alpha.eksctl.io/cluster-name': clusterName,
          }),
    };
    const images = new Map(
      image.cachedImages.map((cached) => [
        cached,
        Math.round(this.options.imageSizeGiB(cached, image.platform) * gibibyte),
      ]),
    );
    cluster.registerNode(
      {
        name,
        instanceId: instance.id,
        groupName: nodeGroup.spec.name,
        os: image.platform,
        availabilityZone: instance.availabilityZone,
        zoneIndex: zoneIndexOf(instance.availabilityZone),
        instanceType: instance.instanceType,
        privateIp: instance.privateIp,
        image,
        labels,
        images,
        podCapacity: nodeGroup.podCapacity,
      },
      readySince,
    );
  }
}
