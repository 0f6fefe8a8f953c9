import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { imagesOf, isNodeReady, isWindowsNode, missingImages, nodeName } from './nodes.ts';

/**
 * Windows images are large (a .NET Framework image is 5–8 GiB) and a new node pulls one only when a
 * pod that needs it lands there, so every batch whose pods land on a replacement without the image
 * waits for the pull before its pods are Ready. Caching the images in the AMI (our Image Builder
 * component) avoids that; where they are not cached, the rollout asks each replacement's kubelet to
 * pull them as soon as the node is Ready, with a pod bound to it that runs each image and exits.
 */

/** Where the pre-pull pods run: deploy/rbac.yaml creates it, and lets the service create and delete pods there only. */
export const prePullNamespace = 'eks-windows-patcher';

/** On a node whose pre-pull was asked for (value: the execution), so that each node gets one. */
export const prePullAnnotation = 'eks-windows-patcher/pre-pull-by';

export const prePullLabels = {
  'app.kubernetes.io/managed-by': 'eks-windows-patcher',
  'eks-windows-patcher/role': 'pre-pull',
} as const;

/** Every pod but the pre-pull pods (a pod without the label matches too). */
export const notPrePull = `eks-windows-patcher/role!=${prePullLabels['eks-windows-patcher/role']}`;

/**
 * The kubelet stops a pre-pull pod still running after this long (`activeDeadlineSeconds`: phase
 * Failed, DeadlineExceeded), so that one whose image cannot be pulled (a registry that needs the
 * workload's imagePullSecrets, which live in its own namespace) gives the node's pod slot back. Four
 * times the pull of an 8 GiB image at a modest 20 MB/s.
 */
export const prePullDeadlineSeconds = 1_800;

/** The node was asked to pull already (our mark), by this execution or an earlier one. */
export const askedToPrePull = (node: V1Node): boolean =>
  node.metadata?.annotations?.[prePullAnnotation] !== undefined;

export interface PrePull {
  node: string;
  images: string[];
}

/**
 * The nodes to ask: Ready Windows nodes (before Ready, `status.images` may not list what the AMI
 * cached yet, and the kubelet cannot start a pod) that lack some of `images` and were not asked yet.
 */
export function prePullsNeeded(nodes: V1Node[], images: string[]): PrePull[] {
  return nodes.flatMap((node) => {
    if (!isNodeReady(node) || !isWindowsNode(node)) return [];
    if (askedToPrePull(node)) return [];
    const missing = missingImages(node, images);
    return missing.length > 0 ? [{ node: nodeName(node), images: missing }] : [];
  });
}

/** One name per node (a DNS subdomain of at most 253 characters), so that asking again finds it taken. */
export function prePullPodName(node: string): string {
  return `pre-pull-${node}`.slice(0, 253).replace(/[^a-z0-9]+$/, '');
}

/**
 * A pod bound to the node (`spec.nodeName`: no scheduler, the kubelet admits it at once) whose
 * containers are the missing images, each exiting at once: the kubelet pulls an image before it
 * starts its container, so once the pod has Succeeded the node holds them all.
 */
export function prePullPod({ node, images }: PrePull, executionName: string): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: prePullPodName(node),
      namespace: prePullNamespace,
      labels: { ...prePullLabels },
      annotations: { [prePullAnnotation]: executionName },
    },
    spec: {
      nodeName: node,
      os: { name: 'windows' },
      restartPolicy: 'Never',
      activeDeadlineSeconds: prePullDeadlineSeconds,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      // Bound by name it skips the scheduler, but a NoExecute taint would still evict it.
      tolerations: [{ operator: 'Exists' }],
      containers: images.map((image, index) => ({
        name: `image-${index}`,
        image,
        imagePullPolicy: 'IfNotPresent',
        command: ['cmd', '/c', 'exit', '0'],
        resources: {
          requests: { cpu: '10m', memory: '32Mi' },
          limits: { cpu: '100m', memory: '128Mi' },
        },
      })),
    },
  };
}

/**
 * The images of the pods to move, those the most pods run first, then the images an earlier execution
 * of the rollout carried. The kubelet pulls one image at a time (KubeletConfiguration
 * `serializeImagePulls`, true by default) and starts a pod's containers in order, so a pre-pull pod
 * readies first the image most evicted pods will wait for.
 */
export function imagesMostNeededFirst(pods: V1Pod[], carried: string[]): string[] {
  const podsByImage = new Map<string, number>();
  for (const pod of pods) {
    for (const image of new Set(imagesOf(pod))) {
      podsByImage.set(image, (podsByImage.get(image) ?? 0) + 1);
    }
  }
  const needed = [...podsByImage].sort(([, a], [, b]) => b - a).map(([image]) => image);
  return [...new Set([...needed, ...carried])];
}
