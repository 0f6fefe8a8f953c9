import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  KubeConfig,
  loadAllYaml,
  type V1ClusterRole,
  type V1ClusterRoleBinding,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubernetesClient } from '../../functions/adapters/kubernetes/client.ts';
import type { KubernetesPort } from '../../functions/adapters/kubernetes/port.ts';
import { type KubernetesTestServer, startKubernetesTestServer } from '../../simulator/k8s-http-server.ts';
import { FakeCluster, fixtures } from './fake-backend.ts';

const { node, pod, pdb, daemonSet } = fixtures;

/** Every method of the port, called once, so that every request the code can send is recorded. */
const everyCall: Record<keyof KubernetesPort, (port: KubernetesPort) => Promise<unknown>[]> = {
  listNodes: (port) => [port.listNodes('kubernetes.io/os=windows')],
  getNode: (port) => [port.getNode('node-a')],
  listPodsOnNode: (port) => [port.listPodsOnNode('node-a')],
  listPods: (port) => [port.listPods('shop'), port.listPods(undefined, { labelSelector: 'app=web' })],
  getPod: (port) => [port.getPod('shop', 'web-1')],
  patchNode: (port) => [port.patchNode('node-a', { unschedulable: true, annotations: { a: 'b' } })],
  evictPod: (port) => [port.evictPod('shop', 'web-1', 30)],
  deletePod: (port) => [port.deletePod('shop', 'web-2', 0)],
  listPodDisruptionBudgets: (port) => [
    port.listPodDisruptionBudgets(),
    port.listPodDisruptionBudgets('shop'),
  ],
  daemonSetExists: (port) => [port.daemonSetExists('kube-system', 'agent')],
  getController: (port) => [
    port.getController('shop', 'ReplicaSet', 'web-abc'),
    port.getController('shop', 'StatefulSet', 'ledger'),
  ],
};

/** `group/resource[/subresource]:verb`, as RBAC sees a request (the API server's RequestInfo). */
type Permission = string;

function permissionOf(method: string, url: URL): Permission {
  const parts = url.pathname.split('/').filter(Boolean);
  const [prefix] = parts;
  const group = prefix === 'api' ? '' : (parts[1] ?? '');
  let rest = parts.slice(prefix === 'api' ? 2 : 3);
  if (rest[0] === 'namespaces' && rest.length > 2) rest = rest.slice(2);
  const [resource = '', name, subresource] = rest;
  const verbs: Record<string, string> = {
    GET: name ? 'get' : url.searchParams.get('watch') === 'true' ? 'watch' : 'list',
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: name ? 'delete' : 'deletecollection',
  };
  return `${group}/${[resource, subresource].filter(Boolean).join('/')}:${verbs[method] ?? method}`;
}

/** A loopback proxy in front of the test server that records the permission each request needs. */
async function recordingProxy(target: string) {
  const used = new Set<Permission>();
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', target);
    used.add(permissionOf(request.method ?? 'GET', url));
    const upstream = http.request(url, { method: request.method, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    used,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function granted(role: V1ClusterRole): Permission[] {
  return (role.rules ?? []).flatMap((rule) =>
    (rule.apiGroups ?? []).flatMap((group) =>
      (rule.resources ?? []).flatMap((resource) => rule.verbs.map((verb) => `${group}/${resource}:${verb}`)),
    ),
  );
}

async function manifests() {
  const objects = loadAllYaml(await readFile(new URL('../../deploy/rbac.yaml', import.meta.url), 'utf8'));
  const roles = new Map<string, V1ClusterRole>();
  const bindings = new Map<string, V1ClusterRoleBinding>();
  for (const object of objects) {
    if (object.kind === 'ClusterRole') roles.set(object.metadata.name, object);
    if (object.kind === 'ClusterRoleBinding') bindings.set(object.metadata.name, object);
  }
  return { roles, bindings };
}

describe('RBAC (deploy/rbac.yaml)', () => {
  let server: KubernetesTestServer;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;

  beforeAll(async () => {
    const cluster = new FakeCluster({
      nodes: [node('node-a')],
      pods: [pod('shop', 'web-1', 'node-a'), pod('shop', 'web-2', 'node-a')],
      pdbs: [
        pdb('shop', 'web', { app: 'web' }, { disruptionsAllowed: 1, desiredHealthy: 1, currentHealthy: 2 }),
      ],
      daemonSets: [daemonSet('kube-system', 'agent')],
    });
    server = await startKubernetesTestServer(cluster);
    proxy = await recordingProxy(server.url);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(server.kubeconfigPath);
    kubeConfig.loadFromOptions({
      ...kubeConfig,
      clusters: kubeConfig.clusters.map((cluster) => ({ ...cluster, server: proxy.url })),
    });
    const port = kubernetesClient(kubeConfig);
    for (const calls of Object.values(everyCall)) await Promise.all(calls(port));
  });

  afterAll(async () => {
    await proxy.close();
    await server.close();
  });

  it('grants exactly the permissions the Kubernetes port uses, no more and no fewer', async () => {
    const { roles } = await manifests();

    const grantedAll = [...roles.values()].flatMap(granted);

    expect(new Set(grantedAll)).toEqual(proxy.used);
    expect(grantedAll).toHaveLength(proxy.used.size);
  });

  it('grants the minimal set of the mission: no delete but in the force role', async () => {
    const { roles } = await manifests();
    const rolePermissions = (name: string) => granted(roles.get(name) ?? {}).sort();

    expect(rolePermissions('eks-windows-patcher')).toEqual([
      '/nodes:get',
      '/nodes:list',
      '/nodes:patch',
      '/pods/eviction:create',
      '/pods:get',
      '/pods:list',
      'apps/daemonsets:get',
      'apps/replicasets:get',
      'apps/statefulsets:get',
      'policy/poddisruptionbudgets:list',
    ]);
    expect(rolePermissions('eks-windows-patcher-force')).toEqual(['/pods:delete']);
  });

  it('binds each role to the Kubernetes group of the same name, the group an access entry names', async () => {
    const { roles, bindings } = await manifests();

    for (const name of roles.keys()) {
      expect(bindings.get(name)).toMatchObject({
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name }],
      });
    }
    expect([...bindings.keys()].sort()).toEqual(['eks-windows-patcher', 'eks-windows-patcher-force']);
  });
});
