import type {
  V1DaemonSet,
  V1Node,
  V1Pod,
  V1PodDisruptionBudget,
  V1ReplicaSet,
  V1StatefulSet,
} from '@kubernetes/client-node';
import type {
  EvictionOutcome,
  KubernetesPort,
  ListPodsOptions,
  PodControllerKind,
} from '../functions/adapters/kubernetes/port.ts';
import { KubernetesThrottled } from '../functions/commons/errors.ts';
import type { ClusterBackend } from './k8s-http-server.ts';
import {
  renderBarePod,
  renderDaemonSet,
  renderNode,
  renderPod,
  renderPodDisruptionBudget,
  renderReplicaSet,
  renderStatefulSet,
} from './kubernetes/objects.ts';
import { newBarePod, standingNamespaces } from './kubernetes/pod-creation.ts';
import { parseLabelSelector, parsePodFieldSelector } from './kubernetes/selectors.ts';
import { barePodPhase } from './world/bare-pods.ts';
import { podKey, podLabels, podPhase, type Taint } from './world/cluster.ts';
import type { World } from './world.ts';

const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The cluster's API served in-process from the world, in the API's own object shapes. Throttle
 * faults refuse calls the way the production adapter reports a persistent 429: `KubernetesThrottled`.
 */
export class SimulatedKubernetes implements ClusterBackend {
  constructor(private readonly world: World) {}

  private get cluster() {
    return this.world.cluster;
  }

  private get now() {
    return this.world.scheduler.now();
  }

  /** Counts the call against the scenario's throttle faults for `api` (`k8s:evict`). */
  private call(api: string, action: string): void {
    this.world.metrics.apiCalled(api);
    if (!this.world.faults.throttles(api)) return;
    this.world.timeline.record('Throttled', { api, action });
    throw new KubernetesThrottled(
      `The Kubernetes API answered 429 Too Many Requests to "${action}"; the step will be retried.`,
    );
  }

  /** An execution asks for a pod to go: its node's drain has begun, as far as the world can tell. */
  private removalAsked(namespace: string, name: string): string | undefined {
    const nodeName = this.cluster.pods.get(podKey(namespace, name))?.nodeName;
    const group = nodeName === undefined ? undefined : this.world.groupOfNode(nodeName);
    if (nodeName !== undefined && group !== undefined) this.world.deadlines.podRemovalAsked(group, nodeName);
    return nodeName;
  }

  async listNodes(labelSelector?: string): Promise<V1Node[]> {
    this.call('k8s:listNodes', 'list nodes');
    const matches = parseLabelSelector(labelSelector);
    return [...this.cluster.nodes.values()]
      .filter((node) => matches(node.labels))
      .map((node) => renderNode(node, this.now));
  }

  async getNode(name: string): Promise<V1Node | undefined> {
    this.call('k8s:getNode', `get node ${name}`);
    const node = this.cluster.nodes.get(name);
    return node === undefined ? undefined : renderNode(node, this.now);
  }

  async listPodsOnNode(nodeName: string): Promise<V1Pod[]> {
    return this.listPods(undefined, { fieldSelector: `spec.nodeName=${nodeName}` });
  }

  async listPods(namespace: string | undefined, options: ListPodsOptions = {}): Promise<V1Pod[]> {
    this.call('k8s:listPods', `list pods in ${namespace ?? 'all namespaces'}`);
    const labelsMatch = parseLabelSelector(options.labelSelector);
    const fieldsMatch = parsePodFieldSelector(options.fieldSelector);
    // The API server reads a range of keys (`/registry/pods/<namespace>/<name>`), so lists come in key
    // order; a node's pods are found from the cluster's index rather than by scanning every pod.
    const onNode = /(?:^|,)\s*spec\.nodeName\s*==?\s*([^,\s]+)\s*(?:,|$)/.exec(
      options.fieldSelector ?? '',
    )?.[1];
    const listed: { key: string; render: () => V1Pod }[] = [];
    const consider = (
      pod: { namespace: string; name: string; nodeName: string | undefined },
      labels: Record<string, string>,
      phase: string,
      render: () => V1Pod,
    ) => {
      if (namespace !== undefined && pod.namespace !== namespace) return;
      const fields = {
        'spec.nodeName': pod.nodeName ?? '',
        'metadata.name': pod.name,
        'metadata.namespace': pod.namespace,
        'status.phase': phase,
      };
      if (labelsMatch(labels) && fieldsMatch(fields))
        listed.push({ key: podKey(pod.namespace, pod.name), render });
    };
    for (const pod of onNode === undefined ? this.cluster.pods.values() : this.cluster.podsOn(onNode)) {
      consider(pod, podLabels(pod), podPhase(pod), () => renderPod(pod, this.cluster, this.now));
    }
    const { barePods } = this.cluster;
    for (const pod of onNode === undefined ? barePods.pods.values() : barePods.on(onNode)) {
      consider(pod, pod.labels, barePodPhase(pod), () => renderBarePod(pod, this.cluster));
    }
    const pods = listed
      .sort((a, b) => compareKeys(a.key, b.key))
      // `limit`: the first page only, as the API server cuts it (its continue token is not followed).
      .slice(0, options.limit)
      .map((entry) => entry.render());
    this.world.metrics.podsListedByCall(pods.length);
    return pods;
  }

  async getPod(namespace: string, name: string): Promise<V1Pod | undefined> {
    this.call('k8s:getPod', `get pod ${namespace}/${name}`);
    const pod = this.cluster.pods.get(podKey(namespace, name));
    if (pod !== undefined) return renderPod(pod, this.cluster, this.now);
    const bare = this.cluster.barePods.get(namespace, name);
    return bare === undefined ? undefined : renderBarePod(bare, this.cluster);
  }

  /**
   * A pod bound by its creator to a node (the only kind the simulator runs without a controller).
   * Refusals throw `ApiRefusal` (400, 404, 422); a taken name answers false (409).
   */
  async createPod(namespace: string, pod: V1Pod): Promise<boolean> {
    this.call('k8s:createPod', `create pod ${namespace}/${pod.metadata?.name ?? ''}`);
    const namespaces = new Set([
      ...standingNamespaces,
      ...this.cluster.workloads.map((workload) => workload.spec.namespace),
    ]);
    const spec = newBarePod(namespace, pod, namespaces);
    const key = podKey(namespace, spec.name);
    if (this.cluster.pods.has(key) || this.cluster.barePods.get(namespace, spec.name) !== undefined)
      return false;
    this.touchNodeOf(spec.nodeName, 'create pod', key);
    this.cluster.barePods.create(spec);
    return true;
  }

  async patchNode(
    name: string,
    patch: Parameters<KubernetesPort['patchNode']>[1] & { taints?: Taint[] },
  ): Promise<V1Node> {
    this.call('k8s:cordon', `patch node ${name}`);
    const node = this.cluster.patchNode(name, patch);
    if (node === undefined) throw new Error(`patch node ${name}: nodes "${name}" not found (404)`);
    this.world.touch(node.groupName, 'patch node', name);
    if (patch.unschedulable === true) this.world.deadlines.cordoned(node.groupName, name);
    if (patch.unschedulable === false) this.world.deadlines.drainOver(node.groupName, name);
    return renderNode(node, this.now);
  }

  async evictPod(
    namespace: string,
    name: string,
    gracePeriodSeconds?: number,
    dryRun = false,
  ): Promise<EvictionOutcome> {
    // No PodDisruptionBudget is consulted for a bare pod: the simulator's budgets count workloads' pods.
    if (this.deleteBarePod('k8s:evict', 'evict', namespace, name, gracePeriodSeconds, dryRun)) {
      return { kind: 'evicted' };
    }
    // A dry run asks for nothing to go: no drain begins.
    const nodeName = dryRun
      ? this.cluster.pods.get(podKey(namespace, name))?.nodeName
      : this.removalAsked(namespace, name);
    this.call('k8s:evict', `evict pod ${namespace}/${name}`);
    const outcome = this.cluster.evict(namespace, name, gracePeriodSeconds, dryRun);
    if (outcome.kind === 'evicted' && nodeName !== undefined && !dryRun) {
      this.world.touch(this.world.groupOfNode(nodeName), 'evict pod', podKey(namespace, name));
    }
    return outcome;
  }

  async deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Promise<boolean> {
    const bare = this.deleteBarePod('k8s:delete', 'delete', namespace, name, gracePeriodSeconds);
    if (bare !== undefined) return bare;
    const nodeName = this.removalAsked(namespace, name);
    this.call('k8s:delete', `delete pod ${namespace}/${name}`);
    const group = nodeName === undefined ? undefined : this.world.groupOfNode(nodeName);
    const forced = group !== undefined && this.world.targets.forcedGroups.has(group);
    const deleted = this.cluster.deletePod(namespace, name, gracePeriodSeconds, forced);
    if (deleted && nodeName !== undefined) this.world.touch(group, 'delete pod', podKey(namespace, name));
    return deleted;
  }

  /** A change to a pod is one to its node's group (none while the node does not exist). */
  private touchNodeOf(nodeName: string, action: string, resource: string): void {
    const group = this.world.groupOfNode(nodeName);
    if (group !== undefined) this.world.touch(group, action, resource);
  }

  /**
   * DELETE of a bare pod, or its eviction: undefined when no bare pod has that name; with `dryRun`,
   * the answer and no change.
   */
  private deleteBarePod(
    api: string,
    verb: string,
    namespace: string,
    name: string,
    gracePeriodSeconds: number | undefined,
    dryRun = false,
  ): boolean | undefined {
    const pod = this.cluster.barePods.get(namespace, name);
    if (pod === undefined) return undefined;
    this.call(api, `${verb} pod ${namespace}/${name}`);
    if (dryRun) return true;
    this.touchNodeOf(pod.nodeName, `${verb} pod`, podKey(namespace, name));
    return this.cluster.barePods.delete(namespace, name, gracePeriodSeconds);
  }

  async listPodDisruptionBudgets(namespace?: string): Promise<V1PodDisruptionBudget[]> {
    this.call('k8s:listPdbs', `list PodDisruptionBudgets in ${namespace ?? 'all namespaces'}`);
    return this.cluster.budgets
      .filter((budget) => namespace === undefined || budget.namespace === namespace)
      .map((budget) => renderPodDisruptionBudget(budget, this.cluster, this.now));
  }

  async getController(
    namespace: string,
    kind: PodControllerKind,
    name: string,
  ): Promise<V1ReplicaSet | V1StatefulSet | undefined> {
    this.call('k8s:getController', `get ${kind} ${namespace}/${name}`);
    for (const workload of this.cluster.workloads) {
      const { spec } = workload;
      if (spec.namespace !== namespace) continue;
      if (kind === 'StatefulSet' && spec.name === name) return renderStatefulSet(workload, this.cluster);
      if (kind === 'ReplicaSet' && spec.kind === 'Deployment' && name.startsWith(`${spec.name}-`)) {
        const replicaSet = renderReplicaSet(workload, name.slice(spec.name.length + 1), this.cluster);
        if (replicaSet !== undefined) return replicaSet;
      }
    }
    return undefined;
  }

  /** The same GET as getDaemonSet, without rendering its status (which counts every node and pod). */
  async daemonSetExists(namespace: string, name: string): Promise<boolean> {
    this.call('k8s:getDaemonSet', `get DaemonSet ${namespace}/${name}`);
    return this.daemonSet(namespace, name) !== undefined;
  }

  async getDaemonSet(namespace: string, name: string): Promise<V1DaemonSet | undefined> {
    this.call('k8s:getDaemonSet', `get DaemonSet ${namespace}/${name}`);
    const workload = this.daemonSet(namespace, name);
    return workload === undefined ? undefined : renderDaemonSet(workload, this.cluster);
  }

  private daemonSet(namespace: string, name: string) {
    return this.cluster.workloads.find(
      ({ spec }) => spec.kind === 'DaemonSet' && spec.namespace === namespace && spec.name === name,
    );
  }
}
