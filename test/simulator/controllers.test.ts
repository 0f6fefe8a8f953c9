import { describe, expect, it } from 'vitest';
import { podsOf, windowsNodes, worldOf } from './world-fixture.ts';

describe('controllers read from the simulated API, as a drain reads them instead of listing their pods', () => {
  it("serves a Deployment's ReplicaSet: spec.replicas its pods not being deleted, status.readyReplicas the Ready ones", async () => {
    const { world, kubernetes, advance } = worldOf();
    const [first] = podsOf(world, 'web');
    const name = `web-${first?.revision.hash}`;
    expect(await kubernetes.getController('shop', 'ReplicaSet', name)).toMatchObject({
      kind: 'ReplicaSet',
      metadata: { name, namespace: 'shop', uid: first?.revision.replicaSetUid },
      spec: { replicas: 4 },
      status: { readyReplicas: 4 },
    });
    await kubernetes.evictPod('shop', first?.name ?? '');
    // The ReplicaSet created the replacement at once; it is not Ready until it has started.
    expect(await kubernetes.getController('shop', 'ReplicaSet', name)).toMatchObject({
      spec: { replicas: 4 },
      status: { readyReplicas: 3 },
    });
    advance(600);
    expect(await kubernetes.getController('shop', 'ReplicaSet', name)).toMatchObject({
      status: { readyReplicas: 4 },
    });
  });

  it('serves a StatefulSet with what it wants, and nothing for a name that does not exist', async () => {
    const { world, kubernetes } = worldOf();
    await kubernetes.evictPod('finance', 'ledger-2');
    expect(await kubernetes.getController('finance', 'StatefulSet', 'ledger')).toMatchObject({
      spec: { replicas: 3 },
      status: { readyReplicas: 2 },
    });
    expect(await kubernetes.getController('finance', 'StatefulSet', 'nope')).toBeUndefined();
    expect(await kubernetes.getController('shop', 'ReplicaSet', 'web-0000000000')).toBeUndefined();
    expect(world.metrics.report().podsListed).toBe(0);
  });

  it("lists a node's pods in key order, as the API server reads them from etcd, and only them", async () => {
    const { world, kubernetes } = worldOf();
    const [node] = windowsNodes(world);
    const pods = await kubernetes.listPods(undefined, { fieldSelector: `spec.nodeName=${node?.name}` });
    const keys = pods.map((pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`);
    expect(keys).toEqual([...keys].sort());
    expect(pods.every((pod) => pod.spec?.nodeName === node?.name)).toBe(true);
    const web = await kubernetes.listPods('shop', {
      fieldSelector: `spec.nodeName=${node?.name},status.phase=Running`,
      labelSelector: 'app=web',
    });
    expect(web.map((pod) => pod.metadata?.name)).toEqual(
      pods.filter((pod) => pod.metadata?.labels?.app === 'web').map((pod) => pod.metadata?.name),
    );
  });
});
