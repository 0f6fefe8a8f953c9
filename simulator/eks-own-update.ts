import FakeTimers from '@sinonjs/fake-timers';
import { executionTargetAmi, type NodeGroupSpec, type Scenario } from './scenario.ts';
import { eksReleaseVersionOfName } from './world/catalog.ts';
import { schedulerOf, simulationStart } from './world/clock.ts';
import type { InvariantCounts } from './world/invariants.ts';
import type { UpdateConfig } from './world/managed-updates.ts';
import type { RolloutMetrics } from './world/metrics.ts';
import { World } from './world.ts';

/** What EKS's own managed node group update did to the world, measured as our rollout is. */
export interface EksOwnUpdateResult {
  /** How EKS's update ended (`Successful`, `Failed`) or `TimedOut` at `limitSeconds`. */
  status: 'Successful' | 'Failed' | 'Cancelled' | 'TimedOut';
  /** EKS's error codes when it failed (NodeCreationFailure, PodEvictionFailure...). */
  errorCodes: string[];
  /** Seconds from the update's start to its end (or the limit). */
  durationSeconds: number;
  /** Seconds until the group first had as many Ready nodes on the target AMI as it had nodes (null: never). */
  allNewReadySeconds: number | null;
  /** Seconds until no instance of the group ran an old AMI any more (null: never). */
  allOldGoneSeconds: number | null;
  minSchedulableReadyNodes: number | null;
  evictionsPerPod: number;
  unavailablePodSeconds: number;
  peakExtraInstances: number;
  metrics: RolloutMetrics;
  invariants: InvariantCounts;
}

export interface EksOwnUpdateOptions {
  /** The group's updateConfig for the update (default: as the scenario leaves it, maxUnavailable 1, DEFAULT). */
  updateConfig?: UpdateConfig;
  /** EKS's `force`: a node whose pods do not leave within 15 minutes is terminated with them. */
  force?: boolean;
  /** Simulated seconds after which the run stops whatever EKS is doing (default 48 h). */
  limitSeconds?: number;
}

/**
 * EKS's OWN managed node group update (UpdateNodegroupVersion, no workflow of ours) of the scenario's
 * target group (`execution.input.nodeGroupName`) to `execution.input.amiId`, on the same world our
 * rollout would meet: same seed, workloads, PDBs, boot times and faults. A self-managed target is
 * rolled as the managed group EKS would make of it (with its launch template): the bench's peer run.
 */
export async function runEksOwnUpdate(
  scenario: Scenario,
  options: EksOwnUpdateOptions = {},
): Promise<EksOwnUpdateResult> {
  const input = scenario.execution.input as { nodeGroupName?: unknown } | undefined;
  const targetName = typeof input?.nodeGroupName === 'string' ? input.nodeGroupName : undefined;
  const targetAmi = executionTargetAmi(scenario);
  if (targetName === undefined || targetAmi === undefined) {
    throw new Error('runEksOwnUpdate: the scenario needs execution.input.nodeGroupName and amiId');
  }
  const clock = FakeTimers.createClock(simulationStart);
  const world = new World(asManaged(scenario, targetName), schedulerOf(clock));
  const target =
    world.nodeGroups.get(targetName) ??
    [...world.nodeGroups.values()].find((group) => group.spec.asgName === targetName);
  if (target === undefined) throw new Error(`runEksOwnUpdate: no node group ${targetName} in the scenario`);
  const name = target.spec.name;
  world.registerExecutionInput({
    nodeGroupName: name,
    amiId: targetAmi,
    overridePdbAfterTimeout: options.force,
  });
  const started = clock.now;
  const size = target.spec.instances;
  const asg = world.autoScaling.group(target.autoScalingGroupName);
  const live = () => world.autoScaling.liveInstances(asg);
  let allNewReady: number | undefined;
  let allOldGone: number | undefined;
  const observe = () => {
    const instances = live();
    const readyNew = instances.filter(
      (instance) =>
        instance.imageId === targetAmi && world.cluster.nodes.get(instance.privateDnsName)?.ready === 'True',
    ).length;
    if (allNewReady === undefined && readyNew >= size) allNewReady = clock.now;
    if (allOldGone === undefined && instances.every((instance) => instance.imageId === targetAmi))
      allOldGone = clock.now;
  };
  world.timeline.subscribe(({ event }) => {
    if (event === 'NodeReady' || event === 'InstanceTerminated' || event === 'InstanceLaunched') observe();
  });

  const managed = world.managedUpdates.group(name);
  if (options.updateConfig) managed.updateConfig = { ...options.updateConfig };
  const update =
    managed.launchTemplate === undefined
      ? world.managedUpdates.updateVersion(name, {
          releaseVersion: eksReleaseVersionOfName(world.ec2.images.get(targetAmi)?.name ?? ''),
          force: options.force,
        })
      : world.managedUpdates.updateVersion(name, {
          launchTemplate: {
            id: managed.launchTemplate.id,
            version: newVersion(world, managed.launchTemplate.id, targetAmi),
          },
          force: options.force,
        });
  const limit = started + (options.limitSeconds ?? 48 * 3600) * 1000;
  while (update.status === 'InProgress' && clock.now < limit) clock.next();
  world.metrics.freeze();
  const metrics = world.metrics.report();
  const seconds = (at: number | undefined) => (at === undefined ? null : Math.round((at - started) / 1000));
  return {
    status: update.status === 'InProgress' ? 'TimedOut' : update.status,
    errorCodes: update.errors.map((error) => error.errorCode),
    durationSeconds: Math.round((clock.now - started) / 1000),
    allNewReadySeconds: seconds(allNewReady),
    allOldGoneSeconds: seconds(allOldGone),
    minSchedulableReadyNodes: metrics.minSchedulableReadyNodes,
    evictionsPerPod: metrics.evictionsPerPod,
    unavailablePodSeconds: metrics.unavailablePodSeconds,
    peakExtraInstances: metrics.peakExtraInstances,
    metrics,
    invariants: world.finalInvariants(),
  };
}

/** The scenario with its target group as EKS manages it: a launch template of its own, no Auto Scaling name. */
function asManaged(scenario: Scenario, targetName: string): Scenario {
  const toManaged = (group: NodeGroupSpec): NodeGroupSpec =>
    (group.name === targetName || group.asgName === targetName) && group.management !== 'managed'
      ? {
          ...group,
          management: 'managed',
          asgName: undefined,
          launchTemplate: group.launchTemplate ?? { reference: 'number', earlierVersions: [] },
        }
      : group;
  return { ...scenario, nodeGroups: scenario.nodeGroups.map(toManaged) };
}

/** A new version of the group's own template with only ImageId changed, as an operator would make it. */
function newVersion(world: World, templateId: string, amiId: string): string {
  const template = world.ec2.launchTemplate({ LaunchTemplateId: templateId });
  const created = world.ec2.createLaunchTemplateVersion(
    template,
    { sourceVersion: '$Latest', data: { ImageId: amiId }, description: undefined, clientToken: undefined },
    new Date(world.scheduler.now()),
  );
  return String(created.versionNumber);
}
