import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubernetesTestServer, startKubernetesTestServer } from '../../simulator/k8s-http-server.ts';
import { FakeCluster, fixtures } from './fake-backend.ts';

const kubectlPath = '/usr/bin/kubectl';
const { node, pod, daemonSet } = fixtures;

describe.skipIf(!existsSync(kubectlPath))('kubectl against the Kubernetes test server', () => {
  const cluster = new FakeCluster({
    nodes: [node('win-1'), node('win-2')],
    pods: [
      pod('shop', 'web-1', 'win-1', { ownerKind: 'ReplicaSet', ownerName: 'web' }),
      pod('shop', 'web-2', 'win-2', { ownerKind: 'ReplicaSet', ownerName: 'web' }),
      pod('kube-system', 'agent-1', 'win-1', { ownerKind: 'DaemonSet', ownerName: 'agent' }),
    ],
    daemonSets: [daemonSet('kube-system', 'agent')],
  });
  let server: KubernetesTestServer;
  let cacheDir: string;

  beforeAll(async () => {
    server = await startKubernetesTestServer(cluster);
    cacheDir = await mkdtemp(join(tmpdir(), 'kubectl-cache-'));
  });

  afterAll(async () => {
    await server.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  /** kubectl as a separate process, while this process serves the cluster. */
  async function kubectl(...args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)(
      kubectlPath,
      ['--kubeconfig', server.kubeconfigPath, '--cache-dir', cacheDir, ...args],
      { timeout: 60_000 },
    );
    return stdout;
  }

  it('lists the nodes', async () => {
    const nodes = await kubectl('get', 'nodes');

    expect(nodes).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
    expect(nodes).toMatch(/win-1\s+Ready\s+<none>/);
    expect(nodes).toMatch(/win-2\s+Ready\s+<none>/);
  });

  it('lists the pods of every namespace', async () => {
    const pods = await kubectl('get', 'pods', '-A');

    expect(pods).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS/);
    expect(pods).toMatch(/kube-system\s+agent-1\s+1\/1\s+Running/);
    expect(pods).toMatch(/shop\s+web-1\s+1\/1\s+Running/);
  });

  it('cordons a node', async () => {
    expect(await kubectl('cordon', 'win-1')).toBe('node/win-1 cordoned\n');
    expect(cluster.nodes.get('win-1')?.spec?.unschedulable).toBe(true);
    expect(await kubectl('get', 'nodes', 'win-1')).toMatch(/win-1\s+Ready,SchedulingDisabled/);
  });

  it('drains it, ignoring the DaemonSet pod, through the Eviction API', async () => {
    const output = await kubectl('drain', 'win-1', '--ignore-daemonsets', '--timeout=20s');

    expect(output).toContain('evicting pod shop/web-1');
    expect(output).toContain('node/win-1 drained');
    expect(cluster.callsOf('evictPod')).toEqual([['shop', 'web-1', undefined]]);
    expect([...cluster.pods.keys()].sort()).toEqual(['kube-system/agent-1', 'shop/web-2']);
  });
});
