import { describe, expect, it } from 'vitest';
import type { NodeRecord, PodRecord, Taint, WorkloadRecord } from '../../simulator/world/cluster.ts';
import { feasibleNodesToFind, pickNode, pinnedNode } from '../../simulator/world/scheduler.ts';
import { SchedulerCache } from '../../simulator/world/scheduler-cache.ts';

/** A deterministic stream of numbers in [0, 1) (mulberry32), so a failure repeats. */
function stream(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const images = ['aspnet', 'iis', 'busybox'];
const byName = new Intl.Collator().compare;

function workload(name: string, kind: string, os: string, image: string): WorkloadRecord {
  return { spec: { name, kind, os, image } } as unknown as WorkloadRecord;
}

const workloads = [
  workload('web', 'Deployment', 'windows', 'aspnet'),
  workload('api', 'Deployment', 'windows', 'iis'),
  workload('ledger', 'StatefulSet', 'windows', 'aspnet'),
  workload('agent', 'DaemonSet', 'windows', 'busybox'),
  workload('coredns', 'Deployment', 'linux', 'busybox'),
];

function newNode(name: string, draw: () => number): NodeRecord {
  return {
    name,
    os: draw() < 0.85 ? 'windows' : 'linux',
    ready: 'True',
    kubeletRunning: true,
    unschedulable: false,
    taints: [],
    images: new Map(images.filter(() => draw() < 0.5).map((image) => [image, 1])),
    podCapacity: 4 + Math.floor(draw() * 8),
  } as unknown as NodeRecord;
}

/** Whether `a` comes before `b`, compared as tuples. */
function before(a: number[], b: number[]): boolean {
  const at = a.findIndex((value, index) => value !== b[index]);
  return at !== -1 && (a[at] ?? 0) < (b[at] ?? 0);
}

/**
 * kube-scheduler's choice by its definition, read from the records (the oracle): filters, then the
 * lowest (untolerated PreferNoSchedule taints, image missing, siblings, pods) among the first
 * feasible nodes found from `start`, the first found on a tie.
 */
function pickByDefinition(
  pod: PodRecord,
  nodes: NodeRecord[],
  start: number,
  podsOn: Map<string, PodRecord[]>,
) {
  const toFind = feasibleNodesToFind(nodes.length);
  const tolerant = pod.workload.spec.kind === 'DaemonSet';
  let best: { node: NodeRecord; key: number[] } | undefined;
  let found = 0;
  let looked = 0;
  for (let offset = 0; offset < nodes.length && found < toFind; offset++) {
    const node = nodes[(toFind >= nodes.length ? offset : start + offset) % nodes.length] as NodeRecord;
    looked++;
    const pods = podsOn.get(node.name) ?? [];
    const fits =
      node.kubeletRunning &&
      node.os === pod.workload.spec.os &&
      pods.length < node.podCapacity &&
      node.ready === 'True' &&
      !node.unschedulable &&
      (tolerant || node.taints.every((taint) => taint.effect === 'PreferNoSchedule'));
    if (!fits) continue;
    found++;
    const key = [
      tolerant ? 0 : node.taints.filter((taint) => taint.effect === 'PreferNoSchedule').length,
      node.images.has(pod.workload.spec.image) ? 0 : 1,
      pods.filter((other) => other.workload === pod.workload).length,
      pods.length,
    ];
    if (best === undefined || before(key, best.key)) best = { node, key };
  }
  return { node: best?.node, looked };
}

describe("the scheduler's cache", () => {
  it('picks what the definition picks while nodes join, leave, change and fill, over 150 nodes', () => {
    const draw = stream(20261201);
    const pick = (list: readonly string[]) => list[Math.floor(draw() * list.length)] as string;
    const cache = new SchedulerCache();
    const nodes = new Map<string, NodeRecord>();
    const podsOn = new Map<string, PodRecord[]>();
    let serial = 0;
    const addNode = () => {
      const node = newNode(`ip-10-0-${Math.floor(draw() * 64)}-${serial++}`, draw);
      nodes.set(node.name, node);
      cache.add(node, podsOn.get(node.name) ?? []);
    };
    for (let count = 0; count < 150; count++) addNode();
    const taints: Taint[][] = [
      [],
      [{ key: 'a', effect: 'PreferNoSchedule' }],
      [{ key: 'b', effect: 'NoSchedule' }],
      [
        { key: 'a', effect: 'PreferNoSchedule' },
        { key: 'c', effect: 'PreferNoSchedule' },
      ],
      [{ key: 'd', effect: 'NoExecute' }],
    ];
    let start = 0;
    let picks = 0;
    for (let step = 0; step < 3000; step++) {
      const names = [...nodes.keys()];
      const node = nodes.get(pick(names)) as NodeRecord;
      const roll = draw();
      if (roll < 0.04) {
        nodes.delete(node.name);
        cache.remove(node);
        addNode();
      } else if (roll < 0.1) {
        node.unschedulable = !node.unschedulable;
        cache.update(node);
      } else if (roll < 0.16) {
        node.taints = taints[Math.floor(draw() * taints.length)] ?? [];
        cache.update(node);
      } else if (roll < 0.2) {
        node.ready = node.ready === 'True' ? 'Unknown' : 'True';
        node.kubeletRunning = draw() < 0.8;
        cache.update(node);
      } else if (roll < 0.24) {
        node.images.set(pick(images), 1);
        cache.update(node);
      } else if (roll < 0.4) {
        const pods = [...podsOn.entries()].filter(([, on]) => on.length > 0);
        const [name, on] = pods[Math.floor(draw() * pods.length)] ?? ['', []];
        const [gone] = on.splice(Math.floor(draw() * on.length), 1);
        if (gone !== undefined) cache.podMoved(gone, name, -1);
      } else {
        const owner = workloads[Math.floor(draw() * workloads.length)] as WorkloadRecord;
        const pinned = owner.spec.kind === 'DaemonSet' && draw() < 0.5 ? node.name : undefined;
        const pod = { workload: owner, requiredNode: pinned } as PodRecord;
        const ordered = [...nodes.values()].sort((a, b) => byName(a.name, b.name));
        expect(cache.nodes.every((cached, index) => cached === ordered[index])).toBe(true);
        let chosen: NodeRecord | undefined;
        if (pinned === undefined) {
          const expected = pickByDefinition(pod, ordered, start, podsOn);
          const actual = pickNode(pod, cache, start);
          expect(actual.node?.name).toBe(expected.node?.name);
          expect(actual.looked).toBe(expected.looked);
          start = (start + actual.looked) % ordered.length;
          chosen = actual.node;
        } else {
          const room = (podsOn.get(pinned) ?? []).length < node.podCapacity;
          chosen = pinnedNode(pod, pinned, cache);
          expect(chosen).toBe(node.kubeletRunning && node.os === owner.spec.os && room ? node : undefined);
        }
        if (chosen !== undefined) {
          picks++;
          podsOn.set(chosen.name, [...(podsOn.get(chosen.name) ?? []), pod]);
          cache.podMoved(pod, chosen.name, 1);
        }
      }
    }
    expect(picks).toBeGreaterThan(500);
  });

  it('counts a bare pod on its node while it holds a place, and no workload siblings', () => {
    const cache = new SchedulerCache();
    const node = { ...newNode('ip-10-0-1-1', stream(3)), os: 'windows', podCapacity: 1 } as NodeRecord;
    cache.add(node, []);
    const web = workloads[0] as WorkloadRecord;
    const pod = { workload: web } as PodRecord;
    expect(cache.occupied(node.name, 1)).toBe(0);
    expect(cache.podCount(0)).toBe(1);
    expect(pickNode(pod, cache, 0).node).toBeUndefined();
    expect(cache.siblingsOf(web)[0]).toBe(0);
    cache.occupied(node.name, -1);
    expect(pickNode(pod, cache, 0).node).toBe(node);
    expect(cache.occupied('ip-10-0-9-9', 1)).toBeUndefined();
  });

  it('counts the pods a node of the same name left behind when a node joins under that name', () => {
    const cache = new SchedulerCache();
    const draw = stream(7);
    const pod = { workload: workloads[0] } as PodRecord;
    const first = newNode('ip-10-0-1-1', draw);
    cache.add(first, []);
    cache.podMoved(pod, first.name, 1);
    cache.remove(first);
    cache.podMoved(pod, first.name, -1);
    const second = newNode('ip-10-0-1-1', draw);
    cache.add(second, [pod, pod]);
    expect(cache.podCount(0)).toBe(2);
    expect(cache.siblingsOf(workloads[0] as WorkloadRecord)[0]).toBe(2);
  });
});
