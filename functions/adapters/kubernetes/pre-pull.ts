import type { V1Node } from '@kubernetes/client-node';
import { KubernetesThrottled } from '../../commons/errors.ts';
import { logger } from '../../commons/powertools.ts';
import { nodeName } from '../../domain/nodes.ts';
import {
  askedToPrePull,
  prePullAnnotation,
  prePullNamespace,
  prePullPod,
  prePullPodName,
  prePullsNeeded,
} from '../../domain/pre-pull.ts';
import type { KubernetesPort } from './port.ts';

/**
 * Asks each Ready replacement that lacks some of `images` to pull them now (a pre-pull pod), then
 * marks the node so that it is asked once. A pod the API refuses (no namespace, no permission: the
 * cluster predates deploy/rbac.yaml's pre-pull Role) is logged, not fatal: the images are then pulled
 * when the pods land, as without a pre-pull. Returns the nodes asked.
 */
export async function prePullImages(
  kubernetes: KubernetesPort,
  nodes: V1Node[],
  images: string[],
  executionName: string,
): Promise<string[]> {
  const asked: string[] = [];
  for (const prePull of prePullsNeeded(nodes, images)) {
    try {
      await kubernetes.createPod(prePullNamespace, prePullPod(prePull, executionName));
    } catch (error) {
      if (error instanceof KubernetesThrottled) throw error;
      logger.warn('No pre-pull pod: the images will be pulled when the pods land', {
        node: prePull.node,
        images: prePull.images,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    await kubernetes.patchNode(prePull.node, { annotations: { [prePullAnnotation]: executionName } });
    asked.push(prePull.node);
  }
  return asked;
}

/**
 * Deletes the pre-pull pods of the marked nodes among these (by name: no list of every node's pod)
 * and takes the mark off them. Returns the nodes cleared.
 */
export async function removePrePulls(kubernetes: KubernetesPort, nodes: V1Node[]): Promise<string[]> {
  const marked = nodes.filter(askedToPrePull).map(nodeName);
  for (const name of marked) {
    await kubernetes.deletePod(prePullNamespace, prePullPodName(name), 0);
    await kubernetes.patchNode(name, { annotations: { [prePullAnnotation]: null } });
  }
  return marked;
}
