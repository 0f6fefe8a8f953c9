import type { V1Node } from '@kubernetes/client-node';
import { nodeName, nodesByInstance } from './nodes.ts';

/**
 * A batch's instances matched to their Kubernetes nodes at the moment of each step, not once at Plan:
 * an instance may join (a slow bootstrap, a launch lifecycle hook) or its node may be replaced between
 * steps, and only `providerID` ties the two.
 */
export interface BatchMember {
  instanceId: string;
  node: V1Node | undefined;
}

export function matchBatch(instanceIds: string[], nodes: V1Node[]): BatchMember[] {
  const byInstance = nodesByInstance(nodes);
  return instanceIds.map((instanceId) => ({ instanceId, node: byInstance.get(instanceId) }));
}

/** Instances that have no Kubernetes node yet (booting, joining): the cluster-autoscaler has not seen them. */
export const instancesWithoutNode = (instanceIds: string[], nodes: V1Node[]): string[] =>
  matchBatch(instanceIds, nodes).flatMap(({ instanceId, node }) => (node ? [] : [instanceId]));

/** The members' nodes, for those that have one. */
export const memberNodes = (members: BatchMember[]): V1Node[] =>
  members.flatMap((member) => (member.node ? [member.node] : []));

/** Names of the members' nodes, for those that have one. */
export const memberNodeNames = (members: BatchMember[]): string[] =>
  members.flatMap((member) => (member.node ? [nodeName(member.node)] : []));

export type TerminationVerdict = { terminate: true; reason: string } | { terminate: false; reason: string };

/**
 * Whether an instance may be terminated: only when its node, as it is now, was cordoned and drained
 * by this rollout (the drain's node list), or when it has no node at all: pods are bound to nodes, so
 * an instance that never registered one never ran a pod. A node that joined after the last drain
 * round, or was uncordoned since, must be drained first.
 */
export function terminationVerdict(member: BatchMember, drainedNodes: string[]): TerminationVerdict {
  if (!member.node) return { terminate: true, reason: 'never joined the cluster, so it never ran a pod' };
  const name = nodeName(member.node);
  if (!drainedNodes.includes(name))
    return { terminate: false, reason: `its node ${name} joined after the drain` };
  if (!member.node.spec?.unschedulable)
    return { terminate: false, reason: `its node ${name} was uncordoned after the drain` };
  return { terminate: true, reason: `its node ${name} was cordoned and drained` };
}

/**
 * Nodes of the group's instances that registered at or after `since` (epoch milliseconds): the
 * replacements this execution launched (and any scale-out while it runs), which sit empty until their
 * batch drains and would look unneeded to the cluster-autoscaler.
 */
export function nodesJoinedSince(instanceIds: string[], nodes: V1Node[], since: number): V1Node[] {
  return matchBatch(instanceIds, nodes).flatMap(({ node }) => {
    const created = node?.metadata?.creationTimestamp;
    return node && created !== undefined && new Date(created).getTime() >= since ? [node] : [];
  });
}
