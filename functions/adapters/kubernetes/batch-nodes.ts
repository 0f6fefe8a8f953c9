import type { V1Node } from '@kubernetes/client-node';
import { type BatchMember, matchBatch } from '../../domain/members.ts';
import { cordonedByAnnotation, nodeName } from '../../domain/nodes.ts';
import type { KubernetesPort } from './port.ts';

/** The batch's instances and their nodes, as the cluster shows them now. */
export async function batchMembers(
  kubernetes: KubernetesPort,
  instanceIds: string[],
): Promise<BatchMember[]> {
  return matchBatch(instanceIds, await kubernetes.listNodes());
}

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
