import type { NodeRecord, PodRecord, WorkloadRecord } from './cluster.ts';

/** `String.prototype.localeCompare`'s order (ECMA-402: the default Intl.Collator), built once. */
const byName = new Intl.Collator().compare;

/** A node's state as filters read it. */
export const Admits = {
  /** Its kubelet is silent: no pod goes there. */
  nothing: 0,
  /** Not Ready or cordoned: only a pod pinned to it (a DaemonSet's) goes there. */
  pinnedPods: 1,
  /** Ready and not cordoned. */
  anyPod: 2,
} as const;

/** The facts kept per node, in this order, one row of `facts` per node. */
const podCountField = 0;
const capacityField = 1;
const osField = 2;
const admitsField = 3;
/** NoSchedule and NoExecute taints. */
const hardTaintsField = 4;
/** PreferNoSchedule taints. */
const softTaintsField = 5;
const fieldsPerNode = 6;

/** A small number per OS, so that a filter compares numbers. */
const osCodes = new Map<string, number>();
export const osCode = (os: string): number => {
  const known = osCodes.get(os);
  if (known !== undefined) return known;
  osCodes.set(os, osCodes.size + 1);
  return osCodes.size;
};

/** Numbers kept per node. */
type Values = Int32Array<ArrayBuffer>;

/** A typed array `columns` times as long as `rows`, with the first `used` values kept. */
function resized(values: Values, rows: number, columns: number, used: number): Values {
  const next = new Int32Array(rows * columns);
  next.set(values.subarray(0, used * columns));
  return next;
}

/**
 * kube-scheduler's cache of nodes (pkg/scheduler/backend/cache: a NodeInfo per node that adds up the
 * pods bound to it as they bind and go, and follows each change to the node). Here the nodes are in
 * name order, the scheduler's tie-break, and what its filters and scores read sits beside them in
 * typed arrays, one row per node: the node's facts, each workload's pods on it (PodTopologySpread's
 * counts), whether it holds each image (ImageLocality). Looking at a node for a pod then reads a few
 * adjacent numbers, not the node's record and its maps.
 */
export class SchedulerCache {
  private readonly ordered: NodeRecord[] = [];
  private capacity = 64;
  private facts: Values = new Int32Array(this.capacity * fieldsPerNode);
  private readonly siblings = new Map<WorkloadRecord, Values>();
  private readonly holders = new Map<string, Values>();

  /** The nodes in name order. */
  get nodes(): readonly NodeRecord[] {
    return this.ordered;
  }

  /** Where `name` is, or would go, in name order (a binary search). */
  indexOf(name: string): number {
    let low = 0;
    let high = this.ordered.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (byName(this.ordered[middle]?.name ?? '', name) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private at(node: NodeRecord): number | undefined {
    const index = this.indexOf(node.name);
    return this.ordered[index] === node ? index : undefined;
  }

  /** Every array of the cache with its values per row. */
  private *arrays(): Iterable<[Values, number, (grown: Values) => void]> {
    yield [this.facts, fieldsPerNode, (grown) => (this.facts = grown)];
    for (const columns of [this.siblings, this.holders] as Map<unknown, Values>[]) {
      for (const [key, values] of columns) yield [values, 1, (grown) => columns.set(key, grown)];
    }
  }

  /** A node joins with the pods already bound to its name (a node of the same name may have left some). */
  add(node: NodeRecord, boundPods: Iterable<PodRecord>): void {
    const index = this.indexOf(node.name);
    const rows = this.ordered.length;
    if (rows + 1 > this.capacity) {
      this.capacity *= 2;
      for (const [values, columns, replace] of this.arrays())
        replace(resized(values, this.capacity, columns, rows));
    }
    for (const [values, columns] of this.arrays()) {
      values.copyWithin((index + 1) * columns, index * columns, rows * columns);
      values.fill(0, index * columns, (index + 1) * columns);
    }
    this.ordered.splice(index, 0, node);
    let podCount = 0;
    for (const pod of boundPods) {
      podCount++;
      const siblings = this.siblingsOf(pod.workload);
      siblings[index] = (siblings[index] ?? 0) + 1;
    }
    this.facts[index * fieldsPerNode + podCountField] = podCount;
    this.update(node);
  }

  remove(node: NodeRecord): void {
    const index = this.at(node);
    if (index === undefined) return;
    const rows = this.ordered.length;
    for (const [values, columns] of this.arrays()) {
      values.copyWithin(index * columns, (index + 1) * columns, rows * columns);
    }
    this.ordered.splice(index, 1);
  }

  /** After any change to the node itself; a node the cache does not hold is ignored. */
  update(node: NodeRecord): void {
    const index = this.at(node);
    if (index === undefined) return;
    let hardTaints = 0;
    let softTaints = 0;
    for (const taint of node.taints) {
      if (taint.effect === 'PreferNoSchedule') softTaints++;
      else hardTaints++;
    }
    const row = index * fieldsPerNode;
    this.facts[row + capacityField] = node.podCapacity;
    this.facts[row + osField] = osCode(node.os);
    this.facts[row + admitsField] = !node.kubeletRunning
      ? Admits.nothing
      : node.ready === 'True' && !node.unschedulable
        ? Admits.anyPod
        : Admits.pinnedPods;
    this.facts[row + hardTaintsField] = hardTaints;
    this.facts[row + softTaintsField] = softTaints;
    for (const [image, holds] of this.holders) holds[index] = node.images.has(image) ? 1 : 0;
  }

  /** A pod was bound to `nodeName` (`change` 1) or left it (-1). */
  podMoved(pod: PodRecord, nodeName: string, change: 1 | -1): void {
    const index = this.occupied(nodeName, change);
    if (index === undefined) return;
    const siblings = this.siblingsOf(pod.workload);
    siblings[index] = (siblings[index] ?? 0) + change;
  }

  /**
   * A pod no controller owns took one of the node's pods (1) or gave it back (-1): NodeInfo counts
   * only non-terminated pods, so a bare pod gives it back once Succeeded or Failed. The node's index,
   * or undefined when the cache does not hold it.
   */
  occupied(nodeName: string, change: 1 | -1): number | undefined {
    const index = this.indexOf(nodeName);
    if (this.ordered[index]?.name !== nodeName) return undefined;
    const row = index * fieldsPerNode;
    this.facts[row + podCountField] = (this.facts[row + podCountField] ?? 0) + change;
    return index;
  }

  /** Per node, in name order, how many pods of the workload it holds. */
  siblingsOf(workload: WorkloadRecord): Values {
    let counts = this.siblings.get(workload);
    if (counts === undefined) {
      counts = new Int32Array(this.capacity);
      this.siblings.set(workload, counts);
    }
    return counts;
  }

  /** Per node, in name order, 1 if it holds the image. */
  holdersOf(image: string): Values {
    let holds = this.holders.get(image);
    if (holds === undefined) {
      holds = new Int32Array(this.capacity);
      for (const [index, node] of this.ordered.entries()) holds[index] = node.images.has(image) ? 1 : 0;
      this.holders.set(image, holds);
    }
    return holds;
  }

  podCount(index: number): number {
    return this.facts[index * fieldsPerNode + podCountField] ?? 0;
  }

  /** Whether the node has room for one more pod of the OS (`osCode`) and admits it. */
  fits(index: number, os: number, admits: number): boolean {
    const row = index * fieldsPerNode;
    const facts = this.facts;
    return (
      (facts[row + admitsField] ?? 0) >= admits &&
      facts[row + osField] === os &&
      (facts[row + podCountField] ?? 0) < (facts[row + capacityField] ?? 0)
    );
  }

  hardTaints(index: number): number {
    return this.facts[index * fieldsPerNode + hardTaintsField] ?? 0;
  }

  softTaints(index: number): number {
    return this.facts[index * fieldsPerNode + softTaintsField] ?? 0;
  }
}
