import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { DrainState } from '../../functions/commons/state.ts';
import { makeHandler } from '../../functions/drain.ts';
import { lambdaContext as contextOf } from '../../simulator/lambda-context.ts';

const lambdaContext = contextOf('test');

import { pod } from '../support/objects.ts';
import { FakeCluster, fixtures } from './fake-backend.ts';

const input = {
  clusterName: 'prod',
  nodeGroupName: 'win-a',
  amiId: 'ami-0ccc0000000000003',
  drainTimeoutSeconds: 900,
};
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
) {
  const handler = makeHandler({ kubernetes: async () => cluster, now: () => now });
  return (drain: DrainState | null) =>
    handler({ input: { ...input, ...options }, batch, drain }, lambdaContext);
}

describe('drain handler rounds', () => {
  it('evicts controller pods, skips DaemonSet pods, and is done once the evicted pods are Ready elsewhere', async () => {
    const agent = pod('agent-1', { node: 'node-1', owner: { kind: 'DaemonSet', name: 'agent' } });
    const cluster = new FakeCluster({
      pods: [web('web-1'), web('web-2', 'node-2'), agent],
      daemonSets: [fixtures.daemonSet('shop', 'agent')],
    });
    const drain = drainOf(cluster);

    const first = await drain(null);
    const second = await drain(first);
    cluster.pods.set('shop/web-3', web('web-3', 'node-2'));
    const third = await drain(second);

    // Two minutes: the time a Windows pod takes to start, until the cluster shows how long web's take.
    expect(first).toEqual({
      done: false,
      seconds: 120,
      deadline: start + 900_000,
      owners: [{ namespace: 'shop', uid: 'uid-web', name: 'ReplicaSet/web', readyBefore: 2 }],
      evicted: 1,
      forced: [],
      blockers: [],
    });
    expect(second).toMatchObject({
      done: false,
      seconds: 5,
      evicted: 1,
      blockers: ['waiting for shop/ReplicaSet/web (1/2 Ready)'],
    });
    expect(third).toMatchObject({ done: true, seconds: 1, evicted: 1, blockers: [] });
    expect(cluster.callsOf('evictPod')).toEqual([['shop', 'web-1', undefined]]);
  });

  it('retries a pod its PDB protects, names the PDB, and fails with DrainTimeout at the deadline', async () => {
    const cluster = new FakeCluster({ pods: [db('db-0')], pdbs: [blockingBudget('db')] });

    const first = await drainOf(cluster)(null);

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

  it('with force, still fails at the deadline and keeps the pods their PDB protects', async () => {
    const cluster = new FakeCluster({ pods: [db('db-0')], pdbs: [blockingBudget('db')] });
    const first = await drainOf(cluster, start, { force: true })(null);

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
    const first = await drainOf(cluster, start, override)(null);
    expect(cluster.callsOf('deletePod')).toEqual([]);

    const second = await drainOf(cluster, pastDeadline, override)(first);

    // 900 s into the drain: looks again after a tenth of that.
    expect(second).toMatchObject({ done: false, seconds: 90, forced: ['shop/db-0'] });
    expect(cluster.callsOf('deletePod')).toEqual([['shop', 'db-0', undefined]]);
  });

  it('fails pods under two PDBs at once with DrainBlocked naming each, or with the override keeps them for the deadline', async () => {
    const pdbs = [blockingBudget('db-a'), blockingBudget('db-b')];
    const cluster = new FakeCluster({ pods: [db('db-0'), db('db-1')], pdbs });

    await expect(drainOf(cluster)(null)).rejects.toMatchObject({
      name: 'DrainBlocked',
      message: expect.stringMatching(
        /several PDBs: shop\/db-0 \(This pod has more than one.*\); shop\/db-1 \(This pod has more than one.*use overridePdbAfterTimeout/,
      ),
    });
    await expect(drainOf(cluster, start, { force: true })(null)).rejects.toMatchObject({
      name: 'DrainBlocked',
    });
    const kept = await drainOf(cluster, start, { overridePdbAfterTimeout: true })(null);
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
    const leaving = {
      ...evicted,
      metadata: { ...evicted.metadata, deletionTimestamp: new Date(start + 20_000) },
    };
    const cluster = new FakeCluster({ pods: [leaving] });

    expect(await drainOf(cluster)(null)).toMatchObject({ done: false, seconds: 20, evicted: 0 });
    expect(cluster.callsOf('evictPod')).toEqual([]);
  });
});
