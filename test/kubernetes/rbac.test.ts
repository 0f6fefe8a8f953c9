import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  KubeConfig,
  loadAllYaml,
  type V1ClusterRole,
  type V1ClusterRoleBinding,
  type V1Role,
  type V1RoleBinding,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubernetesClient } from '../../functions/adapters/kubernetes/client.ts';
import type { KubernetesPort } from '../../functions/adapters/kubernetes/port.ts';
import { prePullNamespace, prePullPod } from '../../functions/domain/pre-pull.ts';
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
  deletePod: (port) => [
    port.deletePod('shop', 'web-2', 0),
    port.deletePod(prePullNamespace, 'pre-pull-node-a', 0),
  ],
  createPod: (port) => [
    port.createPod(prePullNamespace, prePullPod({ node: 'node-a', images: ['app:1'] }, 'exec-1')),
  ],
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

/**
 * `namespace|group/resource[/subresource]:verb`, as RBAC sees a request (the API server's
 * RequestInfo); `*` for a ClusterRole's grant, which holds in every namespace.
 */
type Permission = string;

function permissionOf(method: string, url: URL): Permission {
  const parts = url.pathname.split('/').filter(Boolean);
  const [prefix] = parts;
  const group = prefix === 'api' ? '' : (parts[1] ?? '');
  let rest = parts.slice(prefix === 'api' ? 2 : 3);
  let namespace = '*';
  if (rest[0] === 'namespaces' && rest.length > 2) {
    namespace = rest[1] ?? '*';
    rest = rest.slice(2);
  }
  const [resource = '', name, subresource] = rest;
  const verbs: Record<string, string> = {
    GET: name ? 'get' : url.searchParams.get('watch') === 'true' ? 'watch' : 'list',
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: name ? 'delete' : 'deletecollection',
  };
  return `${namespace}|${group}/${[resource, subresource].filter(Boolean).join('/')}:${verbs[method] ?? method}`;
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

function granted(role: V1ClusterRole | V1Role): Permission[] {
  const namespace = role.kind === 'Role' ? (role.metadata?.namespace ?? 'default') : '*';
  return (role.rules ?? []).flatMap((rule) =>
    (rule.apiGroups ?? []).flatMap((group) =>
      (rule.resources ?? []).flatMap((resource) =>
        rule.verbs.map((verb) => `${namespace}|${group}/${resource}:${verb}`),
      ),
    ),
  );
}

/** The request's permission without its namespace: what a ClusterRole must grant for it. */
const anyNamespace = (permission: Permission) => `*|${permission.split('|')[1]}`;

async function manifests() {
  const objects = loadAllYaml(await readFile(new URL('../../deploy/rbac.yaml', import.meta.url), 'utf8'));
  const roles = new Map<string, V1ClusterRole | V1Role>();
  const bindings = new Map<string, V1ClusterRoleBinding | V1RoleBinding>();
  for (const object of objects) {
    if (object.kind === 'ClusterRole' || object.kind === 'Role') roles.set(object.metadata.name, object);
    if (object.kind === 'ClusterRoleBinding' || object.kind === 'RoleBinding')
      bindings.set(object.metadata.name, object);
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
    const grantedSet = new Set(grantedAll);
    const used = [...proxy.used];

    // Every request allowed: by a ClusterRole, or by a Role of its namespace.
    expect(used.filter((p) => !grantedSet.has(p) && !grantedSet.has(anyNamespace(p)))).toEqual([]);
    // Every grant used, once.
    expect(
      grantedAll.filter((g) => !used.some((p) => p === g || (g.startsWith('*|') && anyNamespace(p) === g))),
    ).toEqual([]);
    expect(grantedAll).toHaveLength(grantedSet.size);
  });

  it('grants the minimal set of the mission: no delete but in the force role and the pre-pull namespace', async () => {
    const { roles } = await manifests();
    const rolePermissions = (name: string) =>
      granted(roles.get(name) ?? {})
        .map((permission) => permission.replace(/^\*\|/, ''))
        .sort();

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
    expect(rolePermissions('eks-windows-patcher-pre-pull')).toEqual([
      `${prePullNamespace}|/pods:create`,
      `${prePullNamespace}|/pods:delete`,
    ]);
  });

  it('binds each role to the Kubernetes group of the same name, the group an access entry names', async () => {
    const { roles, bindings } = await manifests();

    for (const [name, role] of roles) {
      if (role.kind === 'Role') continue;
      expect(bindings.get(name)).toMatchObject({
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name }],
      });
    }
    // The pre-pull Role goes to every function's group: replacements are asked, and cleared at the end.
    expect(bindings.get('eks-windows-patcher-pre-pull')).toMatchObject({
      metadata: { namespace: prePullNamespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'eks-windows-patcher-pre-pull' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'eks-windows-patcher' }],
    });
    expect([...bindings.keys()].sort()).toEqual([
      'eks-windows-patcher',
      'eks-windows-patcher-force',
      'eks-windows-patcher-pre-pull',
    ]);
  });
});
