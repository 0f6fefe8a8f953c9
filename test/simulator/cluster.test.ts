import { describe, expect, it } from 'vitest';
import { isPodReady, podKey } from '../../simulator/world/cluster.ts';
import { aspnet, named, podsOf, windowsNodes, worldOf } from './world-fixture.ts';

describe('the starting cluster', () => {
  it('has a Ready node per instance, named and labelled as on EKS', async () => {
    const { world, kubernetes } = worldOf();
    const nodes = await kubernetes.listNodes('kubernetes.io/os=windows');
    expect(nodes).toHaveLength(3);
    for (const node of nodes) {
      const instance = [...world.ec2.instances.values()].find(
        (candidate) => candidate.privateDnsName === node.metadata?.name,
      );
      expect(node.metadata?.name).toMatch(/^ip-10-0-\d+-\d+\.ec2\.internal$/);
      expect(node.spec?.providerID).toBe(`aws:///${instance?.availabilityZone}/${instance?.id}`);
      expect(node.metadata?.labels).toMatchObject({
        'node.kubernetes.io/windows-build': '10.0.20348',
        'alpha.eksctl.io/nodegroup-name': 'win-a',
        'kubernetes.io/arch': 'amd64',
      });
      expect(node.status?.conditions?.find((condition) => condition.type === 'Ready')?.status).toBe('True');
      expect(node.status?.allocatable?.pods).toBe('8');
      expect(node.status?.nodeInfo?.kubeletVersion).toMatch(/^v1\.31\.\d+-eks-[0-9a-f]{7}$/);
    }
    const linux = await kubernetes.listNodes('eks.amazonaws.com/nodegroup=linux');
    expect(linux).toHaveLength(2);
  });

  it('spreads replicas over the Windows nodes and runs a DaemonSet pod on each', () => {
    const { world } = worldOf();
    for (const node of windowsNodes(world)) {
      const pods = world.cluster.podsOn(node.name);
      expect(pods.filter((pod) => pod.workload.spec.name === 'log-agent')).toHaveLength(1);
      expect(pods.filter((pod) => pod.workload.spec.name === 'web').length).toBeGreaterThanOrEqual(1);
    }
    expect(podsOf(world, 'web').every(isPodReady)).toBe(true);
    expect(
      podsOf(world, 'ledger')
        .map((pod) => pod.name)
        .sort(),
    ).toEqual(['ledger-0', 'ledger-1', 'ledger-2']);
  });

  it('gives pods their controller, labels, and the images they run on their node', async () => {
    const { world, kubernetes } = worldOf();
    const [web] = await kubernetes.listPods('shop', { labelSelector: 'app=web' });
    expect(web?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', controller: true });
    expect(web?.metadata?.name).toMatch(/^web-[a-z0-9]{10}-[a-z0-9]{5}$/);
    expect(web?.spec?.nodeSelector).toEqual({ 'kubernetes.io/os': 'windows' });
    const node = world.cluster.nodes.get(web?.spec?.nodeName ?? '');
    expect(node?.images.has(aspnet)).toBe(true);
  });

  it('reports PodDisruptionBudget status computed from the pods', async () => {
    const { kubernetes } = worldOf();
    const budgets = await kubernetes.listPodDisruptionBudgets('shop');
    expect(budgets[0]?.status).toMatchObject({
      expectedPods: 4,
      currentHealthy: 4,
      desiredHealthy: 3,
      disruptionsAllowed: 1,
    });
  });
});

describe('the Eviction API', () => {
  it('evicts while the budget allows, then refuses with 429 naming the budget', async () => {
    const { world, kubernetes } = worldOf();
    const [first, second] = podsOf(world, 'web');
    expect(await kubernetes.evictPod('shop', first?.name ?? '')).toEqual({ kind: 'evicted' });
    expect(await kubernetes.evictPod('shop', second?.name ?? '')).toEqual({
      kind: 'blockedByPdb',
      message: 'The disruption budget web needs 3 healthy pods and has 3 currently',
      pdbNames: ['web'],
    });
    const [budget] = await kubernetes.listPodDisruptionBudgets('shop');
    expect(budget?.status?.disruptionsAllowed).toBe(0);
  });

  it('answers gone for a pod that does not exist, and evicted again for a pod already terminating', async () => {
    const { world, kubernetes } = worldOf();
    const [pod] = podsOf(world, 'web');
    expect(await kubernetes.evictPod('shop', 'web-nope')).toEqual({ kind: 'gone' });
    await kubernetes.evictPod('shop', pod?.name ?? '');
    expect(await kubernetes.evictPod('shop', pod?.name ?? '')).toEqual({ kind: 'evicted' });
    expect(world.timeline.events.filter((event) => event.event === 'PodEvicted')).toHaveLength(1);
  });

  it('refuses with 500 a pod selected by two budgets', async () => {
    const { world, kubernetes } = worldOf();
    world.cluster.addBudget('shop', 'web-too', { app: 'web' }, { minAvailable: 1 });
    const [pod] = podsOf(world, 'web');
    expect((await kubernetes.evictPod('shop', pod?.name ?? '')).kind).toBe('multiplePdbs');
  });

  it('terminates an evicted pod over its grace period, then it is gone', async () => {
    const { world, kubernetes, advance } = worldOf();
    await kubernetes.evictPod('finance', 'ledger-1');
    const terminating = await kubernetes.getPod('finance', 'ledger-1');
    expect(terminating?.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    advance(59);
    expect(world.cluster.pods.get(podKey('finance', 'ledger-1'))?.deletionTimestamp).toBeDefined();
    advance(1);
    expect((await kubernetes.getPod('finance', 'ledger-1'))?.metadata?.uid).not.toBe(
      terminating?.metadata?.uid,
    );
  });
});

describe('controllers and the scheduler', () => {
  it('replaces an evicted Deployment pod at once, on a schedulable node with room', async () => {
    const { world, kubernetes } = worldOf();
    const [victim] = podsOf(world, 'web');
    const cordoned = windowsNodes(world).find((node) => node.name !== victim?.nodeName);
    await kubernetes.patchNode(cordoned?.name ?? '', { unschedulable: true });
    await kubernetes.evictPod('shop', victim?.name ?? '');
    const replacement = podsOf(world, 'web').find(
      (pod) => pod.deletionTimestamp === undefined && pod.readySince === undefined,
    );
    expect(replacement?.nodeName).toBeDefined();
    expect([victim?.nodeName, cordoned?.name]).not.toContain(replacement?.nodeName);
  });

  it('keeps a replacement Pending until a node has room, then schedules it', async () => {
    const { world, kubernetes, advance } = worldOf((document) => {
      named(document.nodeGroups, 'win-a').podsPerNode = 4;
      document.workloads.push({
        name: 'filler',
        kind: 'Deployment',
        replicas: 2,
        os: 'windows',
        image: aspnet,
      });
    });
    const [victim] = podsOf(world, 'web');
    await kubernetes.evictPod('shop', victim?.name ?? '');
    const [pending] = (await kubernetes.listPods('shop')).filter((pod) => pod.spec?.nodeName === undefined);
    expect(pending?.status?.conditions?.[0]).toMatchObject({
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
    });
    advance(30);
    expect((await kubernetes.getPod('shop', pending?.metadata?.name ?? ''))?.spec?.nodeName).toBe(
      victim?.nodeName,
    );
  });

  it('recreates a StatefulSet pod only once the old one is gone, with the same name and a new uid', async () => {
    const { world, kubernetes, advance } = worldOf();
    const before = world.cluster.pods.get(podKey('finance', 'ledger-1'));
    await kubernetes.evictPod('finance', 'ledger-1');
    advance(30);
    expect(world.cluster.pods.get(podKey('finance', 'ledger-1'))).toBe(before);
    advance(30);
    const after = world.cluster.pods.get(podKey('finance', 'ledger-1'));
    expect(after?.uid).not.toBe(before?.uid);
    expect(after?.nodeName).toBeDefined();
  });

  it('never recreates an evicted bare pod', async () => {
    const { world, kubernetes, advance } = worldOf((document) => {
      document.workloads.push({
        name: 'debug',
        kind: 'Pod',
        os: 'windows',
        image: 'mcr.microsoft.com/windows/nanoserver:ltsc2022',
      });
    });
    await kubernetes.evictPod('default', 'debug');
    advance(30);
    expect(podsOf(world, 'debug')).toEqual([]);
  });
});

describe('the kubelet', () => {
  it('starts a pod at once when its image is on the node, Ready after its start-up time', async () => {
    const { world, kubernetes, advance } = worldOf();
    await kubernetes.evictPod('finance', 'ledger-1');
    advance(60);
    const pod = world.cluster.pods.get(podKey('finance', 'ledger-1'));
    advance(9);
    expect(pod && isPodReady(pod)).toBe(false);
    advance(1);
    expect(pod && isPodReady(pod)).toBe(true);
  });

  it('pulls an image the node lacks (size × seconds per GiB) before starting the pod', async () => {
    const { world, kubernetes, advance, aws } = worldOf();
    const { SetDesiredCapacityCommand } = await import('@aws-sdk/client-auto-scaling');
    await aws.autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: 'win-a', DesiredCapacity: 4 }),
    );
    advance(10 + 420);
    const fresh = windowsNodes(world).find((node) =>
      world.cluster.podsOn(node.name).every((pod) => pod.workload.spec.kind === 'DaemonSet'),
    );
    for (const node of windowsNodes(world)) {
      if (node !== fresh) await kubernetes.patchNode(node.name, { unschedulable: true });
    }
    const [victim] = podsOf(world, 'web');
    await kubernetes.evictPod('shop', victim?.name ?? '');
    const replacement = podsOf(world, 'web').find((pod) => pod.nodeName === fresh?.name);
    advance(7.5 * 60 + 29);
    expect(replacement && isPodReady(replacement)).toBe(false);
    advance(1);
    expect(replacement && isPodReady(replacement)).toBe(true);
    expect(fresh?.images.has(aspnet)).toBe(true);
  });
});
