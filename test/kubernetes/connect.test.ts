import {
  DescribeClusterCommand,
  type DescribeClusterCommandOutput,
  EKSClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultConnector,
  eksConnector,
  kubeconfigConnector,
} from '../../functions/adapters/kubernetes/connect.ts';
import { eksTokenSource } from '../../functions/adapters/kubernetes/eks-token.ts';
import { type KubernetesTestServer, startKubernetesTestServer } from '../../simulator/k8s-http-server.ts';
import { FakeCluster, fixtures } from './fake-backend.ts';
import { testCertificate } from './tls.ts';

const eks = new EKSClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' },
});
const eksMock = mockClient(eks);
const cluster = new FakeCluster({ nodes: [fixtures.node('node-a')] });
const servers: KubernetesTestServer[] = [];
let tokensSeen: string[];

beforeEach(() => {
  eksMock.reset();
  tokensSeen = [];
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** An HTTPS test server that admits EKS bearer tokens, and DescribeCluster answering with it. */
async function eksCluster(name: string): Promise<DescribeClusterCommandOutput> {
  const server = await startKubernetesTestServer(cluster, {
    tls: testCertificate,
    acceptToken: (token) => {
      tokensSeen.push(token);
      return token.startsWith('k8s-aws-v1.');
    },
  });
  servers.push(server);
  const description: DescribeClusterCommandOutput = {
    $metadata: {},
    cluster: {
      name,
      status: 'ACTIVE',
      endpoint: server.url,
      certificateAuthority: { data: Buffer.from(testCertificate.cert).toString('base64') },
    },
  };
  eksMock.on(DescribeClusterCommand, { name }).resolves(description);
  return description;
}

function presignedUrl(token: string | undefined): URL {
  return new URL(Buffer.from(token?.slice('k8s-aws-v1.'.length) ?? '', 'base64url').toString('utf8'));
}

describe('eksConnector', () => {
  it('reaches the cluster at its DescribeCluster endpoint, trusting its CA, with an EKS bearer token', async () => {
    await eksCluster('prod');

    const port = await eksConnector(eks)('prod');

    expect((await port.listNodes()).map((node) => node.metadata?.name)).toEqual(['node-a']);
    const url = presignedUrl(tokensSeen[0]);
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(
      /^AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/sts\//,
    );
  });

  it('describes a cluster once and keeps its connection', async () => {
    await eksCluster('prod');
    const connect = eksConnector(eks);

    const [first, second] = await Promise.all([connect('prod'), connect('prod')]);

    expect(second).toBe(first);
    expect(eksMock.commandCalls(DescribeClusterCommand)).toHaveLength(1);
  });

  it('renews the token on a long-lived connection', async () => {
    await eksCluster('prod');
    let now = Date.parse('2025-03-11T10:00:00Z');
    const tokens = eksTokenSource({
      region: 'eu-west-1',
      credentials: async () => ({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' }),
      now: () => now,
    });
    const port = await eksConnector(eks, { tokens })('prod');

    await port.getNode('node-a');
    now += 10 * 60_000;
    await port.getNode('node-a');
    now += 5 * 60_000;
    await port.getNode('node-a');

    expect(tokensSeen).toHaveLength(3);
    expect(tokensSeen[1]).toBe(tokensSeen[0]);
    expect(tokensSeen[2]).not.toBe(tokensSeen[0]);
    expect(presignedUrl(tokensSeen[2]).searchParams.get('X-Amz-Date')).toBe('20250311T101500Z');
  });

  it('forgets a failed DescribeCluster so that a retry tries again', async () => {
    const description = await eksCluster('prod');
    eksMock
      .on(DescribeClusterCommand, { name: 'prod' })
      .rejectsOnce(
        new ResourceNotFoundException({ message: 'No cluster found for name: prod.', $metadata: {} }),
      )
      .resolves(description);
    const connect = eksConnector(eks);

    await expect(connect('prod')).rejects.toThrow('No cluster found for name: prod.');
    expect(await (await connect('prod')).getNode('node-a')).toBeDefined();
  });

  it('refuses a cluster without an endpoint yet, naming it and its status', async () => {
    eksMock.on(DescribeClusterCommand).resolves({ cluster: { name: 'new', status: 'CREATING' } });

    await expect(eksConnector(eks)('new')).rejects.toThrow(
      'EKS cluster new has no API endpoint or certificate authority yet (status CREATING)',
    );
  });
});

describe('kubeconfigConnector', () => {
  it('reaches the kubeconfig current context whatever the cluster name', async () => {
    const server = await startKubernetesTestServer(cluster);
    servers.push(server);
    const connect = kubeconfigConnector(server.kubeconfigPath);

    const port = await connect('prod');

    expect(await connect('staging')).toBe(port);
    expect((await port.getNode('node-a'))?.metadata?.name).toBe('node-a');
  });
});

describe('defaultConnector', () => {
  it('uses KUBECONFIG when it is set, without asking EKS', async () => {
    const server = await startKubernetesTestServer(cluster);
    servers.push(server);

    const port = await defaultConnector(eks, { KUBECONFIG: server.kubeconfigPath })('prod');

    expect(await port.getNode('node-a')).toBeDefined();
    expect(eksMock.commandCalls(DescribeClusterCommand)).toHaveLength(0);
  });

  it('asks EKS otherwise', async () => {
    await eksCluster('prod');

    const port = await defaultConnector(eks, {})('prod');

    expect(await port.getNode('node-a')).toBeDefined();
    expect(eksMock.commandCalls(DescribeClusterCommand)).toHaveLength(1);
  });
});
