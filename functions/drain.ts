import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { V1Pod } from '@kubernetes/client-node';
import * as z from 'zod';
import { deletePods, evictablePods, evictionRound, judgePods } from './adapters/kubernetes/drain-round.ts';
import type { KubernetesPort } from './adapters/kubernetes/port.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { DrainTimeout } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { metrics } from './commons/powertools.ts';
import { type RolloutInput, rolloutInputSchema } from './commons/rollout-input.ts';
import { batchSchema, type DrainState, drainSchema } from './commons/state.ts';
import { drainForecast, drainWaitSeconds, ownerBaselines, ownersNotYetReady } from './domain/drain.ts';

const event = z.object({ input: rolloutInputSchema, batch: batchSchema, drain: drainSchema.nullable() });

async function podsOfNamespaces(kubernetes: KubernetesPort, namespaces: Set<string>): Promise<V1Pod[]> {
  return (await Promise.all([...namespaces].map((ns) => kubernetes.listPods(ns)))).flat();
}

/** When the drain of this batch began: its deadline minus the allowed time. */
const drainStart = (state: DrainState, input: RolloutInput) =>
  state.deadline - input.drainTimeoutSeconds * 1000;

/**
 * One round of the drain: evict what may go (PDBs decide, through the Eviction API), and report
 * "done" once the batch holds no evictable pod and the evicted pods are Ready elsewhere. The state
 * machine waits between rounds, as long as the pods show it will take; at the deadline the drain
 * fails (or, with overridePdbAfterTimeout, deletes).
 */
export const makeHandler = (deps: Pick<Dependencies, 'kubernetes' | 'now'>) =>
  lambdaHandler(
    event,
    async ({ input, batch, drain }): Promise<DrainState> => {
      const kubernetes = await deps.kubernetes(input.clusterName);
      const now = deps.now();
      const nodeNames = batch.nodes.map((n) => n.nodeName).filter((name) => name !== '');
      const pods = evictablePods(await judgePods(kubernetes, nodeNames, input), nodeNames);
      const namespaces = new Set([
        ...pods.map((pod) => pod.metadata?.namespace ?? ''),
        ...(drain?.owners ?? []).map((owner) => owner.namespace),
      ]);
      const namespacePods = await podsOfNamespaces(kubernetes, namespaces);
      const state: DrainState = drain ?? {
        done: false,
        seconds: 1,
        deadline: now + input.drainTimeoutSeconds * 1000,
        owners: ownerBaselines(pods, namespacePods),
        evicted: 0,
        forced: [],
        blockers: [],
      };
      const { evicted, refused, blockers } = await evictionRound(kubernetes, pods, input);
      const forced = [...state.forced];
      if (refused.length > 0 && now >= state.deadline) {
        if (!input.overridePdbAfterTimeout) {
          throw new DrainTimeout(
            `Drain of ${nodeNames.join(', ')} did not finish within ${input.drainTimeoutSeconds} s: ${blockers.join('; ')}. ` +
              'Make the PDB allow a disruption (are its pods healthy?), raise drainTimeoutSeconds, or start again with ' +
              'overridePdbAfterTimeout to delete the pods the PDBs still refuse at the deadline (force does not override PDBs).',
          );
        }
        forced.push(...(await deletePods(kubernetes, refused, input.gracePeriodSeconds)));
      }
      const next = { ...state, evicted: state.evicted + evicted.length, forced, blockers };
      const notReady = pods.length > 0 ? [] : ownersNotYetReady(state.owners, namespacePods);
      if (pods.length === 0 && notReady.length === 0) {
        const drainSeconds = Math.round((now - drainStart(state, input)) / 1000);
        metrics.addMetric('DrainSeconds', MetricUnit.Seconds, drainSeconds);
        return { ...next, done: true, seconds: 1 };
      }
      if (pods.length === 0 && now >= state.deadline) {
        throw new DrainTimeout(
          `Evicted pods of ${nodeNames.join(', ')} were not Ready elsewhere within ${input.drainTimeoutSeconds} s: ${notReady.join('; ')}. ` +
            'Check that the cluster has room for them (pending pods, image pulls), or raise drainTimeoutSeconds.',
        );
      }
      const forecast = drainForecast({
        now,
        batchPods: pods,
        evicted: evicted.map((pod) => ({
          pod,
          graceSeconds: input.gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30,
        })),
        refused,
        namespacePods,
        owners: state.owners,
      });
      const seconds = drainWaitSeconds(forecast, now, (now - drainStart(state, input)) / 1000);
      return pods.length > 0
        ? { ...next, done: false, seconds }
        : { ...next, done: false, blockers: notReady.map((owner) => `waiting for ${owner}`), seconds };
    },
    { emitsMetrics: true },
  );

export const handler = makeHandler({ kubernetes: kubernetesConnector(), now: Date.now });
