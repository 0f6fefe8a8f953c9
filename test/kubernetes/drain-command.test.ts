import { execFile } from 'node:child_process';
import { copyFile, mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestContext } from 'vitest';
import { describe, it } from 'vitest';
import { cordonedByAnnotation } from '../../functions/domain/nodes.ts';
import { startKubernetesTestServer } from '../../simulator/k8s-http-server.ts';
import { FakeCluster, fixtures } from './fake-backend.ts';

const { node, pod, pdb, daemonSet } = fixtures;
const root = fileURLToPath(new URL('../..', import.meta.url));
const projectPath = `${root}node_modules/.bin:${process.env.PATH ?? ''}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run <script> -- args` as a separate process, while this process serves the cluster. */
async function npmRun(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)('npm', ['run', '--silent', script, '--', ...args], {
      cwd: root,
      env: { ...process.env, PATH: projectPath, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout: string; stderr: string };
    return { code: failed.code ?? -1, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const web = (name: string, nodeName = 'win-1') =>
  pod('shop', name, nodeName, { ownerKind: 'ReplicaSet', ownerName: 'web', labels: { app: 'web' } });
const db = (name: string) =>
  pod('shop', name, 'win-1', { ownerKind: 'StatefulSet', ownerName: 'db', labels: { app: 'db' } });
const agent = pod('kube-system', 'agent-1', 'win-1', { ownerKind: 'DaemonSet', ownerName: 'agent' });
const noDisruption = { disruptionsAllowed: 0, desiredHealthy: 1, currentHealthy: 1 };

/** A cluster served over HTTP for one test; returns how to run a script against it. */
async function clusterFor(context: TestContext, objects: ConstructorParameters<typeof FakeCluster>[0]) {
  const cluster = new FakeCluster({ nodes: [node('win-1'), node('win-2')], ...objects });
  const server = await startKubernetesTestServer(cluster);
  context.onTestFinished(() => server.close());
  const run = (script: string, ...args: string[]) =>
    npmRun(script, ['win-1', '--kubeconfig', server.kubeconfigPath, ...args]);
  return { cluster, kubeconfig: server.kubeconfigPath, run };
}

describe.concurrent('npm run drain against the Kubernetes test server', () => {
  it('cordons the node, skips the DaemonSet pod and evicts the Deployment pods (exit 0)', async (context) => {
    const { expect } = context;
    const { cluster, run } = await clusterFor(context, {
      pods: [web('web-1'), web('web-2'), web('web-3', 'win-2'), agent],
      daemonSets: [daemonSet('kube-system', 'agent')],
    });

    const { code, stdout } = await run('drain');

    expect(code).toBe(0);
    expect(stdout).toContain('node win-1: cordoned');
    expect(stdout).toContain('pod kube-system/agent-1: skip (DaemonSet-managed)');
    expect(stdout).toContain('pod shop/web-1: evict (evictable)');
    expect(stdout).toContain('pod shop/web-2: evicted');
    expect(stdout).toContain('No evictable pod is left on win-1 (2 evicted, 0 deleted)');
    expect(cluster.nodes.get('win-1')?.spec?.unschedulable).toBe(true);
    expect(cluster.nodes.get('win-1')?.metadata?.annotations).toEqual({ [cordonedByAnnotation]: 'manual' });
    expect([...cluster.pods.keys()].sort()).toEqual(['kube-system/agent-1', 'shop/web-3']);
  });

  it('retries a pod its PDB protects until the timeout, then exits 1 naming the pod and the PDB', async (context) => {
    const { expect } = context;
    const { cluster, run } = await clusterFor(context, {
      pods: [db('db-0'), web('web-1')],
      pdbs: [pdb('shop', 'db', { app: 'db' }, noDisruption)],
    });

    // Long enough for a second attempt even on a loaded machine: the first round alone can take a second there.
    const { code, stdout, stderr } = await run('drain', '--timeout', '4');

    expect(code).toBe(1);
    expect(stdout).toContain('pod shop/db-0: refused: The disruption budget db needs 1 healthy pods');
    expect(stderr).toContain('node win-1 not drained (timeout)');
    expect(stderr).toMatch(/Blocked by:\n {2}pod shop\/db-0: The disruption budget db .* \[PDB shop\/db\]/);
    expect(cluster.callsOf('evictPod').filter(([, name]) => name === 'db-0').length).toBeGreaterThan(1);
    expect(cluster.pods.has('shop/db-0')).toBe(true);
    expect(cluster.pods.has('shop/web-1')).toBe(false);
  });

  it('with --force, still exits 1 at the timeout with the PDB-protected pods running', async (context) => {
    const { expect } = context;
    const { cluster, run } = await clusterFor(context, {
      pods: [db('db-0'), db('db-1'), db('db-2')],
      pdbs: [pdb('shop', 'db', { app: 'db' }, noDisruption)],
    });

    const { code, stderr } = await run('drain', '--timeout', '1', '--force');

    expect(code).toBe(1);
    expect(stderr).toContain('node win-1 not drained (timeout)');
    expect(stderr).toContain('or use --override-pdb-after-timeout to delete them at the timeout');
    expect(cluster.callsOf('deletePod')).toEqual([]);
    expect([...cluster.pods.keys()].sort()).toEqual(['shop/db-0', 'shop/db-1', 'shop/db-2']);
  });

  it('with --override-pdb-after-timeout, deletes the pod a PDB still refuses at the timeout and reports it in JSON', async (context) => {
    const { expect } = context;
    const { cluster, run } = await clusterFor(context, {
      pods: [db('db-0')],
      pdbs: [pdb('shop', 'db', { app: 'db' }, noDisruption)],
    });

    const { code, stdout } = await run(
      'drain',
      '--timeout',
      '1',
      '--override-pdb-after-timeout',
      '--grace-period',
      '0',
      '--json',
    );

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      node: 'win-1',
      cordon: 'cordoned',
      outcome: 'drained',
      blockers: [],
      pods: [{ pod: 'shop/db-0', verdict: 'evict', result: 'deleted' }],
    });
    expect(cluster.callsOf('deletePod')).toEqual([['shop', 'db-0', 0]]);
  });

  it('refuses a bare pod without --force: exit 1, the pod named, nothing evicted', async (context) => {
    const { expect } = context;
    const { cluster, run } = await clusterFor(context, {
      pods: [pod('shop', 'bare', 'win-1'), web('web-1')],
    });

    const { code, stdout, stderr } = await run('drain');

    expect(code).toBe(1);
    expect(stdout).toContain('pod shop/bare: blocked (bare pod with no controller');
    expect(stderr).toContain('node win-1 not drained (refused)');
    expect(stderr).toContain('pod shop/bare: bare pod with no controller');
    expect(cluster.callsOf('evictPod')).toEqual([]);
  });

  it('evicts a bare pod with --force, with a warning', async (context) => {
    const { expect } = context;
    const { cluster, run } = await clusterFor(context, { pods: [pod('shop', 'bare', 'win-1')] });

    const { code, stdout } = await run('drain', '--force');

    expect(code).toBe(0);
    expect(stdout).toContain('pod shop/bare: evict (evictable; no controller will recreate it)');
    expect(stdout).toContain('pod shop/bare: evicted');
    expect(cluster.pods.size).toBe(0);
  });

  it('fails at once on pods under two PDBs (500), naming every pod and both PDBs', async (context) => {
    const { expect } = context;
    const pdbs = [
      pdb('shop', 'db-a', { app: 'db' }, noDisruption),
      pdb('shop', 'db-b', { app: 'db' }, noDisruption),
    ];
    const { run } = await clusterFor(context, { pods: [db('db-0'), db('db-1')], pdbs });

    const { code, stdout } = await run('drain', '--json');

    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      outcome: 'pod-failed',
      message: expect.stringContaining('or use --override-pdb-after-timeout to delete them'),
      blockers: [
        { pod: 'shop/db-0', pdbs: ['shop/db-a', 'shop/db-b'] },
        { pod: 'shop/db-1', pdbs: ['shop/db-a', 'shop/db-b'] },
      ],
    });
    expect(report.message).toMatch(/shop\/db-0 .*shop\/db-1/);
  });

  it('with --dry-run prints the verdicts and changes nothing', async (context) => {
    const { expect } = context;
    const { cluster, run } = await clusterFor(context, {
      pods: [web('web-1'), agent],
      daemonSets: [daemonSet('kube-system', 'agent')],
    });

    const { code, stdout } = await run('drain', '--dry-run');

    expect(code).toBe(0);
    expect(stdout).toContain('node win-1: would cordon');
    expect(stdout).toContain('pod shop/web-1: evict (evictable)');
    expect(stdout).toContain(
      'Dry run: 1 of 1 pod would be evicted now (asked the API server with dryRun=All); nothing was changed.',
    );
    expect(cluster.callsOf('patchNode')).toEqual([]);
    expect(cluster.callsOf('evictPod')).toEqual([['shop', 'web-1', undefined, 'dryRun']]);
    expect(cluster.callsOf('deletePod')).toEqual([]);
    expect(cluster.pods.has('shop/web-1')).toBe(true);
  });

  it('with --dry-run shows the pods their PDBs would refuse now', async (context) => {
    const { expect } = context;
    const { cluster, run } = await clusterFor(context, {
      pods: [db('db-0'), web('web-1')],
      pdbs: [pdb('shop', 'db', { app: 'db' }, noDisruption)],
    });

    const { code, stdout } = await run('drain', '--dry-run');

    expect(code).toBe(0);
    expect(stdout).toContain(
      'pod shop/db-0: would be refused now: The disruption budget db needs 1 healthy pods',
    );
    expect(stdout).toContain('Dry run: 1 of 2 pods would be evicted now, 1 refused by their PDBs');
    expect(stdout).toMatch(/The API server would refuse now:\n {2}pod shop\/db-0: .* \[PDB shop\/db\]/);
    expect(cluster.pods.size).toBe(2);
  });

  it('exits 2 naming the node when the cluster has no such node', async (context) => {
    const { expect } = context;
    const { kubeconfig } = await clusterFor(context, {});

    const { code, stderr } = await npmRun('drain', ['win-9', '--kubeconfig', kubeconfig]);

    expect(code).toBe(2);
    expect(stderr).toContain('Node win-9: the cluster has no such node.');
  });

  it('takes the kubeconfig from KUBECONFIG, as kubectl does', async (context) => {
    const { expect } = context;
    const { cluster, kubeconfig } = await clusterFor(context, {});

    const { code, stdout } = await npmRun('cordon', ['win-1'], { KUBECONFIG: kubeconfig });

    expect(code).toBe(0);
    expect(stdout).toBe('node win-1: cordoned\n');
    expect(cluster.nodes.get('win-1')?.spec?.unschedulable).toBe(true);
  });

  it('cordons and uncordons: uncordon also removes the annotation', async (context) => {
    const { expect } = context;
    const { cluster, run } = await clusterFor(context, {});

    const cordoned = await run('cordon');
    const again = await run('cordon', '--json');
    const annotation = cluster.nodes.get('win-1')?.metadata?.annotations?.[cordonedByAnnotation];
    const uncordoned = await run('uncordon');

    expect(cordoned).toMatchObject({ code: 0, stdout: 'node win-1: cordoned\n' });
    expect(JSON.parse(again.stdout)).toEqual({ node: 'win-1', result: 'already-cordoned' });
    expect(annotation).toBe('manual');
    expect(uncordoned).toMatchObject({ code: 0, stdout: 'node win-1: uncordoned\n' });
    expect(cluster.nodes.get('win-1')?.spec?.unschedulable).toBe(false);
    expect(cluster.nodes.get('win-1')?.metadata?.annotations).toEqual({});
  });

  it('with --json, a connection failure is one JSON object on stdout naming the API URL and the system error', async (context) => {
    const { expect } = context;
    const cluster = new FakeCluster({ nodes: [node('win-1')] });
    const server = await startKubernetesTestServer(cluster);
    const kubeconfig = join(await mkdtemp(join(tmpdir(), 'closed-')), 'kubeconfig');
    await copyFile(server.kubeconfigPath, kubeconfig);
    await server.close();

    const { code, stdout, stderr } = await npmRun('drain', ['win-1', '--kubeconfig', kubeconfig, '--json']);

    expect(code).toBe(1);
    expect(stderr).toBe('');
    const { error } = JSON.parse(stdout) as { error: { name: string; message: string } };
    expect(error.message).toContain(`Cannot reach the Kubernetes API at ${server.url}`);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('the Kubernetes test server says in one line that its port is in use', async (context) => {
    const { expect } = context;
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    context.onTestFinished(() => void holder.close());
    const { port } = holder.address() as { port: number };

    const { code, stderr } = await npmRun('k8s-test-server', ['--port', String(port)]);

    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      `--port ${port}: the port is in use; choose another, or leave --port out for a free one.`,
    ]);
  });
});
