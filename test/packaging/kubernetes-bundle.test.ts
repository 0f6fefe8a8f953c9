import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as connectSocket, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverlessEsbuild } from '../../bench/bundles.ts';
import { type KubernetesTestServer, startKubernetesTestServer } from '../../simulator/k8s-http-server.ts';
import { FakeCluster, fixtures } from '../kubernetes/fake-backend.ts';
import { testCertificate } from '../kubernetes/tls.ts';

const run = promisify(execFile);
const connectModule = new URL('../../functions/adapters/kubernetes/connect.ts', import.meta.url).pathname;

/**
 * The Kubernetes calls of a drain, made by the adapter as the functions ship it: bundled with
 * serverless.yml's esbuild plugins (which, among others, give @kubernetes/client-node a slimmer undici),
 * in a Node.js process of its own, against the test API server over TLS.
 */
const drainCalls = `
import { kubeconfigConnector } from ${JSON.stringify(connectModule)};
const port = await kubeconfigConnector(process.argv[2])('prod');
const nodes = (await port.listNodes()).map((node) => node.metadata.name);
await port.patchNode('node-a', { unschedulable: true });
const cordoned = (await port.getNode('node-a')).spec.unschedulable;
const pods = (await port.listPodsOnNode('node-a')).map((pod) => pod.metadata.name);
const eviction = await port.evictPod('shop', 'web-1', 30);
const gone = (await port.getPod('shop', 'web-1')) === undefined;
console.log(JSON.stringify({ nodes, cordoned, pods, eviction, gone }));
`;

let workDir: string;
let bundle: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'kubernetes-bundle-'));
  bundle = join(workDir, 'drain-calls.mjs');
  await build({
    ...serverlessEsbuild,
    stdin: { contents: drainCalls, resolveDir: workDir, sourcefile: 'drain-calls.ts', loader: 'ts' },
    outfile: bundle,
  });
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function cluster() {
  return new FakeCluster({
    nodes: [fixtures.node('node-a'), fixtures.node('node-b')],
    pods: [fixtures.pod('shop', 'web-1', 'node-a', { ownerKind: 'ReplicaSet' })],
  });
}

async function drainWith(kubeconfig: string) {
  const path = join(workDir, 'kubeconfig');
  await writeFile(path, kubeconfig);
  const { stdout } = await run(process.execPath, [bundle, path], { env: { PATH: process.env.PATH } }).catch(
    (error: { stderr: string }) => {
      // The errors and their causes, without the stack frames and the lines of minified bundle it quotes.
      const said = error.stderr.split('\n').filter((line) => /^\s*(\[cause\]: )?\w*Error\b/.test(line));
      throw new Error(said.map((line) => line.slice(0, 300)).join('\n'));
    },
  );
  return JSON.parse(stdout);
}

const drained = {
  nodes: ['node-a', 'node-b'],
  cordoned: true,
  pods: ['web-1'],
  eviction: { kind: 'evicted' },
  gone: true,
};

/** An HTTP proxy that only tunnels (CONNECT), as corporate egress proxies do; it counts its tunnels. */
async function connectProxy(): Promise<{ url: string; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const server: Server = createServer((client) => {
    client.once('data', (head) => {
      const [method, target] = head.toString('latin1').split(' ');
      const [host, port] = (target ?? '').split(':');
      if (method !== 'CONNECT' || !host || !port)
        return void client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
      tunnels.push(target ?? '');
      const upstream = connectSocket(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('the bundled Kubernetes adapter', () => {
  let server: KubernetesTestServer;
  let kubeconfig: { clusters: { cluster: Record<string, unknown> }[] };

  beforeAll(async () => {
    server = await startKubernetesTestServer(cluster(), { tls: testCertificate });
    kubeconfig = JSON.parse(await readFile(server.kubeconfigPath, 'utf8'));
  });

  afterAll(async () => {
    await server.close();
  });

  it('lists, cordons and evicts over TLS, trusting the cluster CA', async () => {
    expect(await drainWith(JSON.stringify(kubeconfig))).toEqual(drained);
  });

  it('goes through the kubeconfig proxy-url with an HTTP CONNECT tunnel', async () => {
    const fresh = await startKubernetesTestServer(cluster(), { tls: testCertificate });
    const proxy = await connectProxy();
    try {
      const config = JSON.parse(await readFile(fresh.kubeconfigPath, 'utf8'));
      config.clusters[0].cluster['proxy-url'] = proxy.url;
      expect(await drainWith(JSON.stringify(config))).toEqual(drained);
      expect(proxy.tunnels.length).toBeGreaterThan(0);
      expect(new Set(proxy.tunnels)).toEqual(new Set([new URL(fresh.url).host]));
    } finally {
      await proxy.close();
      await fresh.close();
    }
  });
});
