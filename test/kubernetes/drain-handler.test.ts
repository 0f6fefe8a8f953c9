import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import type { V1Pod } from '@kubernetes/client-node';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ListPodsOptions } from '../../functions/adapters/kubernetes/port.ts';
import type { DrainState } from '../../functions/commons/state.ts';
import { followedPodsLimit } from '../../functions/domain/drain.ts';
import { notPrePull } from '../../functions/domain/pre-pull.ts';
import { makeHandler } from '../../functions/drain.ts';
import { lambdaContext as contextOf } from '../../simulator/lambda-context.ts';

const lambdaContext = contextOf('test');

import { node, pod } from '../support/objects.ts';
import { FakeCluster, fixtures } from './fake-backend.ts';

const input = {
  clusterName: 'prod',
  nodeGroupName: 'win-a',
  amiId: 'ami-0ccc0000000000003',
  drainTimeoutSeconds: 900,
};
const execution = {
  id: 'arn:aws:states:us-east-1:111122223333:execution:rollout:run-1',
  name: 'run-1',
  startTime: '2026-11-12T19:05:00.000Z',
};
const group = {
  asgName: 'win-a',
  launchTemplateId: 'lt-0123',
  previousVersion: '3',
  targetVersion: '4',
  targetAmiId: input.amiId,
  windowsBuild: '10.0.20348',
  original: { minSize: 1, maxSize: 4, desired: 2 },
  imagesToMove: [],
};
const autoScaling = new AutoScalingClient({});
const autoScalingMock = mockClient(AutoScalingClient);
/** The group holds i-1 (the batch) and i-2, a replacement launched by this execution. */
beforeEach(() => {
  autoScalingMock.reset();
  autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'win-a',
        MinSize: 1,
        MaxSize: 4,
        DesiredCapacity: 2,
        DefaultCooldown: 300,
        AvailabilityZones: ['us-east-1a'],
        HealthCheckType: 'EC2',
        CreatedTime: new Date(0),
        Instances: ['i-1', 'i-2'].map((InstanceId) => ({
          InstanceId,
          LifecycleState: 'InService',
          AvailabilityZone: 'us-east-1a',
          HealthStatus: 'Healthy',
          ProtectedFromScaleIn: false,
        })),
      },
    ],
  });
});
const batch = { index: 0, nodes: [{ instanceId: 'i-1', nodeName: 'node-1' }], readyTarget: 1 };
const start = 1_000_000;
const pastDeadline = start + 900_000;

const web = (name: string, node = 'node-1') =>
  pod(name, { node, owner: { kind: 'ReplicaSet', name: 'web' }, labels: { app: 'web' } });
const db = (name: string) =>
  pod(name, { owner: { kind: 'StatefulSet', name: 'db' }, labels: { app: 'db' }, node: 'node-1' });
const blockingBudget = (name: string) =>
  fixtures.pdb('shop', name, { app: 'db' }, { disruptionsAllowed: 0, desiredHealthy: 2, currentHealthy: 2 });

function drainOf(
  cluster: FakeCluster,
  now = start,
  options: Partial<typeof input & { force: boolean; overridePdbAfterTimeout: boolean }> = {},
  drained = batch,
) {
  if (!cluster.nodes.has('node-1')) cluster.nodes.set('node-1', node('node-1', { instanceId: 'i-1' }));
  const handler = makeHandler({ kubernetes: async () => cluster, autoScaling, now: () => now });
  return (drain: DrainState | null) =>
    handler({ input: { ...input, ...options }, group, batch: drained, execution, drain }, lambdaContext);
}

/** The first call takes the baseline; each later call is one round. */
async function baselineThenRound(cluster: FakeCluster, now = start, options = {}) {
  const baseline = await drainOf(cluster, now, options)(null);
  return { baseline, first: await drainOf(cluster, now, options)(baseline) };
}

const terminatingSince = (template: V1Pod, dueAt: number): V1Pod => ({
  ...template,
  metadata: { ...template.metadata, deletionTimestamp: new Date(dueAt) },
});

describe('drain handler rounds', () => {
  it('takes the Ready-before baseline first, evicting nothing, so no retry can take it again', async () => {
    const cluster = new FakeCluster({ pods: [web('web-1'), web('web-2', 'node-2')] });

    const baseline = await drainOf(cluster)(null);

    expect(baseline).toEqual({
      done: false,
      seconds: 1,
      deadline: start + 900_000,
      nodes: ['node-1'],
      owners: [
        {
          namespace: 'shop',
          uid: 'uid-web',
          kind: 'ReplicaSet',
          controller: 'web',
          name: 'ReplicaSet/web',
          readyBefore: 2,
        },
      ],
      evicted: 0,
      forced: [],
      forcedOmitted: 0,
      leftTerminating: [],
      blockers: [],
      blockersOmitted: 0,
      followed: ['shop/web-1'],
    });
    expect(cluster.callsOf('evictPod')).toEqual([]);
    // A round throttled at its eviction is retried with the same state: the baseline holds.
    cluster.throttle('evictPod', 1);
    await expect(drainOf(cluster)(baseline)).rejects.toMatchObject({ name: 'KubernetesThrottled' });
    const retried = await drainOf(cluster)(baseline);
    expect(retried.owners).toMatchObject(baseline.owners);
  });

  it('cordons and drains a node that joined the batch since Cordon', async () => {
    const cluster = new FakeCluster({ pods: [web('web-1', 'late-1')] });
    // Plan saw node-1 for i-1; that node is gone and i-1 registered as late-1.
    cluster.nodes.set('node-1', node('node-1', { instanceId: 'i-9' }));
    cluster.nodes.set('late-1', node('late-1', { instanceId: 'i-1' }));

    const baseline = await drainOf(cluster)(null);

    expect(baseline.nodes).toEqual(['late-1']);
    expect(cluster.callsOf('patchNode')).toEqual([
      ['late-1', { unschedulable: true, annotations: { 'eks-windows-patcher/cordoned-by': 'run-1' } }],
    ]);
    await drainOf(cluster)(baseline);
    expect(cluster.callsOf('evictPod')).toEqual([['shop', 'web-1', undefined]]);
  });

  it('follows the baseline’s pods by name, and lists the nodes once more before it ends', async () => {
    const agent = pod('agent-1', { node: 'node-1', owner: { kind: 'DaemonSet', name: 'agent' } });
    const cluster = new FakeCluster({
      pods: [web('web-1'), web('web-2'), web('web-3', 'node-2'), agent],
      daemonSets: [fixtures.daemonSet('shop', 'agent')],
    });
    const baseline = await drainOf(cluster)(null);
    expect(cluster.callsOf('listPodsOnNode')).toEqual([['node-1']]);

    const first = await drainOf(cluster)(baseline);
    // The eviction round asks for the two pods by name: the node is not listed again.
    expect(cluster.callsOf('listPodsOnNode')).toEqual([['node-1']]);
    expect(cluster.callsOf('getPod')).toEqual([
      ['shop', 'web-1'],
      ['shop', 'web-2'],
    ]);
    expect(cluster.callsOf('evictPod')).toEqual([
      ['shop', 'web-1', undefined],
      ['shop', 'web-2', undefined],
    ]);
    // Both gone, their replacements Ready elsewhere; meanwhile a pod was bound to the node by name.
    cluster.pods.set('shop/web-4', web('web-4', 'node-2'));
    cluster.pods.set('shop/web-5', web('web-5', 'node-2'));
    cluster.pods.set('shop/late-1', web('late-1'));

    const second = await drainOf(cluster)(first);

    expect(cluster.callsOf('listPodsOnNode')).toEqual([['node-1'], ['node-1']]);
    expect(cluster.callsOf('evictPod')).toContainEqual(['shop', 'late-1', undefined]);
    expect(second).toMatchObject({ done: false, followed: ['shop/late-1'], evicted: 3 });
    cluster.pods.set('shop/late-2', web('late-2', 'node-2'));
    const third = await drainOf(cluster)(second);
    expect(third).toMatchObject({ done: true, followed: [] });
    expect(cluster.callsOf('listPodsOnNode')).toEqual([['node-1'], ['node-1'], ['node-1']]);
  });

  it('lists the nodes each round when the batch holds more pods than the state may carry', async () => {
    const many = Array.from({ length: followedPodsLimit + 1 }, (_, i) => web(`web-${i}`));
    // Its budget refuses every eviction: the pods stay, more than the state carries.
    const budget = fixtures.pdb(
      'shop',
      'web',
      { app: 'web' },
      { disruptionsAllowed: 0, desiredHealthy: 501, currentHealthy: 501 },
    );
    const cluster = new FakeCluster({ pods: many, pdbs: [budget] });

    const { baseline, first } = await baselineThenRound(cluster);

    expect(baseline.followed).toBeNull();
    expect(cluster.callsOf('listPodsOnNode')).toEqual([['node-1'], ['node-1']]);
    expect(cluster.callsOf('getPod')).toEqual([]);
    expect(first.followed).toBeNull();
  });

  it('waits for the evicted pods’ controllers without listing the nodes while they are not Ready', async () => {
    const cluster = new FakeCluster({ pods: [web('web-1'), web('web-2', 'node-2')] });
    const { first } = await baselineThenRound(cluster);
    cluster.pods.set('shop/web-3', { ...web('web-3', 'node-2'), status: { phase: 'Pending' } });

    expect(await drainOf(cluster)(first)).toMatchObject({ done: false, followed: [] });
    expect(cluster.callsOf('listPodsOnNode')).toEqual([['node-1']]);
  });

  it('lists a node that joined the batch during the drain, and keeps following the others’ pods', async () => {
    const cluster = new FakeCluster({
      pods: [db('db-0'), web('web-1', 'late-3')],
      pdbs: [blockingBudget('db')],
    });
    // i-3, of the batch, had no node yet when the drain began.
    const twoNodes = { ...batch, nodes: [...batch.nodes, { instanceId: 'i-3', nodeName: 'late-3' }] };
    const drain = drainOf(cluster, start, {}, twoNodes);
    const first = await drain(await drain(null));
    expect(first).toMatchObject({ nodes: ['node-1'], followed: ['shop/db-0'] });
    // It joins while db-0, refused, still waits on node-1.
    cluster.nodes.set('late-3', node('late-3', { instanceId: 'i-3' }));

    const second = await drain(first);

    expect(cluster.callsOf('listPodsOnNode')).toEqual([['node-1'], ['late-3']]);
    expect(cluster.callsOf('evictPod')).toContainEqual(['shop', 'web-1', undefined]);
    expect(second).toMatchObject({ nodes: ['node-1', 'late-3'], followed: ['shop/db-0', 'shop/web-1'] });
  });

  it('learns start times on a new node only when it holds the images of the pods sought', async () => {
    const newNode = (images: string[]) => {
      const joined = node('new-1', { instanceId: 'i-2', images });
      return {
        ...joined,
        metadata: {
          ...joined.metadata,
          creationTimestamp: new Date(Date.parse(execution.startTime) + 60_000),
        },
      };
    };
    const listedNodes = async (images: string[]) => {
      const cluster = new FakeCluster({ pods: [web('web-1')] });
      cluster.nodes.set('new-1', newNode(images));
      await drainOf(cluster)(null);
      // The drained node's pods, then the new node's but its pre-pull pod.
      const newNodes = cluster.callsOf('listPods').map(([, options]) => {
        const { fieldSelector, labelSelector } = options as ListPodsOptions;
        expect(labelSelector).toBe(notPrePull);
        return fieldSelector?.replace('spec.nodeName=', '');
      });
      return [...cluster.callsOf('listPodsOnNode').map(([name]) => name), ...newNodes];
    };

    // No web pod can run where its image is not: the node is not listed.
    expect(await listedNodes([])).toEqual(['node-1']);
    expect(await listedNodes(['mcr.microsoft.com/windows/servercore:ltsc2022'])).toEqual(['node-1', 'new-1']);
    // A node reporting the kubelet's most images may have left some out: listed.
    const many = Array.from({ length: 50 }, (_, i) => `registry.example/image-${i}:1`);
    expect(await listedNodes(many)).toEqual(['node-1', 'new-1']);
  });

  it('keeps the cluster-autoscaler from removing the group’s nodes that joined during this execution', async () => {
    const cluster = new FakeCluster({ pods: [web('web-1')] });
    const replacement = node('new-1', { instanceId: 'i-2' });
    cluster.nodes.set('new-1', {
      ...replacement,
      metadata: {
        ...replacement.metadata,
        creationTimestamp: new Date(Date.parse(execution.startTime) + 60_000),
      },
    });

    await drainOf(cluster)(null);

    expect(cluster.callsOf('patchNode')).toContainEqual([
      'new-1',
      {
        annotations: {
          'cluster-autoscaler.kubernetes.io/scale-down-disabled': 'true',
          'eks-windows-patcher/scale-down-disabled-by': 'run-1',
        },
      },
    ]);
    const protectedNodes = cluster
      .callsOf('patchNode')
      .filter(([, patch]) => JSON.stringify(patch).includes('scale-down-disabled'))
      .map(([name]) => name);
    expect(protectedNodes).toEqual(['new-1']);
  });

  it('evicts controller pods, skips DaemonSet pods, and is done once the evicted pods are Ready elsewhere', async () => {
    const agent = pod('agent-1', { node: 'node-1', owner: { kind: 'DaemonSet', name: 'agent' } });
    const cluster = new FakeCluster({
      pods: [web('web-1'), web('web-2', 'node-2'), agent],
      daemonSets: [fixtures.daemonSet('shop', 'agent')],
    });
    const drain = drainOf(cluster);

    const { first } = await baselineThenRound(cluster);
    // The ReplicaSet replaces the evicted pod at once; it starts on node-2.
    const starting = web('web-3', 'node-2');
    cluster.pods.set('shop/web-3', { ...starting, status: { phase: 'Pending' } });
    const second = await drain(first);
    cluster.pods.set('shop/web-3', starting);
    const third = await drain(second);

    // No start time is assumed: until the cluster shows how long web's pods take, the drain polls.
    expect(first).toMatchObject({ done: false, seconds: 5, evicted: 1, forced: [], blockers: [] });
    expect(second).toMatchObject({
      done: false,
      seconds: 5,
      evicted: 1,
      blockers: ['waiting for shop/ReplicaSet/web (1/2 Ready)'],
    });
    expect(third).toMatchObject({ done: true, seconds: 1, evicted: 1, blockers: [] });
    expect(cluster.callsOf('evictPod')).toEqual([['shop', 'web-1', undefined]]);
  });

  it('follows a scale-down during the drain: the controller keeps fewer pods, so fewer Ready are wanted', async () => {
    const cluster = new FakeCluster({ pods: [web('web-1'), web('web-2', 'node-2'), web('web-3', 'node-2')] });
    const { first } = await baselineThenRound(cluster);
    // An HPA scales web from 3 to 2 while web-1's replacement would start: the ReplicaSet deletes none
    // to make room, it simply does not recreate web-1.
    expect(first.owners[0]?.readyBefore).toBe(3);

    expect(await drainOf(cluster)(first)).toMatchObject({ done: true, blockers: [] });
  });

  it('names the workload whose pods are not Ready elsewhere at the deadline', async () => {
    const rsPod = (name: string, node: string) =>
      pod(name, {
        node,
        owner: { kind: 'ReplicaSet', name: 'web-5d8f7c' },
        labels: { app: 'web', 'pod-template-hash': '5d8f7c' },
      });
    const cluster = new FakeCluster({ pods: [rsPod('web-1', 'node-1'), rsPod('web-2', 'node-2')] });
    const { first } = await baselineThenRound(cluster);
    cluster.pods.set('shop/web-3', { ...rsPod('web-3', 'node-2'), status: { phase: 'Pending' } });

    // At the deadline the replacement is on its way: one more polling interval (90 s) for it.
    expect(await drainOf(cluster, pastDeadline)(first)).toMatchObject({ done: false });
    await expect(drainOf(cluster, pastDeadline + 90_000)(first)).rejects.toMatchObject({
      name: 'DrainTimeout',
      message: expect.stringContaining('not Ready elsewhere within 900 s: shop/Deployment/web (1/2 Ready)'),
    });
  });

  it('retries a pod its PDB protects, names the PDB, and fails with DrainTimeout at the deadline', async () => {
    const cluster = new FakeCluster({ pods: [db('db-0')], pdbs: [blockingBudget('db')] });

    const { first } = await baselineThenRound(cluster);

    expect(first).toMatchObject({
      done: false,
      seconds: 5,
      evicted: 0,
      blockers: [
        'shop/db-0 refused by PDB db: The disruption budget db needs 2 healthy pods and has 2 currently',
      ],
    });
    await expect(drainOf(cluster, pastDeadline)(first)).rejects.toMatchObject({
      name: 'DrainTimeout',
      message: expect.stringContaining('did not finish within 900 s: shop/db-0 refused by PDB db'),
    });
  });

  it('never waits past the deadline: the last wait ends at it', async () => {
    const cluster = new FakeCluster({ pods: [db('db-0')], pdbs: [blockingBudget('db')] });
    const { baseline } = await baselineThenRound(cluster);

    const late = await drainOf(cluster, pastDeadline - 3_000)(baseline);

    expect(late).toMatchObject({ done: false, seconds: 3 });
  });

  it('counts a pod stuck Terminating against the deadline and names it in DrainTimeout', async () => {
    const stuck = terminatingSince(web('web-1'), start + 30_000);
    const cluster = new FakeCluster({ pods: [stuck, web('web-2', 'node-2'), web('web-3', 'node-2')] });
    const { first } = await baselineThenRound(cluster);
    const later = await drainOf(cluster, start + 600_000)(first);

    expect(later).toMatchObject({
      done: false,
      blockers: [expect.stringContaining('shop/web-1 still Terminating 570 s after its grace period ended')],
    });
    await expect(drainOf(cluster, pastDeadline)(later)).rejects.toMatchObject({
      name: 'DrainTimeout',
      message: expect.stringContaining(
        'did not finish within 900 s: shop/web-1 still Terminating 870 s after its grace period ended',
      ),
    });
    expect(cluster.callsOf('evictPod')).toEqual([]);
  });

  it('with force, stops waiting at the deadline for a pod whose deletion never completes, and lists it', async () => {
    const stuck = terminatingSince(web('web-1'), start + 30_000);
    const cluster = new FakeCluster({ pods: [stuck, web('web-2', 'node-2')] });
    const { first } = await baselineThenRound(cluster, start, { force: true });

    const atDeadline = await drainOf(cluster, pastDeadline, { force: true })(first);

    expect(atDeadline).toMatchObject({ done: true, leftTerminating: ['shop/web-1'], forced: [] });
    expect(cluster.callsOf('deletePod')).toEqual([]);
  });

  it('with force, still fails at the deadline and keeps the pods their PDB protects', async () => {
    const cluster = new FakeCluster({ pods: [db('db-0')], pdbs: [blockingBudget('db')] });
    const { first } = await baselineThenRound(cluster, start, { force: true });

    await expect(drainOf(cluster, pastDeadline, { force: true })(first)).rejects.toMatchObject({
      name: 'DrainTimeout',
      message: expect.stringContaining(
        'or start again with overridePdbAfterTimeout to delete the pods the PDBs still refuse at the deadline (force does not override PDBs)',
      ),
    });
    expect(cluster.callsOf('deletePod')).toEqual([]);
    expect(cluster.pods.has('shop/db-0')).toBe(true);
  });

  it('with overridePdbAfterTimeout, deletes the pods still refused at the deadline and reports them', async () => {
    const cluster = new FakeCluster({ pods: [db('db-0')], pdbs: [blockingBudget('db')] });
    const override = { overridePdbAfterTimeout: true };
    const { first } = await baselineThenRound(cluster, start, override);
    expect(cluster.callsOf('deletePod')).toEqual([]);

    const second = await drainOf(cluster, pastDeadline, override)(first);

    // Past the deadline: looks again when the deleted pod's grace period ends, then at the overdue pace.
    expect(second).toMatchObject({ done: false, seconds: 30, forced: ['shop/db-0'] });
    expect(cluster.callsOf('deletePod')).toEqual([['shop', 'db-0', undefined]]);
  });

  it('fails pods under two PDBs at once with DrainBlocked naming each, or with the override keeps them for the deadline', async () => {
    const pdbs = [blockingBudget('db-a'), blockingBudget('db-b')];
    const cluster = new FakeCluster({ pods: [db('db-0'), db('db-1')], pdbs });

    const baseline = await drainOf(cluster)(null);
    await expect(drainOf(cluster)(baseline)).rejects.toMatchObject({
      name: 'DrainBlocked',
      message: expect.stringMatching(
        /several PDBs: shop\/db-0 \(This pod has more than one.*\); shop\/db-1 \(This pod has more than one.*use overridePdbAfterTimeout/,
      ),
    });
    const baselineOnly = await drainOf(cluster, start, { force: true })(null);
    await expect(drainOf(cluster, start, { force: true })(baselineOnly)).rejects.toMatchObject({
      name: 'DrainBlocked',
    });
    const { first: kept } = await baselineThenRound(cluster, start, { overridePdbAfterTimeout: true });
    expect(kept).toMatchObject({ done: false, seconds: 5, forced: [] });
    expect(kept.blockers).toHaveLength(2);
    expect(cluster.callsOf('deletePod')).toEqual([]);
  });

  it('refuses a bare pod before evicting anything', async () => {
    const cluster = new FakeCluster({ pods: [web('web-1'), pod('bare', { node: 'node-1' })] });

    await expect(drainOf(cluster)(null)).rejects.toMatchObject({
      name: 'DrainBlocked',
      message: expect.stringContaining(
        'Pods on node-1 cannot be evicted: shop/bare bare pod with no controller',
      ),
    });
    expect(cluster.callsOf('evictPod')).toEqual([]);
  });

  it('does not evict a terminating pod again and waits for its grace period', async () => {
    const evicted: V1Pod = pod('web-1', {
      node: 'node-1',
      owner: { kind: 'ReplicaSet', name: 'web' },
      terminating: true,
      grace: 20,
    });
    const cluster = new FakeCluster({ pods: [terminatingSince(evicted, start + 20_000)] });

    expect((await baselineThenRound(cluster)).first).toMatchObject({ done: false, seconds: 20, evicted: 0 });
    expect(cluster.callsOf('evictPod')).toEqual([]);
  });
});
