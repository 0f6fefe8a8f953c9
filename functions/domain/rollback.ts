import type { V1Node } from '@kubernetes/client-node';
import { cordonedByAnnotation, isNodeReady, nodeName } from './nodes.ts';

export interface MemberForRollback {
  instanceId: string;
  imageId: string;
  launchTime: number;
  node: V1Node | undefined;
  /** Pods on the node other than DaemonSet and mirror pods. */
  workloadPods: number;
}

export interface RollbackActions {
  uncordon: string[];
  /** Replacement instances of this execution that never took work: safe to remove. */
  removeSurge: string[];
}

/** The nodes this execution cordoned (its annotation says so): a rollback uncordons only these. */
export function ourCordons(nodes: (V1Node | undefined)[], executionName: string): string[] {
  return nodes.flatMap((node) =>
    node?.spec?.unschedulable && node.metadata?.annotations?.[cordonedByAnnotation] === executionName
      ? [nodeName(node)]
      : [],
  );
}

/**
 * What to undo after a failure: our cordons on nodes that still run, and replacements launched by
 * this execution that never became useful (not Ready first, then empty), at most `surplus` of them:
 * the instances beyond the group's original size. A replacement whose old node is already gone is
 * capacity, even when empty. Used replacements stay: they run the target AMI, and a re-run skips them.
 */
export function rollbackActions(
  members: MemberForRollback[],
  execution: { name: string; startTime: number },
  targetAmiId: string,
  surplus = Number.POSITIVE_INFINITY,
): RollbackActions {
  const uncordon = ourCordons(
    members.map((m) => m.node),
    execution.name,
  );
  const ours = members.filter((m) => m.imageId === targetAmiId && m.launchTime >= execution.startTime);
  const notReady = ours.filter((m) => !m.node || !isNodeReady(m.node));
  const empty = ours.filter((m) => m.node && isNodeReady(m.node) && m.workloadPods === 0);
  const removeSurge = [...notReady, ...empty].slice(0, Math.max(0, surplus)).map((m) => m.instanceId);
  return { uncordon, removeSurge };
}

/**
 * Nodes replaced, counted without the plan (the clean-up): the group's own size less its instances
 * from before the execution that still run. Replacements beyond that size (a surge) are no replacement.
 */
export function replacedWithoutPlan(
  live: { launchTime: number }[],
  execution: { startTime: number },
  ownDesired: number,
): number {
  return Math.max(0, ownDesired - live.filter((m) => m.launchTime < execution.startTime).length);
}
