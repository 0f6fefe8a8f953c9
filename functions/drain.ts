import type { V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import type { KubernetesPort } from './adapters/kubernetes/port.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { DrainBlocked, DrainTimeout } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { type RolloutInput, rolloutInputSchema } from './commons/rollout-input.ts';
import { batchSchema, type DrainState, drainSchema } from './commons/state.ts';
import { drainWaitSeconds, ownerBaselines, ownersNotYetReady } from './domain/drain.ts';
import { evictionVerdict } from './domain/eviction.ts';
import { controllerOf, isTerminating, podKey } from './domain/nodes.ts';

const event = z.object({ input: rolloutInputSchema, batch: batchSchema, drain: drainSchema.nullable() });

async function podsOfNamespaces(kubernetes: KubernetesPort, namespaces: Set<string>): Promise<V1Pod[]> {
  return (await Promise.all([...namespaces].map((ns) => kubernetes.listPods(ns)))).flat();
}

/** Evictable pods of the batch, after refusing (without force) any pod the rules do not allow. */
async function podsToDrain(
  kubernetes: KubernetesPort,
  nodeNames: string[],
  input: RolloutInput,
): Promise<V1Pod[]> {
  const pods = (await Promise.all(nodeNames.map((node) => kubernetes.listPodsOnNode(node)))).flat();
  const evictable: V1Pod[] = [];
  const blocked: string[] = [];
  for (const pod of pods) {
    const owner = controllerOf(pod);
    const daemonSetExists =
      owner?.kind === 'DaemonSet'
        ? await kubernetes.daemonSetExists(pod.metadata?.namespace ?? '', owner.name)
        : true;
    const verdict = evictionVerdict(pod, input, { daemonSetExists });
    if (verdict.action === 'evict') evictable.push(pod);
    if (verdict.action === 'blocked') blocked.push(`${podKey(pod)} ${verdict.reason}`);
  }
  if (blocked.length > 0) {
    throw new DrainBlocked(
      `Pods on ${nodeNames.join(', ')} cannot be evicted: ${blocked.join('; ')}. Fix them or run again with force/deleteEmptyDirData.`,
    );
  }
  return evictable;
}

/**
 * One round of the drain: evict what may go (PDBs decide, through the Eviction API), and report
 * "done" once the batch holds no evictable pod and the evicted pods are Ready elsewhere. The state
 * machine waits between rounds; at the deadline the drain fails (or, with force, deletes).
 */
export const makeHandler = (deps: Pick<Dependencies, 'kubernetes' | 'now'>) =>
  lambdaHandler(event, async ({ input, batch, drain }): Promise<DrainState> => {
    const kubernetes = await deps.kubernetes(input.clusterName);
    const now = deps.now();
    const nodeNames = batch.nodes.map((n) => n.nodeName).filter((name) => name !== '');
    const pods = await podsToDrain(kubernetes, nodeNames, input);
    const namespaces = new Set(pods.map((pod) => pod.metadata?.namespace ?? ''));
    const state: DrainState = drain ?? {
      done: false,
      seconds: 1,
      deadline: now + input.drainTimeoutSeconds * 1000,
      owners: ownerBaselines(pods, await podsOfNamespaces(kubernetes, namespaces)),
      evicted: 0,
      forced: [],
      blockers: [],
    };
    const blockers: string[] = [];
    const refused: V1Pod[] = [];
    let evicted = state.evicted;
    const forced = [...state.forced];
    for (const pod of pods.filter((p) => !isTerminating(p))) {
      const { namespace = '', name = '' } = pod.metadata ?? {};
      const outcome = await kubernetes.evictPod(namespace, name, input.gracePeriodSeconds);
      if (outcome.kind === 'evicted') evicted += 1;
      if (outcome.kind === 'blockedByPdb') {
        refused.push(pod);
        blockers.push(
          `${podKey(pod)} refused by PDB ${outcome.pdbNames.join(', ') || '(unnamed)'}: ${outcome.message}`,
        );
      }
      if (outcome.kind === 'multiplePdbs') {
        if (!input.force) {
          throw new DrainBlocked(
            `Pod ${podKey(pod)} cannot be evicted: ${outcome.message} Give it a single PDB, or use force.`,
          );
        }
        refused.push(pod);
      }
    }
    if (refused.length > 0 && now >= state.deadline) {
      if (!input.force) {
        throw new DrainTimeout(
          `Drain of ${nodeNames.join(', ')} did not finish within ${input.drainTimeoutSeconds} s: ${blockers.join('; ')}. ` +
            'Make the PDB allow a disruption (are its pods healthy?), raise drainTimeoutSeconds, or use force.',
        );
      }
      for (const pod of refused) {
        await kubernetes.deletePod(
          pod.metadata?.namespace ?? '',
          pod.metadata?.name ?? '',
          input.gracePeriodSeconds,
        );
        forced.push(podKey(pod));
      }
    }
    const terminating = pods.filter(isTerminating);
    const next = { ...state, evicted, forced, blockers };
    if (pods.length > 0) {
      return { ...next, done: false, seconds: drainWaitSeconds(terminating, refused.length) };
    }
    const notReady = ownersNotYetReady(
      state.owners,
      await podsOfNamespaces(kubernetes, new Set(state.owners.map((o) => o.namespace))),
    );
    if (notReady.length === 0) return { ...next, done: true, seconds: 1 };
    if (now >= state.deadline) {
      throw new DrainTimeout(
        `Evicted pods of ${nodeNames.join(', ')} were not Ready elsewhere within ${input.drainTimeoutSeconds} s: ${notReady.join('; ')}. ` +
          'Check that the cluster has room for them (pending pods, image pulls), or raise drainTimeoutSeconds.',
      );
    }
    return { ...next, done: false, blockers: notReady.map((owner) => `waiting for ${owner}`), seconds: 15 };
  });

export const handler = makeHandler({ kubernetes: kubernetesConnector(), now: Date.now });
