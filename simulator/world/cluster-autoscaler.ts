import type { AutoScaling, AutoScalingGroupRecord } from './autoscaling.ts';
import { isTerminal } from './bare-pods.ts';
import type { Scheduler } from './clock.ts';
import type { Cluster, NodeRecord, PodRecord } from './cluster.ts';
import type { Platform } from './ec2.ts';
import type { Random } from './random.ts';
import type { Timeline } from './timeline.ts';

// The Kubernetes cluster-autoscaler (kubernetes/autoscaler, cluster-autoscaler/FAQ.md) with its AWS
// provider: every figure below is a documented default flag value.

/** `--scan-interval`: "How often cluster is reevaluated for scale up or down". */
export const scanIntervalSeconds = 10;
/** `--scale-down-unready-time`: "How long an unready node should be unneeded before it is eligible for scale down". */
export const scaleDownUnreadySeconds = 1200;
/** `--scale-down-delay-after-add`: "How long after scale up that scale down evaluation resumes". */
export const scaleDownDelayAfterAddSeconds = 600;
/** `--scale-down-delay-after-failure`. */
export const scaleDownDelayAfterFailureSeconds = 180;
/** `--max-empty-bulk-delete`: "Empty nodes, on the other hand, can be terminated in bulk, up to 10 nodes at a time". */
export const maxEmptyBulkDelete = 10;
/** `--node-delete-delay-after-taint`: "How long to wait before deleting a node after tainting it". */
export const nodeDeleteDelayAfterTaintSeconds = 5;
/** utils/drain `PodLongTerminatingExtraThreshold`: a pod deleted this long past its grace period no longer counts. */
export const podLongTerminatingExtraSeconds = 30;

/**
 * FAQ "How can I prevent Cluster Autoscaler from scaling down a particular node?". Spelled here, not
 * imported from functions/: the world must not share a typo with the workflow.
 */
export const scaleDownDisabledAnnotation = 'cluster-autoscaler.kubernetes.io/scale-down-disabled';
/** The NoSchedule taint it puts on a node it is about to delete (utils/taints `ToBeDeletedTaint`). */
export const toBeDeletedTaint = 'ToBeDeletedByClusterAutoscaler';

/** The AWS provider's auto-discovery tags (`--node-group-auto-discovery=asg:tag=...`, cloudprovider/aws/README.md). */
export const discoveryTags = (clusterName: string): Record<string, string> => ({
  'k8s.io/cluster-autoscaler/enabled': 'true',
  [`k8s.io/cluster-autoscaler/${clusterName}`]: 'owned',
});

export interface ClusterAutoscalerSettings {
  /** `--scale-down-unneeded-time`. */
  scaleDownUnneededSeconds: number;
}

export interface ClusterAutoscalerOptions {
  scheduler: Scheduler;
  timeline: Timeline;
  cluster: Cluster;
  autoScaling: AutoScaling;
  random: Random;
  clusterName: string;
  settings: ClusterAutoscalerSettings;
  /** What a new node of the group would be (the provider's template node): its OS and pod capacity. */
  templateNode: (group: AutoScalingGroupRecord) => { os: Platform; podCapacity: number };
}

/**
 * Whether the node is empty for scale-down: only DaemonSet pods (mirror pods do not exist here) and
 * pods deleted long enough ago (`IsPodLongTerminating`: deletionTimestamp + grace + 30 s passed) are
 * left. Any other pod keeps the node: the model removes empty nodes only.
 */
export function isEmptyForScaleDown(pods: PodRecord[], now: number): boolean {
  return pods.every(
    (pod) =>
      pod.workload.spec.kind === 'DaemonSet' ||
      (pod.deletionTimestamp !== undefined &&
        pod.deletionTimestamp +
          (pod.workload.spec.terminationGracePeriodSeconds + podLongTerminatingExtraSeconds) * 1000 <
          now),
  );
}

/** How long the node must have been unneeded before it goes: longer while it is not Ready. */
export function unneededThresholdSeconds(node: NodeRecord, settings: ClusterAutoscalerSettings): number {
  return node.ready === 'True' ? settings.scaleDownUnneededSeconds : scaleDownUnreadySeconds;
}

/**
 * New nodes the group needs for `pending` pods (binpacking estimator): as many as their pods fill, after
 * the group's DaemonSets took their place on each, less the nodes already on their way.
 */
export function nodesNeeded(pending: number, podsPerNewNode: number, upcoming: number): number {
  if (pending === 0 || podsPerNewNode <= 0) return 0;
  return Math.max(0, Math.ceil(pending / podsPerNewNode) - upcoming);
}

/**
 * Every scan interval: pods Pending for want of room scale a tagged group up (to its max); otherwise
 * empty nodes of tagged groups unneeded for long enough are tainted and their instances terminated
 * with TerminateInstanceInAutoScalingGroup, decrementing desired, never below the group's minimum and
 * never a node annotated scale-down-disabled.
 */
export class ClusterAutoscaler {
  /** Per node, since when it has been unneeded. */
  private readonly unneededSince = new Map<string, number>();
  private lastScaleUpAt = Number.NEGATIVE_INFINITY;
  private lastScaleDownFailureAt = Number.NEGATIVE_INFINITY;
  /** Nodes tainted for deletion, not yet terminated. */
  private readonly deleting = new Set<string>();

  constructor(private readonly options: ClusterAutoscalerOptions) {}

  private get now() {
    return this.options.scheduler.now();
  }

  /** Starts the scan loop; it runs for as long as the world does. */
  start(): void {
    const loop = () => {
      this.runOnce();
      this.options.scheduler.after(scanIntervalSeconds, loop);
    };
    this.options.scheduler.after(scanIntervalSeconds, loop);
  }

  /** One iteration of the main loop (core/static_autoscaler.go `RunOnce`). */
  runOnce(): void {
    const groups = this.discoveredGroups();
    if (groups.length === 0) return;
    // FAQ "How does scale-down work?": "if no scale-up is needed" — a scale-up skips scale-down this loop.
    if (this.scaleUp(groups)) return;
    this.scaleDown(groups);
  }

  private discoveredGroups(): AutoScalingGroupRecord[] {
    const wanted = Object.keys(discoveryTags(this.options.clusterName));
    return [...this.options.autoScaling.groups.values()]
      .filter((group) => wanted.every((key) => group.tags.some((tag) => tag.key === key)))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The group's nodes, registered and not on their way out. */
  private nodesOf(group: AutoScalingGroupRecord): NodeRecord[] {
    const live = new Set(this.options.autoScaling.liveInstances(group).map((instance) => instance.id));
    return [...this.options.cluster.nodes.values()].filter((node) => live.has(node.instanceId));
  }

  /**
   * FAQ "How does scale-up work?": pods the scheduler could not place, against a new node of each
   * group that could run them; the expander (default `random`) picks one group, raised with
   * SetDesiredCapacity up to its max. Nodes already asked for (desired above registered) count first.
   */
  private scaleUp(groups: AutoScalingGroupRecord[]): boolean {
    const pending = this.options.cluster.pendingPods().filter((pod) => pod.requiredNode === undefined);
    if (pending.length === 0) return false;
    const options = groups.flatMap((group) => {
      const template = this.options.templateNode(group);
      const pods = pending.filter((pod) => pod.workload.spec.os === template.os).length;
      const daemons = this.options.cluster.workloads.filter(
        (workload) => workload.spec.kind === 'DaemonSet' && workload.spec.os === template.os,
      ).length;
      const upcoming = Math.max(0, group.desiredCapacity - this.nodesOf(group).length);
      const needed = nodesNeeded(pods, template.podCapacity - daemons, upcoming);
      const desired = Math.min(group.maxSize, group.desiredCapacity + needed);
      return desired > group.desiredCapacity ? [{ group, desired, pods }] : [];
    });
    if (options.length === 0) return false;
    const choice = options[this.options.random.int(options.length)];
    if (choice === undefined) return false;
    const { group, desired, pods } = choice;
    const before = group.desiredCapacity;
    this.options.autoScaling.setDesiredCapacity(group.name, desired);
    this.lastScaleUpAt = this.now;
    this.options.timeline.record('ClusterAutoscalerScaledUp', {
      group: group.nodeGroupName,
      from: before,
      to: desired,
      pendingPods: pods,
    });
    return true;
  }

  /**
   * FAQ "How does scale-down work?": unneeded nodes are tracked every loop, even while scale-down
   * waits after a scale-up or a failure; those unneeded long enough go, up to 10 empty ones at once.
   * A cordoned node is no exception (core/scaledown/eligibility/eligibility.go checks only the
   * deletion taint, the annotation, the node group and utilization).
   */
  private scaleDown(groups: AutoScalingGroupRecord[]): void {
    const now = this.now;
    const { cluster, settings } = this.options;
    const candidates: { node: NodeRecord; group: AutoScalingGroupRecord }[] = [];
    const seen = new Set<string>();
    for (const group of groups) {
      for (const node of this.nodesOf(group)) {
        seen.add(node.name);
        const unneeded =
          node.annotations[scaleDownDisabledAnnotation] !== 'true' &&
          !this.deleting.has(node.name) &&
          isEmptyForScaleDown(cluster.podsOn(node.name), now) &&
          // A pod no controller owns blocks scale-down (BlockingPod NotReplicated) until it is terminal.
          cluster.barePods.on(node.name).every(isTerminal);
        if (!unneeded) {
          this.unneededSince.delete(node.name);
          continue;
        }
        const since = this.unneededSince.get(node.name) ?? now;
        this.unneededSince.set(node.name, since);
        if (now - since >= unneededThresholdSeconds(node, settings) * 1000) candidates.push({ node, group });
      }
    }
    for (const name of this.unneededSince.keys()) if (!seen.has(name)) this.unneededSince.delete(name);

    const coolingDown =
      now < this.lastScaleUpAt + scaleDownDelayAfterAddSeconds * 1000 ||
      now < this.lastScaleDownFailureAt + scaleDownDelayAfterFailureSeconds * 1000;
    if (coolingDown) return;
    // FAQ "... not scaled down. Why?": "the node group already has the minimum size".
    const leaving = new Map<AutoScalingGroupRecord, number>();
    for (const { node, group } of candidates.slice(0, maxEmptyBulkDelete)) {
      const after = group.desiredCapacity - (leaving.get(group) ?? 0) - 1;
      if (after < group.minSize) continue;
      leaving.set(group, (leaving.get(group) ?? 0) + 1);
      this.remove(node, group, (now - (this.unneededSince.get(node.name) ?? now)) / 1000);
    }
  }

  /**
   * FAQ "How does Cluster Autoscaler remove nodes?": the node is tainted so that nothing lands on it,
   * then its instance is terminated through the provider (the AWS provider's
   * TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity true); the Node object is
   * left to the cloud node controller. DaemonSet pods of an empty node are not evicted
   * (`--daemonset-eviction-for-empty-nodes` false).
   */
  private remove(node: NodeRecord, group: AutoScalingGroupRecord, unneededSeconds: number): void {
    const { cluster, timeline, autoScaling, scheduler } = this.options;
    this.deleting.add(node.name);
    this.unneededSince.delete(node.name);
    const taint = {
      key: toBeDeletedTaint,
      value: String(Math.floor(this.now / 1000)),
      effect: 'NoSchedule' as const,
    };
    cluster.patchNode(node.name, { taints: [...node.taints, taint] });
    timeline.record('ClusterAutoscalerScaleDown', {
      node: node.name,
      instanceId: node.instanceId,
      group: group.nodeGroupName,
      unneededSeconds: Math.round(unneededSeconds),
    });
    scheduler.after(nodeDeleteDelayAfterTaintSeconds, () => {
      this.deleting.delete(node.name);
      try {
        autoScaling.terminateInstance(node.instanceId, true);
      } catch (error) {
        // The taint is taken off again and scale-down waits (`--scale-down-delay-after-failure`).
        this.lastScaleDownFailureAt = this.now;
        const current = cluster.nodes.get(node.name);
        if (current !== undefined)
          cluster.patchNode(node.name, {
            taints: current.taints.filter((candidate) => candidate.key !== toBeDeletedTaint),
          });
        timeline.record('ClusterAutoscalerScaleDownFailed', {
          node: node.name,
          instanceId: node.instanceId,
          reason: error instanceof Error ? error.message : String(error),
        });
      }
    });
  }
}
