import type {
  V1DaemonSet,
  V1Node,
  V1Pod,
  V1PodDisruptionBudget,
  V1ReplicaSet,
  V1StatefulSet,
  V1Taint,
} from '@kubernetes/client-node';
import type {
  EvictionOutcome,
  ListPodsOptions,
  PodControllerKind,
} from '../../functions/adapters/kubernetes/port.ts';
import { KubernetesThrottled } from '../../functions/commons/errors.ts';
import type { ClusterBackend } from '../../simulator/k8s-http-server.ts';

type Method = keyof ClusterBackend;

/** An in-memory cluster for the test server: evictions honour PDBs (matchLabels only) like the API. */
export class FakeCluster implements ClusterBackend {
  readonly nodes = new Map<string, V1Node>();
  readonly pods = new Map<string, V1Pod>();
  readonly pdbs: V1PodDisruptionBudget[] = [];
  readonly daemonSets = new Map<string, V1DaemonSet>();
  readonly calls: { method: Method; args: unknown[] }[] = [];
  private readonly throttled = new Map<Method, number>();

  constructor(objects: {
    nodes?: V1Node[];
    pods?: V1Pod[];
    pdbs?: V1PodDisruptionBudget[];
    daemonSets?: V1DaemonSet[];
  }) {
    for (const node of objects.nodes ?? []) this.nodes.set(node.metadata?.name ?? '', node);
    for (const pod of objects.pods ?? []) this.pods.set(key(pod), pod);
    this.pdbs.push(...(objects.pdbs ?? []));
    for (const daemonSet of objects.daemonSets ?? []) this.daemonSets.set(key(daemonSet), daemonSet);
  }

  /** The next `times` calls of `method` throw `KubernetesThrottled` (the server answers 429). */
  throttle(method: Method, times: number): void {
    this.throttled.set(method, times);
  }

  callsOf(method: Method): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  async listNodes(labelSelector?: string): Promise<V1Node[]> {
    this.record('listNodes', labelSelector);
    return [...this.nodes.values()].filter((node) => matches(node.metadata?.labels, labelSelector));
  }

  async getNode(name: string): Promise<V1Node | undefined> {
    this.record('getNode', name);
    return this.nodes.get(name);
  }

  async listPodsOnNode(nodeName: string): Promise<V1Pod[]> {
    this.record('listPodsOnNode', nodeName);
    return [...this.pods.values()].filter((pod) => pod.spec?.nodeName === nodeName);
  }

  async listPods(namespace: string | undefined, options: ListPodsOptions = {}): Promise<V1Pod[]> {
    this.record('listPods', namespace, options);
    const nodeName = /^spec\.nodeName=(.+)$/.exec(options.fieldSelector ?? '')?.[1];
    return [...this.pods.values()]
      .filter(
        (pod) =>
          (namespace === undefined || pod.metadata?.namespace === namespace) &&
          (nodeName === undefined || pod.spec?.nodeName === nodeName) &&
          matches(pod.metadata?.labels, options.labelSelector),
      )
      .slice(0, options.limit);
  }

  async getPod(namespace: string, name: string): Promise<V1Pod | undefined> {
    this.record('getPod', namespace, name);
    return this.pods.get(`${namespace}/${name}`);
  }

  /** Stores the pod as given (no validation); false when its name is taken. */
  async createPod(namespace: string, pod: V1Pod): Promise<boolean> {
    this.record('createPod', namespace, pod);
    const name = `${namespace}/${pod.metadata?.name ?? ''}`;
    if (this.pods.has(name)) return false;
    this.pods.set(name, { ...pod, metadata: { ...pod.metadata, namespace } });
    return true;
  }

  async patchNode(
    name: string,
    patch: { unschedulable?: boolean; annotations?: Record<string, string | null>; taints?: V1Taint[] },
  ): Promise<V1Node> {
    this.record('patchNode', name, patch);
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no node ${name}`);
    const annotations = { ...node.metadata?.annotations };
    for (const [annotation, value] of Object.entries(patch.annotations ?? {})) {
      if (value === null) delete annotations[annotation];
      else annotations[annotation] = value;
    }
    const patched: V1Node = {
      ...node,
      metadata: { ...node.metadata, annotations },
      spec: {
        ...node.spec,
        unschedulable: patch.unschedulable ?? node.spec?.unschedulable,
        taints: patch.taints ?? node.spec?.taints,
      },
    };
    this.nodes.set(name, patched);
    return patched;
  }

  async evictPod(
    namespace: string,
    name: string,
    gracePeriodSeconds?: number,
    dryRun = false,
  ): Promise<EvictionOutcome> {
    this.record('evictPod', namespace, name, gracePeriodSeconds, ...(dryRun ? ['dryRun'] : []));
    const pod = this.pods.get(`${namespace}/${name}`);
    if (!pod) return { kind: 'gone' };
    const budgets = this.pdbs.filter(
      (pdb) =>
        pdb.metadata?.namespace === namespace &&
        Object.entries(pdb.spec?.selector?.matchLabels ?? {}).every(
          ([k, v]) => pod.metadata?.labels?.[k] === v,
        ),
    );
    if (budgets.length > 1) {
      return {
        kind: 'multiplePdbs',
        message:
          'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      };
    }
    const [budget] = budgets;
    if (budget && (budget.status?.disruptionsAllowed ?? 0) < 1) {
      const pdbName = budget.metadata?.name ?? '';
      const { desiredHealthy, currentHealthy } = budget.status ?? { desiredHealthy: 0, currentHealthy: 0 };
      return {
        kind: 'blockedByPdb',
        message: `The disruption budget ${pdbName} needs ${desiredHealthy} healthy pods and has ${currentHealthy} currently`,
        pdbNames: [pdbName],
      };
    }
    if (!dryRun) this.pods.delete(`${namespace}/${name}`);
    return { kind: 'evicted' };
  }

  async deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Promise<boolean> {
    this.record('deletePod', namespace, name, gracePeriodSeconds);
    return this.pods.delete(`${namespace}/${name}`);
  }

  async listPodDisruptionBudgets(namespace?: string): Promise<V1PodDisruptionBudget[]> {
    this.record('listPodDisruptionBudgets', namespace);
    return this.pdbs.filter((pdb) => namespace === undefined || pdb.metadata?.namespace === namespace);
  }

  async daemonSetExists(namespace: string, name: string): Promise<boolean> {
    this.record('daemonSetExists', namespace, name);
    return this.daemonSets.has(`${namespace}/${name}`);
  }

  /** A controller made up from its pods: as many replicas as pods not being deleted, those Ready counted. */
  async getController(
    namespace: string,
    kind: PodControllerKind,
    name: string,
  ): Promise<V1ReplicaSet | V1StatefulSet | undefined> {
    this.record('getController', namespace, kind, name);
    const pods = [...this.pods.values()].filter((pod) => {
      const owner = pod.metadata?.ownerReferences?.find((reference) => reference.controller);
      return pod.metadata?.namespace === namespace && owner?.kind === kind && owner.name === name;
    });
    if (pods.length === 0) return undefined;
    const live = pods.filter((pod) => !pod.metadata?.deletionTimestamp);
    const ready = live.filter((pod) =>
      pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True'),
    );
    return {
      apiVersion: 'apps/v1',
      kind,
      metadata: { namespace, name },
      spec: { replicas: live.length, selector: {} },
      status: { replicas: pods.length, readyReplicas: ready.length },
    } as V1ReplicaSet | V1StatefulSet;
  }

  async getDaemonSet(namespace: string, name: string): Promise<V1DaemonSet | undefined> {
    this.record('getDaemonSet', namespace, name);
    return this.daemonSets.get(`${namespace}/${name}`);
  }

  private record(method: Method, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const remaining = this.throttled.get(method) ?? 0;
    if (remaining > 0) {
      this.throttled.set(method, remaining - 1);
      throw new KubernetesThrottled(`${method} throttled`);
    }
  }
}

function key(object: { metadata?: { namespace?: string; name?: string } }): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

/** Equality-based selectors (`a=b,c!=d`), enough for the tests. */
function matches(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [name = '', value] = term.split(/!?==?/);
    const actual = labels?.[name];
    return term.includes('!=') ? actual !== value : actual === value;
  });
}

export const fixtures = {
  node(name: string, options: { unschedulable?: boolean; labels?: Record<string, string> } = {}): V1Node {
    return {
      metadata: {
        name,
        uid: `uid-${name}`,
        creationTimestamp: new Date('2024-01-01T00:00:00Z'),
        labels: { 'kubernetes.io/os': 'windows', ...options.labels },
      },
      spec: { unschedulable: options.unschedulable, providerID: `aws:///eu-west-1a/i-${name}` },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        nodeInfo: {
          kubeletVersion: 'v1.31.2-eks-0000000',
          osImage: 'Windows Server 2022 Datacenter',
          kernelVersion: '10.0.20348.2849',
          containerRuntimeVersion: 'containerd://1.7.20',
          architecture: 'amd64',
          bootID: '',
          machineID: '',
          kubeProxyVersion: '',
          operatingSystem: 'windows',
          systemUUID: '',
        },
      },
    };
  },

  pod(
    namespace: string,
    name: string,
    nodeName: string,
    options: { labels?: Record<string, string>; ownerKind?: string; ownerName?: string } = {},
  ): V1Pod {
    return {
      metadata: {
        namespace,
        name,
        uid: `uid-${namespace}-${name}`,
        creationTimestamp: new Date('2024-01-01T00:00:00Z'),
        labels: options.labels,
        ownerReferences: options.ownerKind
          ? [
              {
                apiVersion: 'apps/v1',
                kind: options.ownerKind,
                name: options.ownerName ?? name,
                uid: `uid-owner-${name}`,
                controller: true,
              },
            ]
          : undefined,
      },
      spec: {
        nodeName,
        containers: [{ name: 'app', image: 'mcr.microsoft.com/windows/servercore:ltsc2022' }],
      },
      status: {
        phase: 'Running',
        podIP: '10.0.0.10',
        containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: '', imageID: '' }],
      },
    };
  },

  pdb(
    namespace: string,
    name: string,
    matchLabels: Record<string, string>,
    status: { disruptionsAllowed: number; desiredHealthy: number; currentHealthy: number },
  ): V1PodDisruptionBudget {
    return {
      metadata: { namespace, name, creationTimestamp: new Date('2024-01-01T00:00:00Z') },
      spec: { minAvailable: status.desiredHealthy, selector: { matchLabels } },
      status: { ...status, expectedPods: status.currentHealthy, observedGeneration: 1 },
    };
  },

  daemonSet(namespace: string, name: string): V1DaemonSet {
    return { metadata: { namespace, name }, spec: { selector: {}, template: {} } };
  },
};
