import { describe, expect, it } from 'vitest';
import { isPodReady } from '../../simulator/world/cluster.ts';
import { podsOf, scenarioProblems, windowsNodes, worldOf } from './world-fixture.ts';

const withFault = (fault: Record<string, unknown>) => worldOf((document) => document.faults.push(fault));
const active = (pods: ReturnType<typeof podsOf>) => pods.filter((pod) => pod.deletionTimestamp === undefined);
const problemsOf = scenarioProblems;

describe('scaleWorkload', () => {
  it('scales a Deployment down as its ReplicaSet does, with no eviction and a budget that follows', async () => {
    const { world, kubernetes, advance } = withFault({
      kind: 'scaleWorkload',
      workload: 'web',
      replicas: 2,
      afterSeconds: 60,
    });
    advance(59);
    expect(active(podsOf(world, 'web'))).toHaveLength(4);
    advance(2);
    expect(active(podsOf(world, 'web'))).toHaveLength(2);
    advance(60);
    expect(podsOf(world, 'web')).toHaveLength(2);
    const [budget] = await kubernetes.listPodDisruptionBudgets('shop');
    expect(budget?.status).toMatchObject({ expectedPods: 2, currentHealthy: 2 });
    expect(world.finalInvariants().podsDeletedWithoutEviction).toBe(0);
  });

  it('scales a StatefulSet down from the highest ordinal, one pod gone before the next', () => {
    const { world, advance } = withFault({
      kind: 'scaleWorkload',
      workload: 'ledger',
      replicas: 1,
      afterSeconds: 1,
    });
    advance(600);
    const deleted = world.timeline.events
      .filter((event) => event.event === 'PodDeletedByController')
      .map((event) => [event.t, event.detail.pod]);
    expect(deleted.map(([, pod]) => pod)).toEqual(['finance/ledger-2', 'finance/ledger-1']);
    // ledger-1 waits for ledger-2's 60 s grace period.
    expect(Number(deleted[1]?.[0]) - Number(deleted[0]?.[0])).toBeGreaterThanOrEqual(60);
    expect(podsOf(world, 'ledger').map((pod) => pod.name)).toEqual(['ledger-0']);
  });

  it('scales up: the new replicas are scheduled and started', () => {
    const { world, advance } = withFault({
      kind: 'scaleWorkload',
      workload: 'web',
      replicas: 6,
      afterSeconds: 1,
    });
    advance(900);
    expect(podsOf(world, 'web').filter(isPodReady)).toHaveLength(6);
  });
});

describe('restartWorkload', () => {
  it('replaces every pod with a new ReplicaSet within maxSurge 25 % and maxUnavailable 25 %', () => {
    const { world, advance } = withFault({ kind: 'restartWorkload', workload: 'web', afterSeconds: 10 });
    const hashOf = (pod: ReturnType<typeof podsOf>[number]) => pod.revision.hash;
    const oldHash = hashOf(podsOf(world, 'web')[0] as ReturnType<typeof podsOf>[number]);
    let mostPods = 0;
    let fewestReady = 4;
    for (let second = 0; second < 1800; second += 5) {
      advance(5);
      const pods = active(podsOf(world, 'web'));
      mostPods = Math.max(mostPods, pods.length);
      fewestReady = Math.min(fewestReady, pods.filter(isPodReady).length);
    }
    const pods = podsOf(world, 'web');
    expect(pods).toHaveLength(4);
    expect(pods.every((pod) => hashOf(pod) !== oldHash && isPodReady(pod))).toBe(true);
    expect(mostPods).toBe(5);
    expect(fewestReady).toBe(3);
    expect(world.timeline.events.filter((event) => event.event === 'PodDeletedByController')).toHaveLength(4);
  });
});

describe('scaleOut', () => {
  it('raises the group’s desired capacity from outside: Auto Scaling launches the instances', () => {
    const { world, advance } = withFault({ kind: 'scaleOut', group: 'win-a', count: 2, afterSeconds: 30 });
    advance(900);
    expect(windowsNodes(world).filter((node) => node.ready === 'True')).toHaveLength(5);
    expect(world.timeline.events.some((event) => event.event === 'ScaledOutFromOutside')).toBe(true);
  });

  it('is refused above the group’s max size, as SetDesiredCapacity would be', () => {
    const { world, advance } = withFault({ kind: 'scaleOut', group: 'win-a', count: 9, afterSeconds: 30 });
    advance(900);
    expect(windowsNodes(world)).toHaveLength(3);
    const refusal = world.timeline.events.find((event) => event.event === 'ScaleOutRefused');
    expect(String(refusal?.detail.reason)).toContain('above max value 6');
  });
});

describe('nodeUnreachable', () => {
  it('turns the node NotReady after 40 s and evicts its pods 300 s later, for ever Terminating', async () => {
    const { world, kubernetes, advance } = withFault({
      kind: 'nodeUnreachable',
      group: 'win-a',
      node: 0,
      afterSeconds: 10,
    });
    const [node] = windowsNodes(world);
    const name = node?.name ?? '';
    const workloadPods = () =>
      world.cluster.podsOn(name).filter((pod) => pod.workload.spec.kind !== 'DaemonSet');
    const before = workloadPods();
    expect(before.length).toBeGreaterThan(0);
    advance(49);
    expect(node?.ready).toBe('True');
    advance(2);
    expect(node?.ready).toBe('Unknown');
    expect(workloadPods().some(isPodReady)).toBe(false);
    expect((await kubernetes.getNode(name))?.spec?.taints).toContainEqual(
      expect.objectContaining({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }),
    );
    advance(298); // 349 s: 300 s after the node turned NotReady at 50 s is 350 s
    expect(workloadPods().every((pod) => pod.deletionTimestamp === undefined)).toBe(true);
    advance(2);
    expect(workloadPods().every((pod) => pod.deletionTimestamp !== undefined)).toBe(true);
    advance(86_400);
    expect(workloadPods()).toHaveLength(before.length);
    // The DaemonSet's pod tolerates the taint; the instance itself runs on.
    expect(
      world.cluster.podsOn(name).find((pod) => pod.workload.spec.kind === 'DaemonSet')?.deletionTimestamp,
    ).toBeUndefined();
    expect(world.ec2.instances.get(node?.instanceId ?? '')?.state).toBe('running');
    expect(world.finalInvariants().podsDeletedWithoutEviction).toBe(0);
    expect(active(podsOf(world, 'web')).filter((pod) => pod.nodeName !== name)).toHaveLength(4);
  });
});

describe('the living faults’ fields', () => {
  it.each([
    [
      { kind: 'scaleWorkload', workload: 'log-agent', replicas: 1, afterSeconds: 1 },
      'faults[0].workload: log-agent is a DaemonSet: only a Deployment or a StatefulSet has replicas to scale',
    ],
    [
      { kind: 'restartWorkload', workload: 'ledger', afterSeconds: 1 },
      'faults[0].workload: ledger is a StatefulSet: only a Deployment is restarted with a new ReplicaSet',
    ],
    [
      { kind: 'scaleOut', group: 'win-b', count: 1, afterSeconds: 1 },
      'faults[0].group: no node group is named win-b',
    ],
    [
      { kind: 'nodeUnreachable', group: 'win-a', node: 3, afterSeconds: 1 },
      'faults[0].node: win-a starts with 3 instances: node is an index from 0 to 2',
    ],
    [
      { kind: 'nodeUnreachable', group: 'win-a', node: 0 },
      'faults[0]: expected exactly one of afterSeconds or batch',
    ],
  ])('%j is refused, naming the field', (fault, problem) => {
    expect(problemsOf((document) => document.faults.push(fault))).toEqual([problem]);
  });
});
