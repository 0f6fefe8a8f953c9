import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { kubernetesClient } from '../../functions/adapters/kubernetes/client.ts';
import { type KubernetesTestServer, startKubernetesTestServer } from '../../simulator/k8s-http-server.ts';
import { FakeCluster, fixtures } from './fake-backend.ts';
import { testCertificate } from './tls.ts';

const { node, pod, pdb } = fixtures;
const servers: KubernetesTestServer[] = [];
const tableAccept =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

// biome-ignore lint/suspicious/noExplicitAny: the assertions read the API's JSON as it comes
type Json = any;

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(cluster: FakeCluster, options: Parameters<typeof startKubernetesTestServer>[1] = {}) {
  const server = await startKubernetesTestServer(cluster, {
    now: () => Date.parse('2024-01-01T03:00:00Z'),
    ...options,
  });
  servers.push(server);
  return async (path: string, init: RequestInit = {}) => {
    const response = await fetch(server.url + path, init);
    return { status: response.status, headers: response.headers, body: (await response.json()) as Json };
  };
}

describe('discovery', () => {
  it('serves the core resources, with pods/eviction as policy/v1 Eviction (what kubectl drain checks)', async () => {
    const get = await serve(new FakeCluster({}));

    const { status, headers, body } = await get('/api/v1');

    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json');
    expect(body).toMatchObject({ kind: 'APIResourceList', groupVersion: 'v1' });
    expect(body.resources).toContainEqual(
      expect.objectContaining({ name: 'pods/eviction', group: 'policy', version: 'v1', kind: 'Eviction' }),
    );
    expect(body.resources.map((r: { name: string }) => r.name)).toEqual(['nodes', 'pods', 'pods/eviction']);
  });

  it('serves the version, the API versions and the apps and policy groups', async () => {
    const get = await serve(new FakeCluster({}));

    expect((await get('/version')).body).toMatchObject({ major: '1', minor: '31' });
    expect((await get('/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = (await get('/apis')).body;
    expect(groups.kind).toBe('APIGroupList');
    expect(
      groups.groups.map(
        (g: { name: string; preferredVersion: { groupVersion: string } }) => g.preferredVersion.groupVersion,
      ),
    ).toEqual(['apps/v1', 'policy/v1']);
    expect((await get('/apis/policy/v1')).body.resources[0]).toMatchObject({
      name: 'poddisruptionbudgets',
      kind: 'PodDisruptionBudget',
    });
    expect((await get('/apis/apps/v1')).body.resources[0]).toMatchObject({
      name: 'daemonsets',
      kind: 'DaemonSet',
    });
  });

  it('answers an unknown path with a 404 Status and a wrong method with 405', async () => {
    const get = await serve(new FakeCluster({}));

    expect(await get('/apis/batch/v1/jobs')).toMatchObject({
      status: 404,
      body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 },
    });
    expect(await get('/api/v1/nodes', { method: 'DELETE' })).toMatchObject({
      status: 405,
      body: { reason: 'MethodNotAllowed', code: 405 },
    });
  });
});

describe('objects and lists', () => {
  it('serves a node as the API does: kind, apiVersion and timestamps without fractions', async () => {
    const get = await serve(new FakeCluster({ nodes: [node('node-a')] }));

    const { body } = await get('/api/v1/nodes/node-a');

    expect(body).toMatchObject({ kind: 'Node', apiVersion: 'v1', metadata: { name: 'node-a' } });
    expect(body.metadata.creationTimestamp).toBe('2024-01-01T00:00:00Z');
    expect((await get('/api/v1/nodes/node-z')).body).toMatchObject({
      code: 404,
      message: 'nodes "node-z" not found',
      details: { name: 'node-z', kind: 'nodes' },
    });
  });

  it('pages a list with limit and continue, and refuses a bad continue token', async () => {
    const pods = ['c', 'a', 'd', 'b', 'e'].map((name) => pod('shop', name, 'node-a'));
    const get = await serve(new FakeCluster({ pods }));

    const first = await get('/api/v1/namespaces/shop/pods?limit=2');
    const second = await get(`/api/v1/namespaces/shop/pods?limit=2&continue=${first.body.metadata.continue}`);
    const last = await get(`/api/v1/namespaces/shop/pods?limit=2&continue=${second.body.metadata.continue}`);

    expect(first.body).toMatchObject({
      kind: 'PodList',
      apiVersion: 'v1',
      metadata: { remainingItemCount: 3 },
    });
    const names = [first, second, last].map((page) =>
      page.body.items.map((p: { metadata: { name: string } }) => p.metadata.name),
    );
    expect(names).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(last.body.metadata.continue).toBeUndefined();
    expect((await get('/api/v1/pods?limit=2&continue=garbage')).status).toBe(400);
  });

  it('selects pods by spec.nodeName', async () => {
    const get = await serve(
      new FakeCluster({ pods: [pod('shop', 'a', 'node-a'), pod('shop', 'b', 'node-b')] }),
    );

    const { body } = await get(`/api/v1/pods?fieldSelector=${encodeURIComponent('spec.nodeName=node-b')}`);

    expect(body.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(['b']);
  });

  it('serves Tables to kubectl: nodes with their status, pods with their node', async () => {
    const get = await serve(
      new FakeCluster({
        nodes: [node('node-a', { unschedulable: true })],
        pods: [pod('shop', 'web', 'node-a')],
      }),
    );

    const nodes = await get('/api/v1/nodes', { headers: { accept: tableAccept } });
    const pods = await get('/api/v1/pods', { headers: { accept: tableAccept } });

    expect(nodes.headers.get('content-type')).toBe('application/json;as=Table;v=v1;g=meta.k8s.io');
    expect(nodes.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(nodes.body.columnDefinitions.map((c: { name: string }) => c.name)).toEqual([
      'Name',
      'Status',
      'Roles',
      'Age',
      'Version',
      'Internal-IP',
      'External-IP',
      'OS-Image',
      'Kernel-Version',
      'Container-Runtime',
    ]);
    expect(nodes.body.rows[0].cells.slice(0, 5)).toEqual([
      'node-a',
      'Ready,SchedulingDisabled',
      '<none>',
      '3h',
      'v1.31.2-eks-0000000',
    ]);
    expect(nodes.body.rows[0].object).toMatchObject({
      kind: 'PartialObjectMetadata',
      metadata: { name: 'node-a' },
    });
    expect(pods.body.rows[0].cells).toEqual([
      'web',
      '1/1',
      'Running',
      0,
      '3h',
      '10.0.0.10',
      'node-a',
      '<none>',
      '<none>',
    ]);
    expect(pods.body.rows[0].object.metadata.namespace).toBe('shop');
  });

  it('serves PodDisruptionBudgets of all namespaces and of one', async () => {
    const budgets = [
      pdb('shop', 'web', {}, { disruptionsAllowed: 1, desiredHealthy: 1, currentHealthy: 2 }),
      pdb('blog', 'web', {}, { disruptionsAllowed: 1, desiredHealthy: 1, currentHealthy: 2 }),
    ];
    const get = await serve(new FakeCluster({ pdbs: budgets }));

    expect((await get('/apis/policy/v1/poddisruptionbudgets')).body).toMatchObject({
      kind: 'PodDisruptionBudgetList',
      apiVersion: 'policy/v1',
      items: [{ metadata: { namespace: 'blog' } }, { metadata: { namespace: 'shop' } }],
    });
    expect((await get('/apis/policy/v1/namespaces/shop/poddisruptionbudgets')).body.items).toHaveLength(1);
  });
});

describe('node patches', () => {
  const patch = (contentType: string, body: unknown): RequestInit => ({
    method: 'PATCH',
    headers: { 'content-type': contentType },
    body: JSON.stringify(body),
  });

  it('uncordons with the strategic merge patch kubectl sends (unschedulable: null)', async () => {
    const cluster = new FakeCluster({ nodes: [node('node-a', { unschedulable: true })] });
    const send = await serve(cluster);

    const { status, body } = await send(
      '/api/v1/nodes/node-a',
      patch('application/strategic-merge-patch+json', { spec: { unschedulable: null } }),
    );

    expect(status).toBe(200);
    expect(body.spec.unschedulable).toBe(false);
    expect(cluster.callsOf('patchNode')).toEqual([['node-a', { unschedulable: false }]]);
  });

  it('refuses JSON patches (415) and fields other than unschedulable, taints, annotations and labels (422)', async () => {
    const send = await serve(new FakeCluster({ nodes: [node('node-a')] }));

    expect((await send('/api/v1/nodes/node-a', patch('application/json-patch+json', []))).status).toBe(415);
    const providerId = await send(
      '/api/v1/nodes/node-a',
      patch('application/merge-patch+json', { spec: { providerID: 'aws:///x' } }),
    );
    expect(providerId).toMatchObject({ status: 422, body: { reason: 'Invalid' } });
    const badLabels = await send(
      '/api/v1/nodes/node-a',
      patch('application/merge-patch+json', { metadata: { labels: { a: 1 } } }),
    );
    expect(badLabels).toMatchObject({ status: 422, body: { reason: 'Invalid' } });
  });
});

describe('evictions', () => {
  const evict = (
    name: string,
    body: object = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'shop' } },
  ) =>
    ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }) satisfies RequestInit;

  it('answers 201 with a Success Status', async () => {
    const send = await serve(new FakeCluster({ pods: [pod('shop', 'web', 'node-a')] }));

    expect(await send('/api/v1/namespaces/shop/pods/web/eviction', evict('web'))).toMatchObject({
      status: 201,
      body: { kind: 'Status', status: 'Success', code: 201 },
    });
  });

  it('answers 429 with a DisruptionBudget cause when a PDB allows no disruption', async () => {
    const budget = pdb(
      'shop',
      'web',
      { app: 'web' },
      { disruptionsAllowed: 0, desiredHealthy: 2, currentHealthy: 2 },
    );
    const send = await serve(
      new FakeCluster({ pods: [pod('shop', 'web', 'node-a', { labels: { app: 'web' } })], pdbs: [budget] }),
    );

    const { status, headers, body } = await send('/api/v1/namespaces/shop/pods/web/eviction', evict('web'));

    expect(status).toBe(429);
    expect(headers.get('retry-after')).toBeNull();
    expect(body).toMatchObject({
      reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: {
        causes: [
          {
            reason: 'DisruptionBudget',
            message: 'The disruption budget web needs 2 healthy pods and has 2 currently',
          },
        ],
      },
    });
  });

  it('answers 429 with Retry-After when the backend is throttled', async () => {
    const cluster = new FakeCluster({ pods: [pod('shop', 'web', 'node-a')] });
    cluster.throttle('evictPod', 1);
    const send = await serve(cluster);

    const { status, headers, body } = await send('/api/v1/namespaces/shop/pods/web/eviction', evict('web'));

    expect(status).toBe(429);
    expect(headers.get('retry-after')).toBe('1');
    expect(body).toMatchObject({
      message: 'Too many requests, please try again later.',
      details: { retryAfterSeconds: 1 },
    });
  });

  it('answers 500 for a pod under two PDBs, and 404 for a missing pod', async () => {
    const budgets = [
      pdb('shop', 'a', {}, { disruptionsAllowed: 1, desiredHealthy: 1, currentHealthy: 2 }),
      pdb('shop', 'b', {}, { disruptionsAllowed: 1, desiredHealthy: 1, currentHealthy: 2 }),
    ];
    const send = await serve(new FakeCluster({ pods: [pod('shop', 'web', 'node-a')], pdbs: budgets }));

    expect(await send('/api/v1/namespaces/shop/pods/web/eviction', evict('web'))).toMatchObject({
      status: 500,
      body: {
        reason: 'InternalError',
        message:
          'Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      },
    });
    expect((await send('/api/v1/namespaces/shop/pods/gone/eviction', evict('gone'))).status).toBe(404);
  });

  it('refuses an Eviction whose name differs from the URL', async () => {
    const send = await serve(new FakeCluster({ pods: [pod('shop', 'web', 'node-a')] }));

    expect((await send('/api/v1/namespaces/shop/pods/web/eviction', evict('other'))).status).toBe(400);
  });
});

describe('authentication and kubeconfig', () => {
  it('over TLS writes a kubeconfig that trusts its certificate and carries its token', async () => {
    const cluster = new FakeCluster({ nodes: [node('node-a')] });
    const server = await startKubernetesTestServer(cluster, { tls: testCertificate });
    servers.push(server);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(server.kubeconfigPath);

    expect(kubeConfig.getCurrentCluster()).toMatchObject({ server: server.url, skipTLSVerify: false });
    expect(kubeConfig.getCurrentCluster()?.caData).toBe(Buffer.from(testCertificate.cert).toString('base64'));
    expect(kubeConfig.getCurrentUser()?.token).toMatch(/^[0-9a-f-]{36}$/);
    expect(await kubernetesClient(kubeConfig).getNode('node-a')).toBeDefined();
  });

  it('writes a plain-HTTP kubeconfig that skips TLS verification, and removes it on close', async () => {
    const server = await startKubernetesTestServer(new FakeCluster({}));
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(server.kubeconfigPath);

    expect(kubeConfig.getCurrentCluster()).toMatchObject({ server: server.url, skipTLSVerify: true });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await server.close();
    expect(existsSync(server.kubeconfigPath)).toBe(false);
  });

  it('answers 401 to a token it does not accept', async () => {
    const get = await serve(new FakeCluster({}), { acceptToken: (token) => token === 'right' });

    expect((await get('/api/v1/nodes', { headers: { authorization: 'Bearer wrong' } })).body).toMatchObject({
      code: 401,
      reason: 'Unauthorized',
    });
    expect((await get('/api/v1/nodes', { headers: { authorization: 'Bearer right' } })).status).toBe(200);
    expect((await get('/version')).status).toBe(200);
  });
});
