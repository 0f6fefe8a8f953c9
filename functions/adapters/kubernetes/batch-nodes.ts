import type { V1Node } from '@kubernetes/client-node';
import {
  cordonedByAnnotation,
  hasRetiringTaint,
  nodeName,
  protectedByAnnotation,
  scaleDownDisabledAnnotation,
  taintsWithRetiring,
} from '../../domain/nodes.ts';
import type { KubernetesPort } from './port.ts';

/**
 * Marks nodes unschedulable with our annotation, so a rollback uncordons only what we cordoned. A
 * node already unschedulable is left as it is (someone else cordoned it; it stays cordoned). Returns
 * the nodes it cordoned.
 */
export async function cordonNodes(
  kubernetes: KubernetesPort,
  nodes: V1Node[],
  executionName: string,
): Promise<string[]> {
  const cordoned: string[] = [];
  for (const node of nodes.filter((n) => !n.spec?.unschedulable)) {
    await kubernetes.patchNode(nodeName(node), {
      unschedulable: true,
      annotations: { [cordonedByAnnotation]: executionName },
    });
    cordoned.push(nodeName(node));
  }
  return cordoned;
}

/**
 * Keeps the cluster-autoscaler from removing nodes (its scale-down-disabled annotation), with our
 * marker so that only these are released at the end. A node that already carries the annotation is
 * left as it is: whoever set it keeps it. Returns the nodes it protected.
 */
export async function protectFromScaleDown(
  kubernetes: KubernetesPort,
  nodes: V1Node[],
  executionName: string,
): Promise<string[]> {
  const protectedNodes: string[] = [];
  for (const node of nodes.filter(
    (n) => n.metadata?.annotations?.[scaleDownDisabledAnnotation] === undefined,
  )) {
    await kubernetes.patchNode(nodeName(node), {
      annotations: { [scaleDownDisabledAnnotation]: 'true', [protectedByAnnotation]: executionName },
    });
    protectedNodes.push(nodeName(node));
  }
  return protectedNodes;
}

/** Gives the nodes the rollout protected back to the cluster-autoscaler. Returns the nodes released. */
export async function releaseScaleDown(kubernetes: KubernetesPort, nodes: V1Node[]): Promise<string[]> {
  const released: string[] = [];
  for (const node of nodes.filter((n) => n.metadata?.annotations?.[protectedByAnnotation] !== undefined)) {
    await kubernetes.patchNode(nodeName(node), {
      annotations: { [scaleDownDisabledAnnotation]: null, [protectedByAnnotation]: null },
    });
    released.push(nodeName(node));
  }
  return released;
}

/**
 * Adds (`true`) or takes off (`false`) our PreferNoSchedule taint on the nodes that need it, keeping
 * their other taints. Returns the nodes it changed.
 */
export async function markRetiring(
  kubernetes: KubernetesPort,
  nodes: V1Node[],
  retiring: boolean,
): Promise<string[]> {
  const changed: string[] = [];
  for (const node of nodes.filter((n) => hasRetiringTaint(n) !== retiring)) {
    await kubernetes.patchNode(nodeName(node), { taints: taintsWithRetiring(node, retiring) });
    changed.push(nodeName(node));
  }
  return changed;
}
