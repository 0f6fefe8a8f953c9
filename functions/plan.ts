import type { V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import * as z from 'zod';
import { describeGroup } from './adapters/autoscaling.ts';
import { describeInstances } from './adapters/ec2.ts';
import { inBursts } from './adapters/kubernetes/bursts.ts';
import { refusedNow } from './adapters/kubernetes/drain-round.ts';
import type { KubernetesPort } from './adapters/kubernetes/port.ts';
import { describeWarmPool } from './adapters/warm-pool.ts';
import { autoScalingClient, ec2Client } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { DrainBlocked, NodeGroupNotFound } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { kubernetesConnector } from './commons/kubernetes.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { type Plan, verifiedSchema } from './commons/state.ts';
import { selectorText } from './domain/drain.ts';
import { fastLaunchWarnings } from './domain/fast-launch.ts';
import { surplusInstances } from './domain/group-size.ts';
import { cappedWithCount, listText } from './domain/limits.ts';
import { eksDrainRisks } from './domain/managed.ts';
import { controllerOf, nodeName, nodesByInstance, podKey } from './domain/nodes.ts';
import {
  batchesPerExecution,
  batchesWithinState,
  estimateSeconds,
  type GroupMember,
  orderForReplacement,
  peakSurge,
  selectNodes,
  surgeBatchesFor,
  toBatches,
  withRemoval,
} from './domain/plan.ts';
import { imagesMostNeededFirst } from './domain/pre-pull.ts';
import { coveredAmong, pdbName, preflight } from './domain/preflight.ts';
import { expectedBootSeconds } from './domain/replacements.ts';
import { warmPoolPlanNote } from './domain/warm-pool.ts';

const event = z.object({ input: rolloutInputSchema, verified: verifiedSchema });

type Deps = Pick<Dependencies, 'ec2' | 'autoScaling' | 'kubernetes'>;

async function daemonSetLookup(kubernetes: KubernetesPort, pods: V1Pod[]): Promise<(pod: V1Pod) => boolean> {
  const keys = new Set(
    pods.flatMap((pod) => {
      const owner = controllerOf(pod);
      return owner?.kind === 'DaemonSet' ? [`${pod.metadata?.namespace}/${owner.name}`] : [];
    }),
  );
  const existing = new Set<string>();
  for (const key of keys) {
    const [namespace = '', name = ''] = key.split('/');
    if (await kubernetes.daemonSetExists(namespace, name)) existing.add(key);
  }
  return (pod) => existing.has(`${pod.metadata?.namespace}/${controllerOf(pod)?.name}`);
}

/**
 * The pods bound to the nodes, one list per node (`spec.nodeName`): the group's own pods, never the
 * whole cluster's. In key order, as one list of every pod would give them.
 */
async function podsOnNodes(kubernetes: KubernetesPort, nodeNames: string[]): Promise<V1Pod[]> {
  const pods = (await inBursts(nodeNames, (name) => kubernetes.listPodsOnNode(name))).flat();
  return pods.sort((a, b) => {
    const [keyA, keyB] = [podKey(a), podKey(b)];
    return keyA < keyB ? -1 : keyA > keyB ? 1 : 0;
  });
}

const registeredAt = (node: V1Node) => new Date(node.metadata?.creationTimestamp ?? 0).getTime();

/**
 * How many pods each PDB covers: the disruption controller's own count (`status.expectedPods`); a
 * PDB it has not counted (no status yet, or a failed sync) from a list by its own selector.
 */
async function pdbCoverage(
  kubernetes: KubernetesPort,
  pdbs: V1PodDisruptionBudget[],
): Promise<(pdb: V1PodDisruptionBudget) => number> {
  const counts = new Map<string, number>();
  for (const pdb of pdbs) {
    const expected = pdb.status?.expectedPods ?? 0;
    const selector = pdb.spec?.selector;
    const listed =
      expected > 0 || selector === undefined
        ? []
        : await kubernetes.listPods(pdb.metadata?.namespace, { labelSelector: selectorText(selector) });
    counts.set(pdbName(pdb), expected > 0 ? expected : coveredAmong(listed)(pdb));
  }
  return (pdb) => counts.get(pdbName(pdb)) ?? 0;
}

/** What to change, naming the input fields that lift each kind of blocker. */
function planFix(rulesRefuse: boolean, pdbsRefuse: boolean): string {
  return [
    ...(rulesRefuse
      ? ['Give bare pods a controller or allow them with force; allow emptyDir pods with deleteEmptyDirData.']
      : []),
    ...(pdbsRefuse
      ? [
          'Relax the PDB (or give each pod a single PDB), or start again with overridePdbAfterTimeout ' +
            '(the pods PDBs still refuse at the drain deadline are deleted, each one reported).',
        ]
      : []),
  ].join(' ');
}

/** Read-only: which nodes, in which batches, and what would block the drain. */
export const makeHandler = (deps: Deps) =>
  lambdaHandler(event, async ({ input, verified }): Promise<Plan> => {
    const group = await describeGroup(deps.autoScaling, verified.group.asgName);
    if (!group)
      throw new NodeGroupNotFound(
        `Auto Scaling group ${verified.group.asgName} disappeared during the plan.`,
      );
    const live = group.instances.filter((i) => !/^Terminat/.test(i.lifecycleState)).map((i) => i.instanceId);
    const kubernetes = await deps.kubernetes(input.clusterName);
    const [instances, nodes, pdbs] = await Promise.all([
      describeInstances(deps.ec2, live),
      kubernetes.listNodes(),
      kubernetes.listPodDisruptionBudgets(),
    ]);
    const byInstance = nodesByInstance(nodes);
    const members: GroupMember[] = instances.map((instance) => ({
      instanceId: instance.instanceId,
      imageId: instance.imageId,
      availabilityZone: instance.availabilityZone,
      launchTime: instance.launchTime,
      nodeName: byInstance.get(instance.instanceId)?.metadata?.name,
    }));
    const managed = verified.group.managed;
    // What an earlier run left beyond the group's own size goes first, and is not the group's to keep
    // (a managed group's size is EKS's to keep).
    const surplusIds = new Set(managed ? [] : surplusInstances(members, verified.group.desired));
    const surplus = members.filter((m) => surplusIds.has(m.instanceId));
    const { toReplace, onTarget } = selectNodes(
      members.filter((m) => !surplusIds.has(m.instanceId)),
      input.amiId,
    );
    const ordered = orderForReplacement(toReplace);
    const surgeBatches = surgeBatchesFor(input.surgeBatches, group.tags);
    // A continuation resumes a rollout whose canary already baked.
    const canary = input.continuedFrom === undefined ? input.canary : undefined;
    // A managed group is rolled by EKS in one update: no batches of ours, no continuation.
    const perExecution = managed
      ? Number.POSITIVE_INFINITY
      : Math.max(1, batchesPerExecution({ ...input, canary }) - (surplus.length > 0 ? 1 : 0));
    const cut = (limit: number) =>
      withRemoval(
        surplus,
        toBatches(
          ordered,
          {
            batchSize: input.maxUnavailable,
            canary,
            bakeSeconds: input.bakeSeconds,
            approvalAfterCanary: input.approval === 'afterCanary',
            surgeBatches,
          },
          onTarget.length,
          limit,
        ),
        surgeBatches,
      );
    const cutByHistory = cut(perExecution);
    // Large batches with their launches listed ahead: fewer per execution, so that its state fits
    // (a managed group's batches are EKS's, in one update).
    const fitting = managed
      ? cutByHistory.length
      : batchesWithinState(cutByHistory.map((batch) => JSON.stringify(batch).length));
    const batches =
      fitting < cutByHistory.length ? cut(Math.max(1, fitting - (surplus.length > 0 ? 1 : 0))) : cutByHistory;
    const planned = batches.reduce((count, batch) => count + (batch.removal ? 0 : batch.nodes.length), 0);
    const replacedNodes = new Set([...toReplace, ...surplus].flatMap((m) => m.nodeName ?? []));
    // A continuation lists only the pods of nodes registered since the execution before it began: the
    // rollout's plans checked the others before any change, and each batch's drain checks them again.
    const carried = input.continuedWith;
    const checkedBefore =
      carried === undefined ? Number.NEGATIVE_INFINITY : Date.parse(carried.checkedNodesBefore);
    const toCheck = nodes
      .filter((node) => replacedNodes.has(nodeName(node)) && registeredAt(node) >= checkedBefore)
      .map(nodeName);
    const podsToMove = await podsOnNodes(kubernetes, toCheck);
    const checks = preflight(
      podsToMove,
      // No pod to move, no PDB to count (a count may take a list of the PDB's pods).
      await pdbCoverage(kubernetes, podsToMove.length === 0 ? [] : pdbs),
      pdbs,
      input,
      await daemonSetLookup(kubernetes, podsToMove),
    );
    if (managed) {
      const evicted = new Set(checks.verdicts.filter((v) => v.verdict.action === 'evict').map((v) => v.pod));
      // What EKS's fixed 15 minutes would fail on: lifted, like a PDB, only by the PDB override (EKS's force).
      const risks = eksDrainRisks(
        podsToMove.filter((pod) => evicted.has(podKey(pod))),
        pdbs,
      );
      checks.blockers.push(...risks);
      checks.pdbBlockers.push(...risks);
    }
    const surgeMax = verified.group.desired + peakSurge(surgeBatches, input.maxUnavailable, toReplace.length);
    // EKS managed node groups have no warm pool.
    const poolNote = managed
      ? undefined
      : warmPoolPlanNote(await describeWarmPool(deps.autoScaling, deps.ec2, group.asgName), input.amiId);
    const warnings = [
      ...surplus.map(
        (m) =>
          `instance ${m.instanceId} (${m.nodeName ?? 'no node'}) is beyond the group's own size of ${verified.group.desired}, ` +
          'left by an earlier run: it is drained and removed before anything is replaced',
      ),
      ...checks.warnings,
      ...(input.overridePdbAfterTimeout
        ? ['overridePdbAfterTimeout: pods their PDBs still refuse at the drain deadline are deleted']
        : []),
      ...fastLaunchWarnings(
        input.amiId,
        verified.fastLaunch,
        Math.max(0, ...batches.filter((batch) => !batch.removal).map((batch) => batch.nodes.length)),
        input.dryRun ? input.fastLaunchWaitSeconds : 0,
      ),
      ...(surgeMax > group.maxSize && !managed
        ? [`maxSize is raised from ${group.maxSize} to ${surgeMax} during the rollout`]
        : []),
      ...(poolNote === undefined ? [] : [poolNote]),
    ];
    // Only the PDB override lifts what PDBs refuse (deleted at the deadline); force and deleteEmptyDirData
    // are already in the verdicts, so a pod the rules still refuse refuses the rollout whatever the flags.
    const pdbRefused = checks.pdbBlockers.length > 0 && !input.overridePdbAfterTimeout;
    const refused = checks.blockedPods.length > 0 || pdbRefused;
    if (refused && !input.dryRun) {
      throw new DrainBlocked(
        `The drain of node group ${input.nodeGroupName} would be blocked: ${listText(checks.blockers, 10)}. ${planFix(checks.blockedPods.length > 0, pdbRefused)}`,
      );
    }
    const evictable = new Set(checks.verdicts.filter((v) => v.verdict.action === 'evict').map((v) => v.pod));
    const moving = podsToMove.filter((pod) => evictable.has(podKey(pod)));
    const refusedByApiServer = input.dryRun ? await refusedInFirstBatch(kubernetes, batches, moving) : [];
    const longestGrace = Math.max(
      carried?.longestGraceSeconds ?? 30,
      ...moving.map((pod) => pod.spec?.terminationGracePeriodSeconds ?? 30),
    );
    const timing = {
      bootSeconds: expectedBootSeconds(undefined, input.readyTimeoutSeconds),
      drainSeconds: longestGrace + 120,
      terminateSeconds: 90,
      surgeBatches,
    };
    return {
      batches,
      continues: planned < ordered.length,
      nodesToReplace: toReplace.length,
      nodesOnTarget: onTarget.length,
      blockers: cappedWithCount(checks.blockers, 50),
      refused,
      warnings: cappedWithCount([...refusedByApiServer, ...warnings], 50),
      estimatedSeconds:
        estimateSeconds(Math.ceil(toReplace.length / input.maxUnavailable), timing) +
        batches.reduce((total, batch) => total + batch.bakeSeconds, 0),
      batchSeconds: estimateSeconds(1, timing),
      surgeBatches,
      imagesToMove: imagesMostNeededFirst(moving, carried?.imagesToMove ?? []),
      longestGraceSeconds: longestGrace,
    };
  });

/**
 * A dry run asks the API server, as `kubectl drain --dry-run=server` does: which evictions of the first
 * batch's pods it would refuse now (PDBs as they stand; nothing changes).
 */
async function refusedInFirstBatch(kubernetes: KubernetesPort, batches: Plan['batches'], moving: V1Pod[]) {
  const firstNodes = new Set(batches[0]?.nodes.map((node) => node.nodeName) ?? []);
  const refused = await refusedNow(
    kubernetes,
    moving.filter((pod) => firstNodes.has(pod.spec?.nodeName ?? '')),
  );
  return refused.map(
    ({ pod, detail }) =>
      `pod ${podKey(pod)}: the API server would refuse its eviction now (dryRun=All): ${detail}`,
  );
}

export const handler = makeHandler({
  ec2: ec2Client(),
  autoScaling: autoScalingClient(),
  kubernetes: kubernetesConnector(),
});
