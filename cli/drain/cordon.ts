import type { V1Node } from '@kubernetes/client-node';
import type { KubernetesPort } from '../../functions/adapters/kubernetes/port.ts';
import { cordonedByAnnotation } from '../../functions/domain/nodes.ts';
import { UsageError } from '../options.ts';

/** The annotation's value for a cordon by hand: no execution has this name, so no rollback uncordons it. */
export const cordonedByHand = 'manual';

export type CordonResult = 'cordoned' | 'already-cordoned' | 'would-cordon';
export type UncordonResult = 'uncordoned' | 'already-schedulable' | 'would-uncordon';

/** `node win-1: already cordoned` */
export const changeLine = (node: string, result: CordonResult | UncordonResult): string =>
  `node ${node}: ${result.replace('-', ' ')}`;

async function existingNode(kubernetes: KubernetesPort, name: string): Promise<V1Node> {
  const node = await kubernetes.getNode(name);
  if (!node) throw new UsageError(`Node ${name}: the cluster has no such node.`);
  return node;
}

/** Like the workflow's cordon step: a node already unschedulable is left as it is, and whoever cordoned it keeps it. */
export async function cordonNode(
  kubernetes: KubernetesPort,
  name: string,
  dryRun: boolean,
): Promise<CordonResult> {
  const node = await existingNode(kubernetes, name);
  if (node.spec?.unschedulable) return 'already-cordoned';
  if (dryRun) return 'would-cordon';
  await kubernetes.patchNode(name, {
    unschedulable: true,
    annotations: { [cordonedByAnnotation]: cordonedByHand },
  });
  return 'cordoned';
}

/** Schedulable again, without the cordon annotation, whoever cordoned it. */
export async function uncordonNode(
  kubernetes: KubernetesPort,
  name: string,
  dryRun: boolean,
): Promise<UncordonResult> {
  const node = await existingNode(kubernetes, name);
  const annotated = node.metadata?.annotations?.[cordonedByAnnotation] !== undefined;
  if (!node.spec?.unschedulable && !annotated) return 'already-schedulable';
  if (dryRun) return 'would-uncordon';
  await kubernetes.patchNode(name, { unschedulable: false, annotations: { [cordonedByAnnotation]: null } });
  return 'uncordoned';
}
