import type { V1Node, V1Pod } from '@kubernetes/client-node';

export const labels = {
  os: 'kubernetes.io/os',
  windowsBuild: 'node.kubernetes.io/windows-build',
  zone: 'topology.kubernetes.io/zone',
} as const;

/**
 * The cluster-autoscaler never removes a node whose annotation says "true" (its FAQ: "How can I
 * prevent Cluster Autoscaler from scaling down a particular node?").
 */
export const scaleDownDisabledAnnotation = 'cluster-autoscaler.kubernetes.io/scale-down-disabled';
/** Set with it by the rollout, so that it releases only the nodes it protected. */
export const protectedByAnnotation = 'eks-windows-patcher/scale-down-disabled-by';

/** Annotation put on a node we cordon, so a rollback uncordons only our nodes. */
export const cordonedByAnnotation = 'eks-windows-patcher/cordoned-by';

/** `aws:///us-east-1a/i-0123...` → `i-0123...` */
export function instanceIdOf(node: V1Node): string | undefined {
  const providerId = node.spec?.providerID;
  if (!providerId?.startsWith('aws://')) return undefined;
  const id = providerId.slice(providerId.lastIndexOf('/') + 1);
  return /^i-[0-9a-f]+$/.test(id) ? id : undefined;
}

export const nodeName = (node: V1Node): string => node.metadata?.name ?? '';

export function isNodeReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export const isWindowsNode = (node: V1Node): boolean => node.metadata?.labels?.[labels.os] === 'windows';

export const windowsBuildOfNode = (node: V1Node): string | undefined =>
  node.metadata?.labels?.[labels.windowsBuild];

/** Nodes indexed by the EC2 instance behind them. */
export function nodesByInstance(nodes: V1Node[]): Map<string, V1Node> {
  const byInstance = new Map<string, V1Node>();
  for (const node of nodes) {
    const id = instanceIdOf(node);
    if (id) byInstance.set(id, node);
  }
  return byInstance;
}

/** Image references present on a node, with and without registry defaults (`status.images`). */
export function imagesOnNode(node: V1Node): Set<string> {
  return new Set((node.status?.images ?? []).flatMap((image) => image.names ?? []));
}

export const isPodReady = (pod: V1Pod): boolean =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export const isTerminating = (pod: V1Pod): boolean => pod.metadata?.deletionTimestamp != null;

export const podKey = (pod: V1Pod): string => `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;

export const controllerOf = (pod: V1Pod) =>
  pod.metadata?.ownerReferences?.find((ref) => ref.controller === true);
