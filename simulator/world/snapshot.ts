import type { World } from '../world.ts';
import { isPodReady, podKey } from './cluster.ts';

/**
 * What the rollout could change, as plain data: images, launch templates, Auto Scaling groups,
 * instances, nodes and pods. Two snapshots are equal when nothing was changed in between.
 */
export function worldSnapshot(world: World) {
  const { ec2, autoScaling, cluster } = world;
  return {
    images: Object.fromEntries([...ec2.images.values()].map((image) => [image.id, image.state])),
    launchTemplates: Object.fromEntries(
      [...ec2.launchTemplates.values()].map((template) => [
        template.id,
        { versions: template.versions.length, defaultVersion: template.defaultVersion },
      ]),
    ),
    autoScalingGroups: Object.fromEntries(
      [...autoScaling.groups.values()].map((group) => [
        group.name,
        {
          launchTemplateVersion: group.launchTemplate?.version,
          minSize: group.minSize,
          maxSize: group.maxSize,
          desiredCapacity: group.desiredCapacity,
          instanceIds: [...group.instanceIds],
          tags: group.tags.map(({ key, value }) => `${key}=${value}`),
        },
      ]),
    ),
    instances: Object.fromEntries(
      [...ec2.instances.values()].map((instance) => [
        instance.id,
        { state: instance.state, imageId: instance.imageId, version: instance.launchTemplate?.version },
      ]),
    ),
    nodes: Object.fromEntries(
      [...cluster.nodes.values()].map((node) => [
        node.name,
        { ready: node.ready, unschedulable: node.unschedulable, annotations: { ...node.annotations } },
      ]),
    ),
    pods: Object.fromEntries(
      [...cluster.pods.values()].map((pod) => [
        podKey(pod.namespace, pod.name),
        { uid: pod.uid, node: pod.nodeName, ready: isPodReady(pod) },
      ]),
    ),
  };
}

export type WorldSnapshot = ReturnType<typeof worldSnapshot>;
