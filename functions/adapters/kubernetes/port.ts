import type {
  V1Node,
  V1Pod,
  V1PodDisruptionBudget,
  V1ReplicaSet,
  V1StatefulSet,
  V1Taint,
} from '@kubernetes/client-node';
import type { PodControllerKind } from '../../domain/drain.ts';

export type { PodControllerKind };

/** What the Eviction API (`policy/v1`) answered for one pod. */
export type EvictionOutcome =
  /** 201: the pod was accepted for graceful deletion. */
  | { kind: 'evicted' }
  /** 429 with a DisruptionBudget cause: a PDB allows no disruption now; retry later. */
  | { kind: 'blockedByPdb'; message: string; pdbNames: string[] }
  /** 500: the pod is matched by more than one PDB; the API will never evict it. */
  | { kind: 'multiplePdbs'; message: string }
  /** 404: the pod is already gone. */
  | { kind: 'gone' };

export interface ListPodsOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * At most this many: the API's first page (in key order: namespace, then name), for a sample. The
   * server may return fewer, even none, when a selector filters them out: a sample, not a count.
   */
  limit?: number;
}

/**
 * The narrow slice of the Kubernetes API the rollout uses. Production: `@kubernetes/client-node`
 * (client.ts); the simulator serves the same calls from its world. Objects are the API's own shapes.
 * Server-side throttling (429 without a PDB cause, 5xx) surfaces as `KubernetesThrottled`.
 */
export interface KubernetesPort {
  listNodes(labelSelector?: string): Promise<V1Node[]>;
  getNode(name: string): Promise<V1Node | undefined>;
  /** Pods bound to a node (field selector `spec.nodeName`), all pages. */
  listPodsOnNode(nodeName: string): Promise<V1Pod[]>;
  /** Pods of a namespace, or of every namespace when `namespace` is undefined, all pages. */
  listPods(namespace: string | undefined, options?: ListPodsOptions): Promise<V1Pod[]>;
  getPod(namespace: string, name: string): Promise<V1Pod | undefined>;
  /**
   * Creates a pod (`POST /api/v1/namespaces/{namespace}/pods`). Returns false when a pod of that name
   * already exists (409 AlreadyExists), so a repeated step changes nothing.
   */
  createPod(namespace: string, pod: V1Pod): Promise<boolean>;
  /**
   * Patches `spec.unschedulable` and, when given, node annotations and labels (null removes one) and
   * `spec.taints` (a list: the patch replaces it whole, so pass the node's other taints too).
   */
  patchNode(
    name: string,
    patch: {
      unschedulable?: boolean;
      annotations?: Record<string, string | null>;
      labels?: Record<string, string | null>;
      taints?: V1Taint[];
    },
  ): Promise<V1Node>;
  /**
   * With `dryRun`, the API server answers as it would now, PDBs included, and changes nothing
   * (`dryRun=All`; kube-apiserver's eviction REST checks the budget and skips its update).
   */
  evictPod(
    namespace: string,
    name: string,
    gracePeriodSeconds?: number,
    dryRun?: boolean,
  ): Promise<EvictionOutcome>;
  /** Plain delete, used only with `force`. Returns false when the pod was already gone. */
  deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Promise<boolean>;
  listPodDisruptionBudgets(namespace?: string): Promise<V1PodDisruptionBudget[]>;
  /** A pod's controller, named by the pod's ownerReference (`apps/v1`); undefined when it is gone. */
  getController(
    namespace: string,
    kind: PodControllerKind,
    name: string,
  ): Promise<V1ReplicaSet | V1StatefulSet | undefined>;
  /** Whether a DaemonSet exists (kubectl refuses to skip pods of a missing DaemonSet). */
  daemonSetExists(namespace: string, name: string): Promise<boolean>;
}
