import type { AutoScaling, AutoScalingGroupRecord } from './autoscaling.ts';
import type { Scheduler } from './clock.ts';
import { type Cluster, type PodRecord, podKey } from './cluster.ts';
import type { Ec2, InstanceRecord, LaunchTemplateRecord } from './ec2.ts';
import { AwsApiError } from './errors.ts';
import type { Ids } from './ids.ts';
import type { Random } from './random.ts';
import type { Timeline } from './timeline.ts';

/**
 * EKS managed node group updates, phase by phase as "Understand each phase of node updates"
 * (docs.aws.amazon.com/eks/latest/userguide/managed-node-update-behavior.html) describes them:
 * setup, scale up, upgrade, scale down. DescribeUpdate reads the records kept here.
 */

/** EKS's 15-minute limits: for new nodes to be Ready (scale up), and for a node's pods to leave (upgrade). */
export const eksLimitSeconds = 15 * 60;
/** "Cordons the node after every Pod is evicted and waits for 60 seconds" (upgrade phase, step 3). */
const afterDrainSeconds = 60;
/** How often the simulated EKS looks again (a refused eviction is retried on this beat too). */
const tickSeconds = 5;
/** How long a configuration update (UpdateNodegroupConfig) takes to apply. */
const configUpdateSeconds = 30;
/** The label EKS puts on nodes it is about to replace (scale up phase, step 3). */
export const excludeFromLoadBalancersLabel = 'node.kubernetes.io/exclude-from-external-load-balancers';

export interface UpdateConfig {
  maxUnavailable?: number;
  maxUnavailablePercentage?: number;
  updateStrategy?: 'DEFAULT' | 'MINIMAL';
}

export interface UpdateError {
  errorCode: string;
  errorMessage: string;
  resourceIds: string[];
}

export type UpdateStatus = 'InProgress' | 'Successful' | 'Failed' | 'Cancelled';

export interface NodegroupUpdateRecord {
  id: string;
  nodegroupName: string;
  type: 'VersionUpdate' | 'ConfigUpdate';
  status: UpdateStatus;
  createdAt: Date;
  params: { type: string; value: string }[];
  errors: UpdateError[];
  clientRequestToken: string | undefined;
}

/** What EKS itself records of a managed node group (the Auto Scaling group is its means). */
export interface ManagedNodegroupRecord {
  name: string;
  autoScalingGroupName: string;
  /** The customer's launch template, when the group was created with one. */
  launchTemplate: { id: string; name: string; version: string } | undefined;
  /** The launch template EKS made for the group when there is no customer template. */
  ownTemplateId: string;
  releaseVersion: string;
  kubernetesVersion: string;
  amiType: string;
  scaling: { minSize: number; maxSize: number; desiredSize: number };
  updateConfig: UpdateConfig;
  status: 'ACTIVE' | 'UPDATING';
  updates: NodegroupUpdateRecord[];
  modifiedAt: Date;
}

export interface VersionUpdateRequest {
  launchTemplate?: { id?: string; name?: string; version?: string };
  releaseVersion?: string;
  version?: string;
  force?: boolean;
  clientRequestToken?: string;
}

export interface ManagedUpdatesOptions {
  scheduler: Scheduler;
  timeline: Timeline;
  ids: Ids;
  ec2: Ec2;
  autoScaling: AutoScaling;
  cluster: Cluster;
  /** Seeded: EKS picks the nodes to upgrade at random. */
  random: Random;
  /** The EKS-optimized AMI of a release version for the group's AMI type, if it exists. */
  releaseImage: (group: ManagedNodegroupRecord, releaseVersion: string) => string | undefined;
}

const invalid = (message: string) => new AwsApiError('InvalidParameterException', message);
const inUse = (message: string) => new AwsApiError('ResourceInUseException', message, 409);

/** Releases are dated (`1.31-2026.11.12`): EKS does not move a group back to an earlier one. */
const releaseDate = (releaseVersion: string) => releaseVersion.replace(/^[\d.]+-v?/, '').replaceAll('.', '');

/** EKS managed node groups and their updates, on the world's clock. */
export class ManagedUpdates {
  readonly groups = new Map<string, ManagedNodegroupRecord>();
  readonly updates = new Map<string, NodegroupUpdateRecord>();

  constructor(private readonly options: ManagedUpdatesOptions) {}

  private get now() {
    return new Date(this.options.scheduler.now());
  }

  add(group: ManagedNodegroupRecord): void {
    this.groups.set(group.name, group);
  }

  group(name: string): ManagedNodegroupRecord {
    const group = this.groups.get(name);
    if (group === undefined)
      throw new AwsApiError('ResourceNotFoundException', `No node group found for name: ${name}.`, 404);
    return group;
  }

  /**
   * Health issues DescribeNodegroup reports: a group whose Auto Scaling group someone pointed at
   * another launch template version than EKS set ("Managed node group errors": Ec2LaunchTemplateVersionMismatch).
   */
  healthIssues(group: ManagedNodegroupRecord): UpdateError[] {
    if (group.status === 'UPDATING') return [];
    const asg = this.options.autoScaling.group(group.autoScalingGroupName);
    const used = asg.launchTemplate;
    const expected = group.launchTemplate ?? { id: group.ownTemplateId, version: used?.version };
    if (used?.id === expected.id && used.version === expected.version) return [];
    return [
      {
        errorCode: 'Ec2LaunchTemplateVersionMismatch',
        errorMessage: `The Amazon EC2 launch template version for your managed node group does not match the version that Amazon EKS created. Auto Scaling group ${asg.name} uses version ${used?.version ?? '(none)'}, expected ${expected.version}.`,
        resourceIds: [asg.name],
      },
    ];
  }

  /** UpdateNodegroupConfig with an updateConfig: applied shortly, as a ConfigUpdate. */
  updateConfig(name: string, updateConfig: UpdateConfig, clientRequestToken?: string): NodegroupUpdateRecord {
    const group = this.group(name);
    const repeated = this.repeated(group, clientRequestToken);
    if (repeated) return repeated;
    this.refuseWhileUpdating(group);
    const { maxUnavailable, maxUnavailablePercentage, updateStrategy } = updateConfig;
    if ((maxUnavailable === undefined) === (maxUnavailablePercentage === undefined) && !updateStrategy) {
      throw invalid('Exactly one of maxUnavailable and maxUnavailablePercentage must be specified.');
    }
    if (maxUnavailable !== undefined && (maxUnavailable < 1 || maxUnavailable > 100))
      throw invalid('maxUnavailable must be between 1 and 100.');
    if (
      maxUnavailablePercentage !== undefined &&
      (maxUnavailablePercentage < 1 || maxUnavailablePercentage > 100)
    )
      throw invalid('maxUnavailablePercentage must be between 1 and 100.');
    const update = this.begin(group, 'ConfigUpdate', clientRequestToken, [
      ...(maxUnavailable === undefined ? [] : [{ type: 'MaxUnavailable', value: String(maxUnavailable) }]),
      ...(maxUnavailablePercentage === undefined
        ? []
        : [{ type: 'MaxUnavailablePercentage', value: String(maxUnavailablePercentage) }]),
      ...(updateStrategy === undefined ? [] : [{ type: 'UpdateStrategy', value: updateStrategy }]),
    ]);
    this.options.scheduler.after(configUpdateSeconds, () => {
      group.updateConfig = {
        ...(maxUnavailable === undefined && maxUnavailablePercentage === undefined
          ? group.updateConfig
          : { maxUnavailable, maxUnavailablePercentage }),
        updateStrategy: updateStrategy ?? group.updateConfig.updateStrategy,
      };
      this.end(group, update, 'Successful');
    });
    return update;
  }

  /**
   * UpdateNodegroupVersion: to a version of the group's own launch template, or (no launch template)
   * to a release of the EKS-optimized AMI; then the four phases run on the clock.
   */
  updateVersion(name: string, request: VersionUpdateRequest): NodegroupUpdateRecord {
    const group = this.group(name);
    const repeated = this.repeated(group, request.clientRequestToken);
    if (repeated) return repeated;
    this.refuseWhileUpdating(group);
    const { ec2 } = this.options;
    let template: LaunchTemplateRecord;
    let version: string;
    const params: { type: string; value: string }[] = [];
    if (request.launchTemplate !== undefined) {
      if (group.launchTemplate === undefined) {
        throw invalid(
          'You cannot specify a launch template for a node group that was not created with a launch template.',
        );
      }
      template = ec2.launchTemplate({
        LaunchTemplateId: request.launchTemplate.id,
        LaunchTemplateName: request.launchTemplate.name,
      });
      if (template.id !== group.launchTemplate.id) {
        throw invalid(
          `The launch template ${template.id} does not match the one the node group was created with (${group.launchTemplate.id}).`,
        );
      }
      if (request.releaseVersion !== undefined) {
        throw invalid('A release version cannot be given with a launch template that uses a custom AMI.');
      }
      version = String(ec2.resolveVersion(template, request.launchTemplate.version).versionNumber);
      params.push({ type: 'LaunchTemplateVersion', value: version });
    } else {
      if (group.launchTemplate !== undefined) {
        throw invalid(
          'This node group was created with a launch template: update it with a launch template version.',
        );
      }
      const releaseVersion = request.releaseVersion ?? group.releaseVersion;
      const imageId = this.options.releaseImage(group, releaseVersion);
      if (imageId === undefined) {
        throw invalid(
          `Requested release version ${releaseVersion} is not valid for ${group.amiType} and Kubernetes ${group.kubernetesVersion}.`,
        );
      }
      if (releaseDate(releaseVersion) < releaseDate(group.releaseVersion)) {
        throw invalid(
          `Requested release version ${releaseVersion} is older than the node group's ${group.releaseVersion}: a node group cannot be rolled back to an earlier AMI version.`,
        );
      }
      template = ec2.launchTemplate({ LaunchTemplateId: group.ownTemplateId });
      // Setup phase, step 1: a new version of the group's template with the target AMI.
      const created = ec2.createLaunchTemplateVersion(
        template,
        {
          sourceVersion: '$Latest',
          data: { ImageId: imageId },
          description: undefined,
          clientToken: undefined,
        },
        this.now,
      );
      version = String(created.versionNumber);
      params.push({ type: 'ReleaseVersion', value: releaseVersion });
      group.releaseVersion = releaseVersion;
    }
    if (request.force) params.push({ type: 'Force', value: 'true' });
    const update = this.begin(group, 'VersionUpdate', request.clientRequestToken, params);
    if (group.launchTemplate !== undefined) group.launchTemplate.version = version;
    this.run(group, update, { id: template.id, name: template.name, version }, request.force === true);
    return update;
  }

  private repeated(group: ManagedNodegroupRecord, token: string | undefined) {
    return token === undefined ? undefined : group.updates.find((u) => u.clientRequestToken === token);
  }

  private refuseWhileUpdating(group: ManagedNodegroupRecord): void {
    const running = group.updates.find((update) => update.status === 'InProgress');
    if (running !== undefined) {
      throw inUse(`Nodegroup ${group.name} cannot be updated while update ${running.id} is in progress.`);
    }
  }

  private begin(
    group: ManagedNodegroupRecord,
    type: NodegroupUpdateRecord['type'],
    clientRequestToken: string | undefined,
    params: NodegroupUpdateRecord['params'],
  ): NodegroupUpdateRecord {
    const update: NodegroupUpdateRecord = {
      id: this.options.ids.uuid(),
      nodegroupName: group.name,
      type,
      status: 'InProgress',
      createdAt: this.now,
      params,
      errors: [],
      clientRequestToken,
    };
    group.updates.push(update);
    this.updates.set(update.id, update);
    group.status = 'UPDATING';
    group.modifiedAt = this.now;
    this.options.timeline.record('NodegroupUpdateStarted', {
      nodegroup: group.name,
      updateId: update.id,
      type,
      params,
    });
    return update;
  }

  private end(
    group: ManagedNodegroupRecord,
    update: NodegroupUpdateRecord,
    status: UpdateStatus,
    error?: UpdateError,
  ) {
    update.status = status;
    if (error) update.errors.push(error);
    group.status = 'ACTIVE';
    group.modifiedAt = this.now;
    this.options.timeline.record(
      status === 'Successful' ? 'NodegroupUpdateSucceeded' : 'NodegroupUpdateFailed',
      {
        nodegroup: group.name,
        updateId: update.id,
        ...(error ? { errorCode: error.errorCode, resourceIds: error.resourceIds } : {}),
      },
    );
  }

  /** The phases, each a step on the clock; a failure ends the update where it stands (EKS undoes nothing). */
  private run(
    group: ManagedNodegroupRecord,
    update: NodegroupUpdateRecord,
    target: { id: string; name: string; version: string },
    force: boolean,
  ): void {
    const { autoScaling, cluster, scheduler } = this.options;
    const asg = autoScaling.group(group.autoScalingGroupName);
    // Setup phase: the Auto Scaling group launches from the target version; maxUnavailable decides the pace.
    autoScaling.update(asg.name, { launchTemplate: target });
    const targetVersion = Number(target.version);
    const isOld = (instance: InstanceRecord) => instance.launchTemplate?.version !== targetVersion;
    const old = autoScaling.liveInstances(asg).filter(isOld);
    const parallel = this.maxUnavailable(group, old.length);
    // MINIMAL "removes the guardrails and terminates the old instances before launching the new
    // instances" (NodegroupUpdateConfig.updateStrategy, EKS API Reference): no scale up phase.
    const minimal = group.updateConfig.updateStrategy === 'MINIMAL';
    // Scale up phase: max and desired up by the larger of twice the zones and maxUnavailable.
    const surge = minimal ? 0 : Math.max(2 * asg.availabilityZones.length, parallel);
    const before = { maxSize: group.scaling.maxSize, desired: group.scaling.desiredSize };
    if (!minimal) {
      autoScaling.update(asg.name, {
        maxSize: asg.maxSize + surge,
        desiredCapacity: asg.desiredCapacity + surge,
      });
    }
    const scaleUpStart = scheduler.now();
    const oldZones = new Set(old.map((instance) => instance.availabilityZone));
    const fail = (errorCode: string, errorMessage: string, resourceIds: string[]) =>
      this.end(group, update, 'Failed', { errorCode, errorMessage, resourceIds });
    // As EKS words it; the pods are named too, as AWS said it would (aws/containers-roadmap#1282).
    const evictionFailure = (nodeName: string, pods: string[]) =>
      fail(
        'PodEvictionFailure',
        `Reached max retries while trying to evict pods from nodes in node group ${group.name} (pods ${pods.join(', ')})`,
        [nodeName],
      );

    /** Nodes launched since `since` from the target version, and whether they are all Ready. */
    const launchedSince = (since: number) => {
      const fresh = autoScaling
        .liveInstances(asg)
        .filter((instance) => !isOld(instance) && instance.launchTime.getTime() >= since);
      const ready = fresh.filter((i) => cluster.nodes.get(i.privateDnsName)?.ready === 'True');
      return { fresh, ready };
    };
    const joinFailure = (fresh: InstanceRecord[], ready: InstanceRecord[]) =>
      fail(
        'NodeCreationFailure',
        'Instances failed to join the kubernetes cluster',
        fresh.filter((instance) => !ready.includes(instance)).map((instance) => instance.id),
      );

    /**
     * Drains the picked nodes side by side: `drained` as each one is empty, `all` once every one is;
     * the first one stuck fails the update (PodEvictionFailure) and nothing more follows.
     */
    const drainPicked = (
      picked: InstanceRecord[],
      all: () => void,
      drained?: (instance: InstanceRecord) => void,
    ) => {
      let pending = picked.length;
      let failed = false;
      for (const instance of picked) {
        this.drain(instance.privateDnsName, force, (outcome) => {
          if (failed) return;
          if (outcome.kind === 'stuck') {
            failed = true;
            evictionFailure(instance.privateDnsName, outcome.pods);
            return;
          }
          drained?.(instance);
          pending -= 1;
          if (pending === 0) all();
        });
      }
    };

    // MINIMAL, each round: up to maxUnavailable old nodes cordoned, drained and terminated without
    // decrement; their replacements, launched only then, must be Ready within 15 minutes.
    const minimalRound = () => {
      const remaining = autoScaling.liveInstances(asg).filter(isOld);
      if (remaining.length === 0) {
        this.end(group, update, 'Successful');
        return;
      }
      const picked = this.pick(remaining, parallel);
      for (const instance of picked) this.markForReplacement(instance.privateDnsName);
      drainPicked(picked, () => {
        const roundStart = scheduler.now();
        for (const done of picked) this.terminateIfLive(done, false);
        const replaced = () => {
          const { fresh, ready } = launchedSince(roundStart);
          if (fresh.length >= picked.length && ready.length === fresh.length) minimalRound();
          else if (scheduler.now() - roundStart >= eksLimitSeconds * 1000) joinFailure(fresh, ready);
          else scheduler.after(tickSeconds, replaced);
        };
        scheduler.after(tickSeconds, replaced);
      });
    };

    // Scale up phase, step 2: the nodes launched for the update all Ready, at least one in every zone.
    const scaleUp = () => {
      const { fresh, ready } = launchedSince(scaleUpStart);
      const zonesCovered = [...oldZones].every((zone) => ready.some((i) => i.availabilityZone === zone));
      if (fresh.length >= surge && ready.length === fresh.length && zonesCovered) {
        // Scale up phase, step 3: the nodes to replace take no new pods and leave the load balancers.
        for (const instance of old) this.markForReplacement(instance.privateDnsName);
        upgrade();
        return;
      }
      if (scheduler.now() - scaleUpStart >= eksLimitSeconds * 1000) {
        joinFailure(fresh, ready);
        return;
      }
      scheduler.after(tickSeconds, scaleUp);
    };

    // Upgrade phase: up to maxUnavailable nodes at a time, picked at random, drained, terminated.
    const upgrade = () => {
      const remaining = autoScaling.liveInstances(asg).filter(isOld);
      if (remaining.length === 0) {
        scaleDown();
        return;
      }
      // Each drained instance is replaced from the target version: desired stays until the scale down phase.
      drainPicked(this.pick(remaining, parallel), upgrade, (instance) =>
        this.terminateIfLive(instance, false),
      );
    };

    // Scale down phase: max and desired down by one at a time to their values before the update; each
    // node scaled in is drained first, as for every managed node group scale-in.
    const scaleDown = () => {
      if (asg.desiredCapacity <= before.desired) {
        autoScaling.update(asg.name, { maxSize: before.maxSize });
        this.end(group, update, 'Successful');
        return;
      }
      const victim = this.scaleInVictim(asg);
      if (victim === undefined) {
        scheduler.after(tickSeconds, scaleDown);
        return;
      }
      this.markForReplacement(victim.privateDnsName);
      this.drain(victim.privateDnsName, force, (outcome) => {
        if (outcome.kind === 'stuck') {
          evictionFailure(victim.privateDnsName, outcome.pods);
          return;
        }
        this.terminateIfLive(victim, true);
        autoScaling.update(asg.name, { maxSize: Math.max(asg.maxSize - 1, before.maxSize) });
        scaleDown();
      });
    };

    scheduler.after(tickSeconds, minimal ? minimalRound : scaleUp);
  }

  /** The updateConfig's count, or its percentage of the nodes to update (at least one). */
  private maxUnavailable(group: ManagedNodegroupRecord, nodes: number): number {
    const { maxUnavailable, maxUnavailablePercentage } = group.updateConfig;
    if (maxUnavailable !== undefined) return Math.min(maxUnavailable, 100);
    if (maxUnavailablePercentage !== undefined)
      return Math.max(1, Math.min(100, Math.floor((nodes * maxUnavailablePercentage) / 100)));
    return 1;
  }

  /** "Randomly selects a node that needs to be upgraded, up to the maximum unavailable" (upgrade phase, step 1). */
  private pick(instances: InstanceRecord[], count: number): InstanceRecord[] {
    const pool = [...instances];
    const picked: InstanceRecord[] = [];
    while (picked.length < count && pool.length > 0) {
      const [chosen] = pool.splice(this.options.random.int(pool.length), 1);
      if (chosen) picked.push(chosen);
    }
    return picked;
  }

  /** The Auto Scaling group's default choice for scale-in: the fullest zone, then the oldest instance. */
  private scaleInVictim(asg: AutoScalingGroupRecord): InstanceRecord | undefined {
    const live = this.options.autoScaling.liveInstances(asg).filter((i) => i.state === 'running');
    const perZone = (zone: string) => live.filter((instance) => instance.availabilityZone === zone).length;
    const sorted = [...live].sort(
      (a, b) =>
        perZone(b.availabilityZone) - perZone(a.availabilityZone) ||
        a.launchTime.getTime() - b.launchTime.getTime(),
    );
    return sorted[0];
  }

  /** Terminates a drained instance unless something else (the cluster-autoscaler, a person) already did. */
  private terminateIfLive(instance: InstanceRecord, decrement: boolean): void {
    if (instance.state === 'pending' || instance.state === 'running')
      this.options.autoScaling.terminateInstance(instance.id, decrement);
  }

  private markForReplacement(nodeName: string): void {
    this.options.cluster.patchNode(nodeName, {
      unschedulable: true,
      labels: { [excludeFromLoadBalancersLabel]: 'true' },
    });
  }

  /**
   * Upgrade phase, step 2: every pod but DaemonSet pods is evicted, refusals retried until EKS's
   * 15 minutes, then `stuck` unless `force` (the node goes with its pods); once the pods are gone,
   * 60 seconds, then the node may be terminated.
   */
  private drain(
    nodeName: string,
    force: boolean,
    done: (outcome: { kind: 'drained' } | { kind: 'stuck'; pods: string[] }) => void,
  ): void {
    const { cluster, scheduler } = this.options;
    const started = scheduler.now();
    const evictable = (pod: PodRecord) => pod.workload.spec.kind !== 'DaemonSet' && !pod.lost;
    const round = () => {
      const left = cluster.podsOn(nodeName).filter(evictable);
      for (const pod of left) {
        if (pod.deletionTimestamp === undefined) cluster.evict(pod.namespace, pod.name, undefined);
      }
      const still = cluster.podsOn(nodeName).filter(evictable);
      if (still.length === 0) {
        scheduler.after(afterDrainSeconds, () => done({ kind: 'drained' }));
        return;
      }
      if (scheduler.now() - started >= eksLimitSeconds * 1000) {
        if (force) done({ kind: 'drained' });
        else {
          const refused = still.filter((pod) => pod.deletionTimestamp === undefined);
          done({ kind: 'stuck', pods: refused.map((pod) => podKey(pod.namespace, pod.name)) });
        }
        return;
      }
      scheduler.after(tickSeconds, round);
    };
    round();
  }
}
