import { createServer, type Server } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type KubernetesClientOptions,
  kubernetesClient,
} from '../../functions/adapters/kubernetes/client.ts';
import type { KubernetesPort } from '../../functions/adapters/kubernetes/port.ts';
import { KubernetesThrottled } from '../../functions/commons/errors.ts';
import { prePullNamespace, prePullPod } from '../../functions/domain/pre-pull.ts';
import { type KubernetesTestServer, startKubernetesTestServer } from '../../simulator/k8s-http-server.ts';
import { ApiRefusal } from '../../simulator/kubernetes/refusal.ts';
import { FakeCluster, fixtures } from './fake-backend.ts';

const { node, pod, pdb, daemonSet } = fixtures;
const servers: KubernetesTestServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** The real client, over real HTTP, against the test server backed by `cluster`; sleeps are recorded. */
async function connect(cluster: FakeCluster, options: KubernetesClientOptions = {}) {
  const server = await startKubernetesTestServer(cluster);
  servers.push(server);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(server.kubeconfigPath);
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };
  const port: KubernetesPort = kubernetesClient(kubeConfig, { sleep, ...options });
  return { port, sleeps };
}

describe('listing', () => {
  it('lists the pods of a node by field selector across pages', async () => {
    const pods = Array.from({ length: 1203 }, (_, i) => pod(`ns-${i % 7}`, `web-${i}`, 'node-a'));
    const cluster = new FakeCluster({
      nodes: [node('node-a')],
      pods: [...pods, pod('default', 'other', 'node-b')],
    });
    const { port } = await connect(cluster, { pageSize: 500 });

    const listed = await port.listPodsOnNode('node-a');

    expect(listed).toHaveLength(1203);
    expect(new Set(listed.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)).size).toBe(1203);
    expect(listed.every((p) => p.spec?.nodeName === 'node-a')).toBe(true);
    expect(cluster.callsOf('listPodsOnNode')).toHaveLength(3);
  });

  it('lists pods of one namespace or all, by label', async () => {
    const cluster = new FakeCluster({
      pods: [
        pod('shop', 'web-1', 'node-a', { labels: { app: 'web' } }),
        pod('shop', 'db-1', 'node-a', { labels: { app: 'db' } }),
        pod('blog', 'web-2', 'node-b', { labels: { app: 'web' } }),
      ],
    });
    const { port } = await connect(cluster, { pageSize: 1 });

    const names = (pods: { metadata?: { name?: string } }[]) => pods.map((p) => p.metadata?.name).sort();
    expect(names(await port.listPods(undefined, { labelSelector: 'app=web' }))).toEqual(['web-1', 'web-2']);
    expect(names(await port.listPods('shop'))).toEqual(['db-1', 'web-1']);
    // A sample: the first page only, its continue token not followed.
    expect(await port.listPods(undefined, { labelSelector: 'app=web', limit: 1 })).toHaveLength(1);
  });

  it('lists nodes by label across pages, with timestamps as dates', async () => {
    const nodes = Array.from({ length: 7 }, (_, i) =>
      node(`node-${i}`, { labels: { group: i < 5 ? 'win' : 'linux' } }),
    );
    const { port } = await connect(new FakeCluster({ nodes }), { pageSize: 2 });

    const listed = await port.listNodes('group=win');

    expect(listed.map((n) => n.metadata?.name)).toEqual(['node-0', 'node-1', 'node-2', 'node-3', 'node-4']);
    expect(listed[0]?.metadata?.creationTimestamp).toEqual(new Date('2024-01-01T00:00:00Z'));
  });

  it('lists PodDisruptionBudgets of all namespaces or one', async () => {
    const budgets = [
      pdb('shop', 'web', { app: 'web' }, { disruptionsAllowed: 1, desiredHealthy: 2, currentHealthy: 3 }),
      pdb('blog', 'web', { app: 'web' }, { disruptionsAllowed: 0, desiredHealthy: 1, currentHealthy: 1 }),
    ];
    const { port } = await connect(new FakeCluster({ pdbs: budgets }));

    expect(await port.listPodDisruptionBudgets()).toHaveLength(2);
    const [shop] = await port.listPodDisruptionBudgets('shop');
    expect(shop?.spec?.minAvailable).toBe(2);
    expect(shop?.status?.disruptionsAllowed).toBe(1);
  });
});

describe('reading one object', () => {
  it('answers undefined for a node or pod that does not exist', async () => {
    const { port } = await connect(
      new FakeCluster({ nodes: [node('node-a')], pods: [pod('shop', 'web', 'node-a')] }),
    );

    expect((await port.getNode('node-a'))?.spec?.providerID).toBe('aws:///eu-west-1a/i-node-a');
    expect(await port.getNode('node-z')).toBeUndefined();
    expect((await port.getPod('shop', 'web'))?.metadata?.uid).toBe('uid-shop-web');
    expect(await port.getPod('shop', 'gone')).toBeUndefined();
  });

  it('tells whether a DaemonSet exists', async () => {
    const { port } = await connect(
      new FakeCluster({ daemonSets: [daemonSet('kube-system', 'aws-node-windows')] }),
    );

    expect(await port.daemonSetExists('kube-system', 'aws-node-windows')).toBe(true);
    expect(await port.daemonSetExists('kube-system', 'deleted')).toBe(false);
  });
});

describe('cordon', () => {
  it('cordons and uncordons a node with a merge patch', async () => {
    const cluster = new FakeCluster({ nodes: [node('node-a')] });
    const { port } = await connect(cluster);

    const cordoned = await port.patchNode('node-a', { unschedulable: true });
    expect(cordoned.spec?.unschedulable).toBe(true);
    expect(cluster.nodes.get('node-a')?.spec?.unschedulable).toBe(true);

    const uncordoned = await port.patchNode('node-a', { unschedulable: false });
    expect(uncordoned.spec?.unschedulable).toBe(false);
    expect(cluster.callsOf('patchNode')).toEqual([
      ['node-a', { unschedulable: true }],
      ['node-a', { unschedulable: false }],
    ]);
  });

  it('sets and removes node annotations', async () => {
    const cluster = new FakeCluster({ nodes: [node('node-a')] });
    const { port } = await connect(cluster);

    await port.patchNode('node-a', { annotations: { 'patcher/cordoned-by': 'rollout-1', keep: 'yes' } });
    const patched = await port.patchNode('node-a', { annotations: { 'patcher/cordoned-by': null } });

    expect(patched.metadata?.annotations).toEqual({ keep: 'yes' });
    expect(patched.spec?.unschedulable).toBeUndefined();
  });

  it('names the node and the server answer when the node does not exist', async () => {
    const { port } = await connect(new FakeCluster({}));

    await expect(port.patchNode('node-z', { unschedulable: true })).rejects.toThrow(
      /^Kubernetes API at http:\/\/127\.0\.0\.1:\d+ refused to patch node node-z: 404 NotFound: nodes "node-z" not found$/,
    );
  });
});

describe('eviction', () => {
  const web = (name: string) => pod('shop', name, 'node-a', { labels: { app: 'web' } });

  it('evicts a pod (201) with the grace period asked for', async () => {
    const cluster = new FakeCluster({ pods: [web('web-1')] });
    const { port } = await connect(cluster);

    expect(await port.evictPod('shop', 'web-1', 30)).toEqual({ kind: 'evicted' });
    expect(cluster.callsOf('evictPod')).toEqual([['shop', 'web-1', 30]]);
    expect(await port.getPod('shop', 'web-1')).toBeUndefined();
  });

  it('leaves the grace period to the pod when none is given', async () => {
    const cluster = new FakeCluster({ pods: [web('web-1')] });
    const { port } = await connect(cluster);

    await port.evictPod('shop', 'web-1');

    expect(cluster.callsOf('evictPod')).toEqual([['shop', 'web-1', undefined]]);
  });

  it('reports a PDB that allows no disruption (429 with a DisruptionBudget cause), without retrying', async () => {
    const budget = pdb(
      'shop',
      'web',
      { app: 'web' },
      { disruptionsAllowed: 0, desiredHealthy: 5, currentHealthy: 4 },
    );
    const cluster = new FakeCluster({ pods: [web('web-1')], pdbs: [budget] });
    const { port, sleeps } = await connect(cluster);

    expect(await port.evictPod('shop', 'web-1')).toEqual({
      kind: 'blockedByPdb',
      message: 'The disruption budget web needs 5 healthy pods and has 4 currently',
      pdbNames: ['web'],
    });
    expect(sleeps).toEqual([]);
    expect(cluster.pods.has('shop/web-1')).toBe(true);
  });

  it('asks with dryRun=All: the same answer, PDBs included, and nothing changes', async () => {
    const budget = pdb(
      'shop',
      'web',
      { app: 'web' },
      { disruptionsAllowed: 0, desiredHealthy: 2, currentHealthy: 2 },
    );
    const cluster = new FakeCluster({ pods: [web('web-1'), pod('shop', 'free', 'node-a')], pdbs: [budget] });
    const { port } = await connect(cluster);

    expect(await port.evictPod('shop', 'free', undefined, true)).toEqual({ kind: 'evicted' });
    expect(await port.evictPod('shop', 'web-1', undefined, true)).toMatchObject({ kind: 'blockedByPdb' });
    expect(cluster.callsOf('evictPod')).toEqual([
      ['shop', 'free', undefined, 'dryRun'],
      ['shop', 'web-1', undefined, 'dryRun'],
    ]);
    expect([...cluster.pods.keys()].sort()).toEqual(['shop/free', 'shop/web-1']);
  });

  it('reports a pod matched by two PDBs (500) at once', async () => {
    const budgets = [
      pdb('shop', 'web', { app: 'web' }, { disruptionsAllowed: 1, desiredHealthy: 1, currentHealthy: 2 }),
      pdb('shop', 'all', {}, { disruptionsAllowed: 1, desiredHealthy: 1, currentHealthy: 2 }),
    ];
    const { port, sleeps } = await connect(new FakeCluster({ pods: [web('web-1')], pdbs: budgets }));

    expect(await port.evictPod('shop', 'web-1')).toEqual({
      kind: 'multiplePdbs',
      message:
        'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    });
    expect(sleeps).toEqual([]);
  });

  it('reports a pod that is already gone (404)', async () => {
    const { port } = await connect(new FakeCluster({}));

    expect(await port.evictPod('shop', 'web-1')).toEqual({ kind: 'gone' });
  });

  it('deletes a pod (force) and says whether it was still there', async () => {
    const cluster = new FakeCluster({ pods: [web('web-1')] });
    const { port } = await connect(cluster);

    expect(await port.deletePod('shop', 'web-1', 0)).toBe(true);
    expect(cluster.callsOf('deletePod')).toEqual([['shop', 'web-1', 0]]);
    expect(await port.deletePod('shop', 'web-1')).toBe(false);
  });
});

describe('pod creation', () => {
  const prePull = prePullPod(
    { node: 'node-a', images: ['mcr.microsoft.com/windows/servercore:ltsc2022'] },
    'run-1',
  );

  it('creates a pod, and says false when one of that name exists (409 AlreadyExists)', async () => {
    const cluster = new FakeCluster({ nodes: [node('node-a')] });
    const { port } = await connect(cluster);

    expect(await port.createPod(prePullNamespace, prePull)).toBe(true);
    expect(cluster.pods.get(`${prePullNamespace}/pre-pull-node-a`)?.spec?.nodeName).toBe('node-a');
    expect(await port.createPod(prePullNamespace, prePull)).toBe(false);
  });

  it('names the pod, the code and the reason when the API refuses it (no namespace)', async () => {
    const cluster = new FakeCluster({});
    cluster.createPod = async (namespace) => {
      throw new ApiRefusal('create pod', {
        code: 404,
        reason: 'NotFound',
        message: `namespaces "${namespace}" not found`,
      });
    };
    const { port } = await connect(cluster);

    await expect(port.createPod(prePullNamespace, prePull)).rejects.toThrow(
      `refused to create pod ${prePullNamespace}/pre-pull-node-a: 404 NotFound: namespaces "${prePullNamespace}" not found`,
    );
  });
});

describe('server-side throttling', () => {
  it('retries a throttled eviction (429 without a PDB cause), honouring Retry-After, then succeeds', async () => {
    const cluster = new FakeCluster({ pods: [pod('shop', 'web-1', 'node-a')] });
    cluster.throttle('evictPod', 2);
    const { port, sleeps } = await connect(cluster);

    expect(await port.evictPod('shop', 'web-1')).toEqual({ kind: 'evicted' });
    expect(sleeps).toEqual([1000, 1000]);
    expect(cluster.callsOf('evictPod')).toHaveLength(3);
  });

  it('retries a server error (500) with exponential backoff when there is no Retry-After', async () => {
    const cluster = new FakeCluster({ nodes: [node('node-a')] });
    cluster.getNode = failingThenReal(cluster.getNode.bind(cluster), 3);
    const { port, sleeps } = await connect(cluster, { retry: { baseDelayMs: 100, maxAttempts: 5 } });

    expect((await port.getNode('node-a'))?.metadata?.name).toBe('node-a');
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('gives up with KubernetesThrottled once the bounded retries run out', async () => {
    const cluster = new FakeCluster({ nodes: [node('node-a')] });
    cluster.throttle('listPodsOnNode', 100);
    const { port, sleeps } = await connect(cluster);

    const error = await port.listPodsOnNode('node-a').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(KubernetesThrottled);
    expect((error as Error).name).toBe('KubernetesThrottled');
    expect((error as Error).message).toContain('list pods in all namespaces');
    expect(sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(3000);
    expect(cluster.callsOf('listPodsOnNode').length).toBe(sleeps.length + 1);
  });

  it('treats a connection reset as throttling', async () => {
    const resetting = await resettingServer();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromClusterAndUser(
      { name: 'resetting', server: resetting.url, skipTLSVerify: true },
      { name: 'someone', token: 'token' },
    );
    const sleeps: number[] = [];
    const port = kubernetesClient(kubeConfig, { sleep: async (ms) => void sleeps.push(ms) });

    try {
      await expect(port.getNode('node-a')).rejects.toBeInstanceOf(KubernetesThrottled);
      expect(sleeps).toEqual([200, 400, 800]);
    } finally {
      resetting.server.close();
    }
  });

  it('does not retry a refusal that is not throttling (401)', async () => {
    const server = await startKubernetesTestServer(new FakeCluster({}), { acceptToken: () => false });
    servers.push(server);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(server.kubeconfigPath);
    const sleeps: number[] = [];
    const port = kubernetesClient(kubeConfig, { sleep: async (ms) => void sleeps.push(ms) });

    await expect(port.listNodes()).rejects.toThrow(
      `The Kubernetes API at ${server.url} answered 401 Unauthorized to "list nodes": the token was refused: check the access entry or kubeconfig user.`,
    );
    expect(sleeps).toEqual([]);
  });

  it('names the API URL and the system error when nothing listens there', async () => {
    const closed = await resettingServer();
    closed.server.close();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'c', server: closed.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
      currentContext: 'c',
    });
    const port = kubernetesClient(kubeConfig, { sleep: async () => undefined });

    await expect(port.listNodes()).rejects.toThrow(
      new RegExp(
        `^Cannot reach the Kubernetes API at ${closed.url.replace(/\./g, '\\.')} to list nodes: ECONNREFUSED \\(`,
      ),
    );
  });
});

/** A backend method that fails with a plain error (the server answers 500) `times` times. */
function failingThenReal<A extends unknown[], R>(real: (...args: A) => Promise<R>, times: number) {
  let failures = 0;
  return async (...args: A): Promise<R> => {
    if (failures++ < times) throw new Error('etcdserver: request timed out');
    return real(...args);
  };
}

/** A TCP server that accepts and immediately resets every connection. */
async function resettingServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((socket) => socket.resetAndDestroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, server };
}
