import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { prePullImages, removePrePulls } from '../../functions/adapters/kubernetes/pre-pull.ts';
import { KubernetesThrottled } from '../../functions/commons/errors.ts';
import {
  imagesMostNeededFirst,
  notPrePull,
  prePullAnnotation,
  prePullLabels,
  prePullNamespace,
  prePullPod,
  prePullPodName,
  prePullsNeeded,
} from '../../functions/domain/pre-pull.ts';
import { FakeCluster } from '../kubernetes/fake-backend.ts';
import { node, pod } from '../support/objects.ts';

const aspnet = 'mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022';
const servercore = 'mcr.microsoft.com/windows/servercore:ltsc2022';
const images = [aspnet, servercore];

describe('which replacements are asked to pull images', () => {
  it('a Ready Windows node that lacks some: only those it lacks', () => {
    expect(prePullsNeeded([node('new-1', { images: [servercore] })], images)).toEqual([
      { node: 'new-1', images: [aspnet] },
    ]);
  });

  it.each([
    ['holds them all', node('n', { images })],
    ['is not Ready yet (status.images may not list the AMI cache)', node('n', { ready: false })],
    ['is a Linux node', node('n', { os: 'linux' })],
    ['was asked already', node('n', { annotations: { [prePullAnnotation]: 'exec-1' } })],
  ])('none for a node that %s', (_, subject) => {
    expect(prePullsNeeded([subject], images)).toEqual([]);
  });

  it('none when there are no images to pull (the option is off, or no pods to move)', () => {
    expect(prePullsNeeded([node('n')], [])).toEqual([]);
  });
});

describe('the pre-pull pod', () => {
  const manifest = prePullPod({ node: 'ip-10-0-1-5.ec2.internal', images }, 'exec-1');

  it('is bound to its node, never restarts, and stops at its deadline', () => {
    expect(manifest.metadata?.name).toBe('pre-pull-ip-10-0-1-5.ec2.internal');
    expect(manifest.metadata?.namespace).toBe(prePullNamespace);
    expect(manifest.spec).toMatchObject({
      nodeName: 'ip-10-0-1-5.ec2.internal',
      restartPolicy: 'Never',
      os: { name: 'windows' },
      automountServiceAccountToken: false,
    });
    expect(manifest.spec?.activeDeadlineSeconds).toBeGreaterThan(0);
    expect(manifest.spec?.tolerations).toEqual([{ operator: 'Exists' }]);
  });

  it('runs each image once, exiting at once', () => {
    expect(manifest.spec?.containers.map((c) => [c.name, c.image, c.command])).toEqual([
      ['image-0', aspnet, ['cmd', '/c', 'exit', '0']],
      ['image-1', servercore, ['cmd', '/c', 'exit', '0']],
    ]);
  });

  it('is left out by the selector of every pod but the pre-pull pods', () => {
    const [key, value] = notPrePull.split('!=');
    expect(manifest.metadata?.labels?.[key ?? '']).toBe(value);
  });

  it('has a valid name for any node name (a DNS subdomain of at most 253 characters)', () => {
    const name = prePullPodName(`${'a'.repeat(240)}.ec2.internal`);
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
  });
});

describe('asking the replacements, and clearing up', () => {
  const fresh = () => [node('new-1', { images: [servercore] }), node('new-2', { images }), node('new-3', {})];

  it('creates one pod per node that lacks images, then marks the node', async () => {
    const nodes = fresh();
    const cluster = new FakeCluster({ nodes });
    expect(await prePullImages(cluster, nodes, images, 'exec-1')).toEqual(['new-1', 'new-3']);
    expect(
      cluster
        .callsOf('createPod')
        .map(([namespace, created]) => [namespace, (created as V1Pod).spec?.nodeName]),
    ).toEqual([
      [prePullNamespace, 'new-1'],
      [prePullNamespace, 'new-3'],
    ]);
    expect(cluster.nodes.get('new-1')?.metadata?.annotations?.[prePullAnnotation]).toBe('exec-1');
    expect(cluster.nodes.get('new-2')?.metadata?.annotations?.[prePullAnnotation]).toBeUndefined();
  });

  it('asks each node once: the next call, on the nodes as they are now, changes nothing', async () => {
    const cluster = new FakeCluster({ nodes: fresh() });
    await prePullImages(cluster, [...cluster.nodes.values()], images, 'exec-1');
    const calls = cluster.calls.length;
    expect(await prePullImages(cluster, [...cluster.nodes.values()], images, 'exec-1')).toEqual([]);
    expect(cluster.calls.length).toBe(calls);
  });

  it('a retry after the pod was created but before the mark: the pod is not doubled', async () => {
    const nodes = fresh();
    const cluster = new FakeCluster({ nodes });
    await cluster.createPod(prePullNamespace, prePullPod({ node: 'new-1', images: [aspnet] }, 'exec-1'));
    await prePullImages(cluster, nodes, images, 'exec-1');
    expect([...cluster.pods.keys()].filter((key) => key.includes('new-1'))).toHaveLength(1);
  });

  it('a pod the API refuses (no namespace, no permission) is logged; the node is marked, the rollout goes on', async () => {
    const nodes = fresh();
    const cluster = new FakeCluster({ nodes });
    cluster.createPod = async () => {
      throw new Error('Kubernetes API refused to create pod: 403 Forbidden');
    };
    expect(await prePullImages(cluster, nodes, images, 'exec-1')).toEqual(['new-1', 'new-3']);
    expect(cluster.nodes.get('new-3')?.metadata?.annotations?.[prePullAnnotation]).toBe('exec-1');
  });

  it('throttling is not swallowed: the step is retried', async () => {
    const nodes = fresh();
    const cluster = new FakeCluster({ nodes });
    cluster.throttle('createPod', 1);
    await expect(prePullImages(cluster, nodes, images, 'exec-1')).rejects.toBeInstanceOf(KubernetesThrottled);
    expect(cluster.nodes.get('new-1')?.metadata?.annotations?.[prePullAnnotation]).toBeUndefined();
  });

  it('deletes the pods of the given nodes only, and takes the mark off', async () => {
    const nodes = fresh();
    const cluster = new FakeCluster({
      nodes,
      pods: [
        pod('pre-pull-elsewhere', {
          namespace: prePullNamespace,
          node: 'other-group-node',
          labels: { ...prePullLabels },
        }),
      ],
    });
    await prePullImages(cluster, nodes, images, 'exec-1');
    const marked = [...cluster.nodes.values()];
    expect(await removePrePulls(cluster, marked)).toEqual(['new-1', 'new-3']);
    expect([...cluster.pods.keys()]).toEqual([`${prePullNamespace}/pre-pull-elsewhere`]);
    expect(cluster.callsOf('deletePod')).toEqual([
      [prePullNamespace, 'pre-pull-new-1', 0],
      [prePullNamespace, 'pre-pull-new-3', 0],
    ]);
    expect([...cluster.nodes.values()].map((n) => n.metadata?.annotations?.[prePullAnnotation])).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('no call at all when no node was asked (images cached in the AMI)', async () => {
    const cluster = new FakeCluster({ nodes: [node('new-1', { images })] });
    expect(await removePrePulls(cluster, [...cluster.nodes.values()])).toEqual([]);
    expect(cluster.calls).toEqual([]);
  });
});

describe('the order of the images to pull', () => {
  const running = (name: string, images: string[]) => ({
    ...pod(name),
    spec: { containers: images.map((image, index) => ({ name: `c${index}`, image })) },
  });

  it('the image the most pods run first (the kubelet pulls one at a time), each once, then those carried', () => {
    const pods = [
      running('api-1', ['api:1']),
      running('web-1', [aspnet, 'sidecar:1']),
      running('web-2', [aspnet, aspnet]),
      running('web-3', [aspnet]),
      running('api-2', ['api:1']),
    ];
    expect(imagesMostNeededFirst(pods, ['old:1', 'api:1'])).toEqual([aspnet, 'api:1', 'sidecar:1', 'old:1']);
  });
});
