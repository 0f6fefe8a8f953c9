import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { type Clock, type DrainSettings, drainNode } from '../../cli/drain/run.ts';
import type { EvictionOutcome } from '../../functions/adapters/kubernetes/port.ts';
import { FakeCluster, fixtures } from './fake-backend.ts';

const { node, pod, pdb } = fixtures;
const settings: DrainSettings = {
  node: 'win-1',
  timeoutSeconds: 60,
  force: false,
  overridePdbAfterTimeout: false,
  deleteEmptyDirData: false,
  gracePeriodSeconds: undefined,
  dryRun: false,
};

/** Evicted pods stay, terminating, until the test lets them go: as on a real kubelet. */
class GracefulCluster extends FakeCluster {
  override async evictPod(namespace: string, name: string, grace?: number): Promise<EvictionOutcome> {
    const pod = this.pods.get(`${namespace}/${name}`);
    const outcome = await super.evictPod(namespace, name, grace);
    if (outcome.kind === 'evicted' && pod) {
      this.pods.set(`${namespace}/${name}`, {
        ...pod,
        metadata: { ...pod.metadata, deletionTimestamp: new Date() },
      });
    }
    return outcome;
  }
}

/** A virtual clock; `at` runs a change to the cluster once the clock has passed that second. */
function virtualClock(at: Record<number, () => void> = {}): Clock & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
      for (const [second, change] of Object.entries(at)) {
        if (now >= Number(second) * 1000) {
          change();
          delete at[Number(second)];
        }
      }
    },
  };
}

const web = (name: string, nodeName = 'win-1', uid = `uid-shop-${name}`): V1Pod => {
  const base = pod('shop', name, nodeName, {
    ownerKind: 'StatefulSet',
    ownerName: 'web',
    labels: { app: 'web' },
  });
  return { ...base, metadata: { ...base.metadata, uid } };
};

describe('the drain loop of npm run drain', () => {
  it('waits, looking the pod up each second, until an evicted pod is gone', async () => {
    const cluster = new GracefulCluster({ nodes: [node('win-1')], pods: [web('web-0')] });
    const clock = virtualClock({ 3: () => cluster.pods.delete('shop/web-0') });

    const report = await drainNode(cluster, settings, clock, () => undefined);

    expect(report).toMatchObject({ outcome: 'drained', seconds: 3 });
    expect(clock.sleeps).toEqual([1000, 1000, 1000]);
    expect(cluster.callsOf('evictPod')).toHaveLength(1);
  });

  it('counts a pod as gone when its name holds a new UID', async () => {
    const cluster = new GracefulCluster({ nodes: [node('win-1')], pods: [web('web-0')] });
    const recreatedElsewhere = web('web-0', 'win-2', 'uid-new');
    const clock = virtualClock({ 1: () => cluster.pods.set('shop/web-0', recreatedElsewhere) });

    const report = await drainNode(cluster, settings, clock, () => undefined);

    expect(report).toMatchObject({ outcome: 'drained', seconds: 1 });
  });

  it('ends with a timeout naming the pods still terminating at the deadline', async () => {
    const cluster = new GracefulCluster({ nodes: [node('win-1')], pods: [web('web-0')] });

    const report = await drainNode(
      cluster,
      { ...settings, timeoutSeconds: 5 },
      virtualClock(),
      () => undefined,
    );

    expect(report).toMatchObject({
      outcome: 'timeout',
      seconds: 5,
      blockers: [{ pod: 'shop/web-0', reason: 'still terminating', pdbs: [] }],
    });
  });

  it('tries a pod its PDB refuses again every 5 s, and evicts it once the PDB allows', async () => {
    const budget = pdb(
      'shop',
      'web',
      { app: 'web' },
      { disruptionsAllowed: 0, desiredHealthy: 1, currentHealthy: 1 },
    );
    const cluster = new FakeCluster({ nodes: [node('win-1')], pods: [web('web-0')], pdbs: [budget] });
    const allow = () => {
      budget.status = {
        ...budget.status,
        disruptionsAllowed: 1,
        currentHealthy: 2,
        desiredHealthy: 1,
        expectedPods: 2,
      };
    };
    const lines: string[] = [];

    const report = await drainNode(cluster, settings, virtualClock({ 10: allow }), (line) =>
      lines.push(line),
    );

    expect(report).toMatchObject({ outcome: 'drained', seconds: 10 });
    expect(cluster.callsOf('evictPod')).toHaveLength(3);
    expect(lines).toEqual([
      'node win-1: cordoned',
      'pod shop/web-0: evict (evictable)',
      'pod shop/web-0: refused: The disruption budget web needs 1 healthy pods and has 1 currently (retried every 5 s until the timeout)',
      'pod shop/web-0: evicted',
    ]);
  });

  it('leaves a node already cordoned as it is, and takes its annotation from no one', async () => {
    const cluster = new FakeCluster({ nodes: [node('win-1', { unschedulable: true })] });

    const report = await drainNode(cluster, settings, virtualClock(), () => undefined);

    expect(report).toMatchObject({ cordon: 'already-cordoned', outcome: 'drained' });
    expect(cluster.callsOf('patchNode')).toEqual([]);
  });
});
