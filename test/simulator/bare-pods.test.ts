import { SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { startKubernetesTestServer } from '../../simulator/k8s-http-server.ts';
import { SimulatedKubernetes } from '../../simulator/kubernetes.ts';
import { containerRunSeconds, orphanedPodGcSeconds } from '../../simulator/world/bare-pods.ts';
import type { NodeRecord } from '../../simulator/world/cluster.ts';
import { aspnet, podsOf, windowsNodes, worldOf } from './world-fixture.ts';

type Fixture = ReturnType<typeof worldOf>;

const unknownImage = 'example.com/never-published:1.0';

/** A pre-puller's pod: bound to the node, run once, one container per image. */
function prepull(nodeName: string | undefined, images: string[], name = 'prepull-1'): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'prepull', 'app.kubernetes.io/name': 'eks-windows-patcher' } },
    spec: {
      nodeName,
      restartPolicy: 'Never',
      containers: images.map((image, index) => ({
        name: `image-${index}`,
        image,
        command: ['cmd', '/c', 'exit 0'],
      })),
    },
  };
}

/** Seconds the kubelet takes to pull the image of the workload: its size in GiB × seconds per GiB. */
function pullSeconds({ world }: Fixture, image: string): number {
  const workload = world.cluster.workloads.find((candidate) => candidate.spec.image === image);
  return ((workload?.imageSizeBytes ?? Number.NaN) / 2 ** 30) * 60;
}

/** A Windows node that joined after the start (the group scaled to 4): it holds only the DaemonSet's image. */
async function freshNode(fixture: Fixture): Promise<NodeRecord> {
  const { world, aws, advance } = fixture;
  await aws.autoScaling.send(
    new SetDesiredCapacityCommand({ AutoScalingGroupName: 'win-a', DesiredCapacity: 4 }),
  );
  for (let second = 0; second < 900; second++) {
    const fresh = windowsNodes(world).find((node) =>
      world.cluster.podsOn(node.name).every((pod) => pod.workload.spec.kind === 'DaemonSet'),
    );
    if (fresh?.ready === 'True') return fresh;
    advance(1);
  }
  throw new Error('no node joined');
}

/** A starting node that runs a web pod: it holds aspnet. */
function nodeWithAspnet({ world }: Fixture): NodeRecord {
  const node = windowsNodes(world).find((candidate) => candidate.images.has(aspnet));
  if (node === undefined) throw new Error('no node holds aspnet');
  return node;
}

const phaseOf = async ({ kubernetes }: Fixture, name = 'prepull-1') =>
  (await kubernetes.getPod('default', name))?.status?.phase;

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('accepted');
    },
    (error: { code?: number; message: string }) => ({ code: error.code, message: error.message }),
  );

describe('a bare pod bound to a node', () => {
  it('pulls the image the node lacks (size × seconds per GiB), runs, and is Succeeded', async () => {
    const fixture = worldOf();
    const { kubernetes, advance, world } = fixture;
    const node = await freshNode(fixture);
    expect(node.images.has(aspnet)).toBe(false);
    const seconds = pullSeconds(fixture, aspnet);

    expect(await kubernetes.createPod('default', prepull(node.name, [aspnet]))).toBe(true);
    const created = await kubernetes.getPod('default', 'prepull-1');
    expect(created?.status?.phase).toBe('Pending');
    expect(created?.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ContainerCreating');
    advance(seconds - 1);
    expect(await phaseOf(fixture)).toBe('Pending');
    advance(1);
    expect(node.images.has(aspnet)).toBe(true);
    expect(await phaseOf(fixture)).toBe('Running');
    advance(containerRunSeconds);
    const done = await kubernetes.getPod('default', 'prepull-1');
    expect(done?.status?.phase).toBe('Succeeded');
    expect(done?.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    const pulls = world.timeline.events.filter((event) => event.event === 'ImagePullStarted');
    expect(pulls.filter((event) => event.detail.node === node.name && event.detail.image === aspnet)).toEqual(
      [expect.objectContaining({ detail: expect.objectContaining({ seconds: Math.round(seconds) }) })],
    );
    advance(3600);
    expect(await phaseOf(fixture)).toBe('Succeeded');
  });

  it('runs at once when the node holds the image: Succeeded after the run alone', async () => {
    const fixture = worldOf();
    const { kubernetes, advance } = fixture;
    await kubernetes.createPod('default', prepull(nodeWithAspnet(fixture).name, [aspnet]));
    expect(await phaseOf(fixture)).toBe('Running');
    advance(containerRunSeconds - 1);
    expect(await phaseOf(fixture)).toBe('Running');
    advance(1);
    expect(await phaseOf(fixture)).toBe('Succeeded');
  });

  it('shares its pull with a workload pod that lands mid-pull: both start when the one pull ends', async () => {
    const fixture = worldOf();
    const { kubernetes, advance, world } = fixture;
    const node = await freshNode(fixture);
    const seconds = pullSeconds(fixture, aspnet);
    await kubernetes.createPod('default', prepull(node.name, [aspnet]));
    advance(60);
    for (const other of windowsNodes(world)) {
      if (other !== node) await kubernetes.patchNode(other.name, { unschedulable: true });
    }
    const [victim] = podsOf(world, 'web');
    await kubernetes.evictPod('shop', victim?.name ?? '');
    const replacement = podsOf(world, 'web').find((pod) => pod.nodeName === node.name);
    expect(replacement).toBeDefined();
    advance(seconds - 61);
    expect(replacement?.containersStartedAt).toBeUndefined();
    advance(1);
    expect(replacement?.containersStartedAt).toBe(world.scheduler.now());
    expect(await phaseOf(fixture)).toBe('Running');
    const pulls = world.timeline.events.filter(
      (event) =>
        event.event === 'ImagePullStarted' &&
        event.detail.node === node.name &&
        event.detail.image === aspnet,
    );
    expect(pulls).toHaveLength(1);
  });

  it('waits while its node is not Ready, and starts once it is', async () => {
    const fixture = worldOf();
    const { kubernetes, advance, world, aws } = fixture;
    await aws.autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: 'win-a', DesiredCapacity: 4 }),
    );
    let joining: NodeRecord | undefined;
    for (let second = 0; second < 900 && joining === undefined; second++) {
      advance(1);
      joining = windowsNodes(world).find((node) => node.ready === 'False');
    }
    if (joining === undefined) throw new Error('no node registered');
    await kubernetes.createPod('default', prepull(joining.name, [aspnet]));
    const node = joining;
    const pulling = () =>
      world.timeline.events.some(
        (event) =>
          event.event === 'ImagePullStarted' &&
          event.detail.node === node.name &&
          event.detail.image === aspnet,
      );
    expect(pulling()).toBe(false);
    const pod = await kubernetes.getPod('default', 'prepull-1');
    expect(pod?.status?.phase).toBe('Pending');
    expect(pod?.status?.podIP).toBeUndefined();
    while (node.ready !== 'True') advance(1);
    expect(pulling()).toBe(true);
    advance(pullSeconds(fixture, aspnet) + containerRunSeconds);
    expect(await phaseOf(fixture)).toBe('Succeeded');
  });

  it('stays Pending with ErrImagePull for an image no registry has, and never pulls it', async () => {
    const fixture = worldOf();
    const { kubernetes, advance, world } = fixture;
    await kubernetes.createPod('default', prepull(nodeWithAspnet(fixture).name, [unknownImage, aspnet]));
    advance(3600);
    const pod = await kubernetes.getPod('default', 'prepull-1');
    expect(pod?.status?.phase).toBe('Pending');
    expect(pod?.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ErrImagePull');
    expect(pod?.status?.containerStatuses?.[1]?.state?.terminated?.exitCode).toBe(0);
    expect(
      world.timeline.events.some(
        (event) => event.event === 'ImagePullStarted' && event.detail.image === unknownImage,
      ),
    ).toBe(false);
  });

  it('is Failed with DeadlineExceeded once active past activeDeadlineSeconds, and gives its place back', async () => {
    const fixture = worldOf();
    const { kubernetes, advance, world } = fixture;
    const node = nodeWithAspnet(fixture);
    const free = node.podCapacity - world.cluster.podsOn(node.name).length;
    // The node full of pods that never start: the last one has a deadline.
    for (let index = 0; index < free - 1; index++) {
      await kubernetes.createPod('default', prepull(node.name, [unknownImage], `fill-${index}`));
    }
    const stuck = prepull(node.name, [unknownImage]);
    await kubernetes.createPod('default', {
      ...stuck,
      spec: { ...stuck.spec, activeDeadlineSeconds: 600 } as never,
    });
    advance(599);
    expect(await phaseOf(fixture)).toBe('Pending');
    await kubernetes.createPod('default', prepull(node.name, [aspnet], 'too-early'));
    expect(await phaseOf(fixture, 'too-early')).toBe('Failed');
    advance(1);
    const pod = await kubernetes.getPod('default', 'prepull-1');
    expect(pod?.status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
    expect(pod?.spec?.activeDeadlineSeconds).toBe(600);
    await kubernetes.createPod('default', prepull(node.name, [aspnet], 'in-time'));
    expect(await phaseOf(fixture, 'in-time')).not.toBe('Failed');
  });

  it('refuses an activeDeadlineSeconds that is not a positive integer, naming the field', async () => {
    const fixture = worldOf();
    const pod = prepull(nodeWithAspnet(fixture).name, [aspnet]);
    const refused = await refusal(
      fixture.kubernetes.createPod('default', {
        ...pod,
        spec: { ...pod.spec, activeDeadlineSeconds: 0 } as never,
      }),
    );
    expect(refused.code).toBe(422);
    expect(refused.message).toContain('spec.activeDeadlineSeconds: Invalid value: "0"');
  });

  it('is rejected by the kubelet, Failed with OutOfpods, when the node has no pod left', async () => {
    const fixture = worldOf();
    const { kubernetes, world } = fixture;
    const node = nodeWithAspnet(fixture);
    const free = node.podCapacity - world.cluster.podsOn(node.name).length;
    expect(free).toBeGreaterThan(0);
    for (let index = 0; index < free; index++) {
      await kubernetes.createPod('default', prepull(node.name, [aspnet], `fill-${index}`));
    }
    expect(await phaseOf(fixture, `fill-${free - 1}`)).toBe('Running');
    await kubernetes.createPod('default', prepull(node.name, [aspnet]));
    const rejected = await kubernetes.getPod('default', 'prepull-1');
    expect(rejected?.status).toMatchObject({ phase: 'Failed', reason: 'OutOfpods' });
    expect(rejected?.status?.message).toContain(`capacity: ${node.podCapacity}`);
  });

  it('gives its place back to the scheduler once Succeeded', async () => {
    const fixture = worldOf();
    const { kubernetes, world, advance } = fixture;
    const node = nodeWithAspnet(fixture);
    for (const other of windowsNodes(world)) {
      if (other !== node) await kubernetes.patchNode(other.name, { unschedulable: true });
    }
    const free = node.podCapacity - world.cluster.podsOn(node.name).length;
    for (let index = 0; index < free; index++) {
      await kubernetes.createPod('default', prepull(node.name, [aspnet], `fill-${index}`));
    }
    const victim = podsOf(world, 'web').find((pod) => pod.nodeName !== node.name);
    await kubernetes.evictPod('shop', victim?.name ?? '');
    const pending = () => world.cluster.pendingPods().filter((pod) => pod.workload.spec.name === 'web');
    expect(pending()).toHaveLength(1);
    const [replacement] = pending();
    advance(containerRunSeconds - 1);
    expect(replacement?.nodeName).toBeUndefined();
    advance(1);
    expect(replacement?.nodeName).toBe(node.name);
  });

  it('goes at once when Succeeded and deleted; after its grace period when deleted running', async () => {
    const fixture = worldOf();
    const { kubernetes, advance } = fixture;
    const node = nodeWithAspnet(fixture).name;
    await kubernetes.createPod('default', prepull(node, [aspnet], 'done'));
    await kubernetes.createPod('default', prepull(node, [unknownImage], 'stuck'));
    advance(containerRunSeconds);
    expect(await kubernetes.deletePod('default', 'done')).toBe(true);
    expect(await kubernetes.getPod('default', 'done')).toBeUndefined();
    expect(await kubernetes.deletePod('default', 'stuck')).toBe(true);
    expect((await kubernetes.getPod('default', 'stuck'))?.metadata?.deletionTimestamp).toBeDefined();
    advance(29);
    expect(await kubernetes.getPod('default', 'stuck')).toBeDefined();
    advance(1);
    expect(await kubernetes.getPod('default', 'stuck')).toBeUndefined();
    expect(await kubernetes.deletePod('default', 'stuck')).toBe(false);
  });

  it('goes with its node when the node is deleted', async () => {
    const fixture = worldOf();
    const { kubernetes, world } = fixture;
    const node = nodeWithAspnet(fixture);
    await kubernetes.createPod('default', prepull(node.name, [aspnet]));
    world.cluster.deleteNode(node.name);
    expect(await kubernetes.getPod('default', 'prepull-1')).toBeUndefined();
    expect(await kubernetes.listPodsOnNode(node.name)).toEqual([]);
  });

  it('bound to a node that does not exist, stays Pending until PodGC deletes it', async () => {
    const fixture = worldOf();
    const { kubernetes, advance } = fixture;
    await kubernetes.createPod('default', prepull('ip-10-0-99-99.ec2.internal', [aspnet]));
    const pod = await kubernetes.getPod('default', 'prepull-1');
    expect(pod?.status?.phase).toBe('Pending');
    expect(pod?.status?.containerStatuses).toBeUndefined();
    advance(orphanedPodGcSeconds - 1);
    expect(await phaseOf(fixture)).toBe('Pending');
    advance(1);
    expect(await kubernetes.getPod('default', 'prepull-1')).toBeUndefined();
  });

  it('is listed like any pod: label and field selectors, its node, no owner', async () => {
    const fixture = worldOf();
    const { kubernetes, advance } = fixture;
    const node = nodeWithAspnet(fixture).name;
    await kubernetes.createPod('default', prepull(node, [aspnet]));
    const [listed, ...others] = await kubernetes.listPods(undefined, { labelSelector: 'app=prepull' });
    expect(others).toEqual([]);
    expect(listed?.metadata).toMatchObject({ name: 'prepull-1', namespace: 'default' });
    expect(listed?.metadata?.ownerReferences).toBeUndefined();
    expect(listed?.spec).toMatchObject({ nodeName: node, restartPolicy: 'Never' });
    expect(listed?.spec?.containers.map((container) => container.image)).toEqual([aspnet]);
    const onNode = await kubernetes.listPodsOnNode(node);
    expect(onNode.map((pod) => pod.metadata?.name)).toContain('prepull-1');
    expect(await kubernetes.listPods('shop', { labelSelector: 'app=prepull' })).toEqual([]);
    advance(containerRunSeconds);
    const succeeded = await kubernetes.listPods('default', { fieldSelector: 'status.phase=Succeeded' });
    expect(succeeded.map((pod) => pod.metadata?.name)).toEqual(['prepull-1']);
  });

  it('changes no workload metric nor invariant: only the calls count', async () => {
    const run = async (withBarePods: boolean) => {
      const fixture = worldOf();
      const { kubernetes, advance, world } = fixture;
      world.metrics.targetAdded('win-a');
      const node = nodeWithAspnet(fixture).name;
      if (withBarePods) {
        await kubernetes.createPod('default', prepull(node, [aspnet], 'done'));
        await kubernetes.createPod('default', prepull(node, [unknownImage], 'stuck'));
      }
      for (const pod of podsOf(world, 'web').filter((candidate) => candidate.nodeName === node)) {
        await kubernetes.evictPod('shop', pod.name);
      }
      advance(containerRunSeconds);
      if (withBarePods) {
        await kubernetes.deletePod('default', 'done');
        await kubernetes.deletePod('default', 'stuck', 0);
      }
      advance(600);
      const { kubernetesCalls, podsListed, ...metrics } = world.metrics.report();
      return { metrics, invariants: { ...world.invariants.counts }, kubernetesCalls };
    };
    const without = await run(false);
    const withBarePods = await run(true);
    expect(without.metrics.evictionsPerPod).toBeGreaterThan(0);
    expect(withBarePods.metrics).toEqual(without.metrics);
    expect(withBarePods.invariants).toEqual(without.invariants);
    expect(withBarePods.kubernetesCalls).toBe(without.kubernetesCalls + 4);
  });
});

describe('creating a pod', () => {
  it('is refused by a throttle fault on k8s:createPod, then goes through', async () => {
    const fixture = worldOf((document) => {
      document.faults.push({ kind: 'throttle', api: 'k8s:createPod', times: 1 });
    });
    const { kubernetes, world } = fixture;
    const pod = prepull(nodeWithAspnet(fixture).name, [aspnet]);
    await expect(kubernetes.createPod('default', pod)).rejects.toMatchObject({ name: 'KubernetesThrottled' });
    expect(world.cluster.barePods.pods.size).toBe(0);
    expect(await kubernetes.createPod('default', pod)).toBe(true);
  });

  it('answers false (409) for a name taken, by a bare pod or a workload pod', async () => {
    const fixture = worldOf();
    const { kubernetes, world } = fixture;
    const node = nodeWithAspnet(fixture).name;
    expect(await kubernetes.createPod('default', prepull(node, [aspnet]))).toBe(true);
    expect(await kubernetes.createPod('default', prepull(node, [aspnet]))).toBe(false);
    const [web] = podsOf(world, 'web');
    expect(await kubernetes.createPod('shop', prepull(node, [aspnet], web?.name))).toBe(false);
    expect(world.cluster.barePods.pods.size).toBe(1);
  });

  it('refuses a namespace that does not exist with 404; ours and the workloads exist', async () => {
    const fixture = worldOf();
    const { kubernetes } = fixture;
    const node = nodeWithAspnet(fixture).name;
    expect(await refusal(kubernetes.createPod('nope', prepull(node, [aspnet])))).toEqual({
      code: 404,
      message: expect.stringContaining('404 NotFound: namespaces "nope" not found'),
    });
    expect(await kubernetes.createPod('eks-windows-patcher', prepull(node, [aspnet]))).toBe(true);
    expect(await kubernetes.createPod('shop', prepull(node, [aspnet]))).toBe(true);
  });

  it('refuses with 422 what kube-apiserver would not validate, naming each field', async () => {
    const fixture = worldOf();
    const { kubernetes } = fixture;
    const node = nodeWithAspnet(fixture).name;
    const broken = (edit: (pod: V1Pod) => void) => {
      const pod = prepull(node, [aspnet]);
      edit(pod);
      return refusal(kubernetes.createPod('default', pod));
    };
    const nameless = await broken((pod) => {
      delete pod.metadata?.name;
    });
    expect(nameless).toEqual({
      code: 422,
      message: expect.stringContaining('metadata.name: Required value'),
    });
    expect(
      (
        await broken((pod) => {
          if (pod.metadata) pod.metadata.name = 'Not_A_Name';
        })
      ).message,
    ).toContain('metadata.name: Invalid value: "Not_A_Name"');
    expect(
      (
        await broken((pod) => {
          if (pod.spec) pod.spec.containers = [];
        })
      ).message,
    ).toContain('spec.containers: Required value');
    const imageless = await broken((pod) => {
      if (pod.spec) pod.spec.containers = [{ name: 'a' }, { name: 'a', image: aspnet }];
    });
    expect(imageless.message).toContain('spec.containers[0].image: Required value');
    expect(imageless.message).toContain('spec.containers[1].name: Duplicate value: "a"');
    expect(
      await broken((pod) => {
        if (pod.metadata) pod.metadata.namespace = 'shop';
      }),
    ).toEqual({ code: 400, message: expect.stringContaining('does not match the namespace') });
    expect(await kubernetes.listPods('default')).toEqual([]);
  });

  it('refuses a pod without spec.nodeName: the simulator does not schedule bare pods', async () => {
    const fixture = worldOf();
    expect(await refusal(fixture.kubernetes.createPod('default', prepull(undefined, [aspnet])))).toEqual({
      code: 422,
      message: expect.stringContaining(
        'spec.nodeName: Unsupported value: the simulator does not schedule bare pods',
      ),
    });
    expect(fixture.world.cluster.barePods.pods.size).toBe(0);
  });

  it('is served over HTTP: 201, then 409, 404 and 422 as Status objects', async () => {
    const fixture = worldOf();
    const node = nodeWithAspnet(fixture).name;
    const server = await startKubernetesTestServer(new SimulatedKubernetes(fixture.world));
    try {
      const post = async (namespace: string, pod: V1Pod) => {
        const response = await fetch(`${server.url}/api/v1/namespaces/${namespace}/pods`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(pod),
        });
        return { code: response.status, body: (await response.json()) as Record<string, unknown> };
      };
      const created = await post('default', prepull(node, [aspnet]));
      expect(created.code).toBe(201);
      expect(created.body).toMatchObject({ kind: 'Pod', metadata: { name: 'prepull-1' } });
      expect(await post('default', prepull(node, [aspnet]))).toMatchObject({
        code: 409,
        body: { kind: 'Status', reason: 'AlreadyExists', message: 'pods "prepull-1" already exists' },
      });
      expect(await post('nope', prepull(node, [aspnet]))).toMatchObject({
        code: 404,
        body: { reason: 'NotFound', message: 'namespaces "nope" not found' },
      });
      const unbound = await post('default', prepull(undefined, [aspnet], 'unbound'));
      expect(unbound).toMatchObject({ code: 422, body: { reason: 'Invalid' } });
      expect(unbound.body.details).toMatchObject({ causes: [{ field: 'spec.nodeName' }] });
      const discovery = (await (await fetch(`${server.url}/api/v1`)).json()) as {
        resources: { name: string; verbs: string[] }[];
      };
      expect(discovery.resources.find((resource) => resource.name === 'pods')?.verbs).toContain('create');
    } finally {
      await server.close();
    }
  });
});
