import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { DrainBlocked } from '../../commons/errors.ts';
import {
  type ControllerCounts,
  type ControllerRef,
  controllerCounts,
  type SoughtController,
  soughtSelector,
} from '../../domain/drain.ts';
import { type EvictionRules, type EvictionVerdict, evictionVerdict } from '../../domain/eviction.ts';
import {
  controllerOf,
  imagesOnNode,
  isNodeReady,
  isTerminating,
  nodeName,
  podKey,
} from '../../domain/nodes.ts';
import { notPrePull } from '../../domain/pre-pull.ts';
import { inBursts } from './bursts.ts';
import type { EvictionOutcome, KubernetesPort } from './port.ts';

/**
 * One drain round over the Kubernetes port, shared by the workflow's drain step and `npm run drain`:
 * the verdicts of the pods on the nodes, then one Eviction API call per pod. Waiting between rounds
 * is the caller's (the state machine, or the command's loop).
 */

export interface JudgedPod {
  pod: V1Pod;
  verdict: EvictionVerdict;
}

/** How the caller spells its options, so that a message suggests one the operator can type. */
export interface FlagNames {
  force: string;
  deleteEmptyDirData: string;
  overridePdbAfterTimeout: string;
}

/** The execution input's field names. */
export const inputFlagNames: FlagNames = {
  force: 'force',
  deleteEmptyDirData: 'deleteEmptyDirData',
  overridePdbAfterTimeout: 'overridePdbAfterTimeout',
};

export interface DrainRules extends EvictionRules {
  /** Default: each pod's own terminationGracePeriodSeconds. */
  gracePeriodSeconds?: number;
  /** At the deadline, delete the pods PDBs still refuse; until then a pod under several PDBs waits for it. */
  overridePdbAfterTimeout: boolean;
  /** Default: the execution input's field names. */
  flags?: FlagNames;
}

export interface EvictionRound {
  evicted: V1Pod[];
  /** Pods the API would not evict this round (a PDB said 429, or, with the PDB override, several PDBs). */
  refused: V1Pod[];
  /** The 429s, as `namespace/pod refused by PDB name: message`. */
  blockers: string[];
}

export type EvictionObserver = (pod: V1Pod, outcome: EvictionOutcome) => void;

/** The pods bound to the nodes, each with its `kubectl drain` verdict. */
export async function judgePods(
  kubernetes: KubernetesPort,
  nodeNames: string[],
  rules: EvictionRules,
): Promise<JudgedPod[]> {
  const pods = (await Promise.all(nodeNames.map((node) => kubernetes.listPodsOnNode(node)))).flat();
  const judged: JudgedPod[] = [];
  for (const pod of pods) {
    const owner = controllerOf(pod);
    const daemonSetExists =
      owner?.kind === 'DaemonSet'
        ? await kubernetes.daemonSetExists(pod.metadata?.namespace ?? '', owner.name)
        : true;
    judged.push({ pod, verdict: evictionVerdict(pod, rules, { daemonSetExists }) });
  }
  return judged;
}

/**
 * Of the pods named (`namespace/name`), those still bound to one of the nodes: one GET each, as
 * `kubectl drain` waits for a deletion. A 404 is gone; so is a pod whose name a new pod holds elsewhere
 * (a StatefulSet's), while one bound to the cordoned node again (it tolerates the cordon) is still there.
 */
export async function podsStillOn(
  kubernetes: KubernetesPort,
  keys: string[],
  nodeNames: string[],
): Promise<V1Pod[]> {
  const nodes = new Set(nodeNames);
  const pods = await inBursts(keys, (key) => {
    const slash = key.indexOf('/');
    return kubernetes.getPod(key.slice(0, slash), key.slice(slash + 1));
  });
  return pods.filter((pod): pod is V1Pod => pod !== undefined && nodes.has(pod.spec?.nodeName ?? ''));
}

/**
 * Each controller's counts now, by uid: one GET of each (its status), never a list of its pods, so a
 * drain round costs the same in a cluster of any size. A controller gone, or re-created under the
 * same name, is left out.
 */
export async function readControllers(
  kubernetes: KubernetesPort,
  refs: ControllerRef[],
): Promise<Map<string, ControllerCounts>> {
  const read = await Promise.all(
    refs.map(async (ref) => {
      const controller = await kubernetes.getController(ref.namespace, ref.kind, ref.controller);
      const sameOne = controller?.metadata?.uid === undefined || controller.metadata.uid === ref.uid;
      return [ref.uid, sameOne ? controllerCounts(controller) : undefined] as const;
    }),
  );
  return new Map(read.flatMap(([uid, counts]) => (counts === undefined ? [] : [[uid, counts] as const])));
}

/**
 * The pods of the given controllers, by each controller's own label selector (one list per
 * controller, never a namespace), keeping only those the controller owns; with `limit`, a sample of
 * that many per controller (the first page).
 */
export async function podsOfControllers(
  kubernetes: KubernetesPort,
  refs: ControllerRef[],
  controllers: Map<string, ControllerCounts>,
  limit?: number,
): Promise<V1Pod[]> {
  const listed = await Promise.all(
    refs.map(async (ref) => {
      const labelSelector = controllers.get(ref.uid)?.selector;
      if (labelSelector === undefined) return [];
      const selected = await kubernetes.listPods(ref.namespace, { labelSelector, limit });
      return selected.filter((pod) => controllerOf(pod)?.uid === ref.uid);
    }),
  );
  return listed.flat();
}

/**
 * Pods on the newest of the given nodes (this rollout's new nodes), listed node by node from the
 * newest until each controller sought (by uid, with its pods' images and template label) has a pod there or `maxNodes`
 * were looked at: where the evicted pods' replacements ran, so how long they take to start on the new
 * AMI, for a cost per batch. A node without the images of any controller still sought is not listed:
 * none of their pods runs there (`status.images`; unless it reports as many as the kubelet does at
 * most, `nodeStatusMaxImages` 50 by default, and may have left some out).
 */
export async function podsOnNewestNodes(
  kubernetes: KubernetesPort,
  nodes: V1Node[],
  sought: Map<string, SoughtController>,
  maxNodes: number,
): Promise<V1Pod[]> {
  const newest = [...nodes]
    .filter((node) => isNodeReady(node) && !node.spec?.unschedulable)
    .sort((a, b) => createdAt(b) - createdAt(a))
    .slice(0, maxNodes);
  const listed: V1Pod[] = [];
  const missing = new Map(sought);
  for (const node of newest) {
    if (missing.size === 0) break;
    const present = imagesOnNode(node);
    const mayRun = (images: string[]) => images.every((image) => present.has(image));
    const stillSought = [...missing.values()];
    if (
      (node.status?.images?.length ?? 0) < kubeletMaxImages &&
      !stillSought.some(({ images }) => mayRun(images))
    )
      continue;
    // Only the pods of the controllers still sought when a label tells them (a pre-pulled node holds
    // their images whether it runs them or not); else every pod but the node's own pre-pull pod.
    const pods = await kubernetes.listPods(undefined, {
      fieldSelector: `spec.nodeName=${nodeName(node)}`,
      labelSelector: soughtSelector(stillSought) ?? notPrePull,
    });
    listed.push(...pods);
    for (const pod of pods) missing.delete(controllerOf(pod)?.uid ?? '');
  }
  return listed;
}

/**
 * The kubelet reports at most this many images in `status.images` (KubeletConfiguration
 * `nodeStatusMaxImages`, default 50, k8s.io/kubelet/config/v1beta1). A kubelet set to report fewer
 * only makes a node skipped here: a start time not learned, nothing unsafe.
 */
const kubeletMaxImages = 50;

const createdAt = (node: V1Node) => new Date(node.metadata?.creationTimestamp ?? 0).getTime();

/** The pods to evict; any pod the rules do not allow refuses the whole drain (DrainBlocked naming it). */
export function evictablePods(
  judged: JudgedPod[],
  nodeNames: string[],
  flags: FlagNames = inputFlagNames,
): V1Pod[] {
  const blocked = judged.flatMap(({ pod, verdict }) =>
    verdict.action === 'blocked' ? [`${podKey(pod)} ${verdict.reason}`] : [],
  );
  if (blocked.length > 0) {
    throw new DrainBlocked(
      `Pods on ${nodeNames.join(', ')} cannot be evicted: ${blocked.join('; ')}. Fix them, or allow bare and ` +
        `orphaned DaemonSet pods with ${flags.force} and emptyDir pods with ${flags.deleteEmptyDirData}.`,
    );
  }
  return judged.flatMap(({ pod, verdict }) => (verdict.action === 'evict' ? [pod] : []));
}

/**
 * Asks the Eviction API (`policy/v1`) to evict each pod not already terminating. A pod under several
 * PDBs can never be evicted: DrainBlocked naming every such pod, unless the PDB override is given
 * (then they wait for the deadline's delete).
 */
export async function evictionRound(
  kubernetes: KubernetesPort,
  pods: V1Pod[],
  rules: DrainRules,
  observe: EvictionObserver = () => undefined,
): Promise<EvictionRound> {
  const round: EvictionRound = { evicted: [], refused: [], blockers: [] };
  const underSeveral: string[] = [];
  for (const pod of pods.filter((p) => !isTerminating(p))) {
    const { namespace = '', name = '' } = pod.metadata ?? {};
    const outcome = await kubernetes.evictPod(namespace, name, rules.gracePeriodSeconds);
    observe(pod, outcome);
    if (outcome.kind === 'evicted') round.evicted.push(pod);
    if (outcome.kind === 'blockedByPdb') {
      round.refused.push(pod);
      round.blockers.push(
        `${podKey(pod)} refused by PDB ${outcome.pdbNames.join(', ') || '(unnamed)'}: ${outcome.message}`,
      );
    }
    if (outcome.kind === 'multiplePdbs') {
      underSeveral.push(`${podKey(pod)} (${outcome.message})`);
      round.refused.push(pod);
      round.blockers.push(`${podKey(pod)} is under several PDBs: ${outcome.message}`);
    }
  }
  if (underSeveral.length > 0 && !rules.overridePdbAfterTimeout) {
    const { overridePdbAfterTimeout } = rules.flags ?? inputFlagNames;
    throw new DrainBlocked(
      `The Eviction API never evicts a pod under several PDBs: ${underSeveral.join('; ')}. ` +
        `Give each pod a single PDB, or use ${overridePdbAfterTimeout} to delete them at the deadline.`,
    );
  }
  return round;
}

/** With the PDB override, at the deadline: plain deletes of the pods the API still refuses; their keys, for the report. */
export async function deletePods(
  kubernetes: KubernetesPort,
  pods: V1Pod[],
  gracePeriodSeconds: number | undefined,
): Promise<string[]> {
  for (const pod of pods) {
    await kubernetes.deletePod(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', gracePeriodSeconds);
  }
  return pods.map(podKey);
}

export interface RefusedNow {
  pod: V1Pod;
  detail: string;
}

/**
 * What the API server would refuse now: one `dryRun=All` eviction per pod (the eviction REST checks the
 * budgets and changes nothing), as `kubectl drain --dry-run=server` does.
 */
export async function refusedNow(
  kubernetes: KubernetesPort,
  pods: V1Pod[],
  gracePeriodSeconds?: number,
): Promise<RefusedNow[]> {
  const refused: RefusedNow[] = [];
  for (const pod of pods.filter((p) => !isTerminating(p))) {
    const { namespace = '', name = '' } = pod.metadata ?? {};
    const outcome = await kubernetes.evictPod(namespace, name, gracePeriodSeconds, true);
    if (outcome.kind === 'blockedByPdb' || outcome.kind === 'multiplePdbs') {
      refused.push({ pod, detail: outcome.message });
    }
  }
  return refused;
}
