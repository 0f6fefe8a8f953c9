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

/**
 * What to undo after a failure: our cordons on nodes that still run, and replacements launched by
 * this execution that never became useful (not Ready, or empty). Used replacements stay: they run the
 * target AMI, and a re-run skips them.
 */
export function rollbackActions(
  members: MemberForRollback[],
  execution: { name: string; startTime: number },
  targetAmiId: string,
): RollbackActions {
  const uncordon = members.flatMap(({ node }) =>
    node?.spec?.unschedulable && node.metadata?.annotations?.[cordonedByAnnotation] === execution.name
      ? [nodeName(node)]
      : [],
  );
  const removeSurge = members
    .filter((m) => m.imageId === targetAmiId && m.launchTime >= execution.startTime)
    .filter((m) => !m.node || !isNodeReady(m.node) || m.workloadPods === 0)
    .map((m) => m.instanceId);
  return { uncordon, removeSurge };
}
