import type { V1Node, V1Pod, V1Taint } from '@kubernetes/client-node';

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

/**
 * Put on every old node of the group once the first replacements are Ready, taken off at the end
 * and on rollback. kube-scheduler's ImageLocality prefers nodes that already hold a pod's image, so
 * without it the pods of one batch land on the old nodes of the next (which hold those images) and
 * are evicted again. TaintToleration scores an untolerated PreferNoSchedule taint down, and its
 * weight in the default profile (3) outweighs ImageLocality's (1): the pods go to the replacements.
 * Soft: where only old nodes have room, pods still run there (a NoSchedule taint would leave them
 * Pending). Cordoning every old node at once, as EKS managed node groups do, would also stop
 * scale-ups and DaemonSet-independent workloads from using the capacity the rollout still counts on.
 */
export const retiringTaint: V1Taint = {
  key: 'eks-windows-patcher/retiring',
  value: 'true',
  effect: 'PreferNoSchedule',
};

export const hasRetiringTaint = (node: V1Node): boolean =>
  node.spec?.taints?.some((taint) => taint.key === retiringTaint.key) ?? false;

/**
 * The node's taints with ours added (`true`) or taken off (`false`), everything else kept: a patch
 * of `spec.taints` replaces the whole list.
 */
export function taintsWithRetiring(node: V1Node, retiring: boolean): V1Taint[] {
  const others = (node.spec?.taints ?? []).filter((taint) => taint.key !== retiringTaint.key);
  return retiring ? [...others, retiringTaint] : others;
}

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

/** The images a pod's containers run. */
export const imagesOf = (pod: V1Pod): string[] =>
  (pod.spec?.containers ?? []).flatMap((container) => (container.image ? [container.image] : []));

/** Which of `images` the node does not hold, in their order. */
export function missingImages(node: V1Node, images: string[]): string[] {
  const present = imagesOnNode(node);
  return images.filter((image) => !present.has(image));
}

/** Images on the nodes a new pod may be scheduled to now (Ready, not cordoned). */
export function imagesOnSchedulableNodes(nodes: V1Node[]): Set<string> {
  return new Set(
    nodes
      .filter((node) => isNodeReady(node) && !node.spec?.unschedulable)
      .flatMap((node) => [...imagesOnNode(node)]),
  );
}

export const isPodReady = (pod: V1Pod): boolean =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export const isTerminating = (pod: V1Pod): boolean => pod.metadata?.deletionTimestamp != null;

export const podKey = (pod: V1Pod): string => `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;

export const controllerOf = (pod: V1Pod) =>
  pod.metadata?.ownerReferences?.find((ref) => ref.controller === true);
