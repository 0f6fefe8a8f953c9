import { expect } from 'vitest';
import { rolloutErrorNames } from '../../functions/commons/errors.ts';
import { originalSizeTag } from '../../functions/domain/group-size.ts';
import { type ExecutionReport, type SimulationReport, simulate } from '../../simulator/runner.ts';
import { parseScenario } from '../../simulator/scenario.ts';
import { simulationStart } from '../../simulator/world/clock.ts';
import { isPodReady } from '../../simulator/world/cluster.ts';
import type { World } from '../../simulator/world.ts';
import { named, type ScenarioDocument, scenarioDocument, targetAmi } from '../simulator/world-fixture.ts';

export const group = 'win-a';
export const previousAmi = 'ami-0aaa0000000000001';
export { targetAmi };
/** What an operator rolls to when the target AMI was deregistered mid-rollout. */
export const rebuiltAmi = 'ami-0ddd0000000000004';
export { aspnet } from '../simulator/world-fixture.ts';

export const noneBroken = {
  pdbViolations: 0,
  podsDeletedWithoutEviction: 0,
  nonTargetNodesTouched: 0,
  cordonedNodesLeft: 0,
  capacityBelowMinimum: 0,
  processesLeftSuspended: 0,
  launchTemplateReferenceChanged: 0,
  concurrentRollouts: 0,
  waitsPastDeadline: 0,
};

/** The documented error names (README, SIMULATION.md): an execution that fails ends with one of them. */
export const namedErrors: readonly string[] = rolloutErrorNames;

type Fields = Record<string, unknown>;

export type SafetyDocument = ScenarioDocument;

export const rolloutInput = (fields: Fields = {}) => ({
  clusterName: 'prod',
  nodeGroupName: group,
  amiId: targetAmi,
  maxUnavailable: 2,
  // web's pods take 8 minutes to start on a fresh node (image pull) and its PDB lets one go at a
  // time: a batch of two nodes drains in about 16 minutes, more than the default 900 s deadline.
  drainTimeoutSeconds: 1800,
  ...fields,
});

/**
 * The world fixture grown to five Windows nodes in two zones (batches of 2, 2 and 1: first, middle and
 * last differ), with its managed Linux group that must never be touched, PDB-protected Deployment and
 * StatefulSet and a DaemonSet; and a rebuilt AMI for when the target is deregistered.
 */
export function safetyDocument(): SafetyDocument {
  const document = scenarioDocument();
  document.description = 'safety fixture';
  Object.assign(named(document.nodeGroups, group), { instances: 5, minSize: 3, maxSize: 7 });
  named(document.workloads, 'web').replicas = 6;
  const [target] = document.amis;
  document.amis.push({
    ...target,
    id: rebuiltAmi,
    name: String(target?.name).replace(/\d{4}\.\d{2}\.\d{2}$/, '2026.11.13'),
  });
  document.execution = { input: rolloutInput() };
  return document;
}

/** The target group as it stands: what a person would see in the console at that moment. */
export function groupState(world: World) {
  // By node group: its Auto Scaling group may have a name of its own (eksctl's).
  const autoScalingGroup = [...world.autoScaling.groups.values()].find(
    (candidate) => candidate.nodeGroupName === group,
  );
  if (autoScalingGroup === undefined) throw new Error(`no Auto Scaling group ${group}`);
  const live = autoScalingGroup.instanceIds.flatMap((id) => {
    const instance = world.ec2.instances.get(id);
    return instance && (instance.state === 'pending' || instance.state === 'running') ? [instance] : [];
  });
  return {
    launchTemplateVersion: autoScalingGroup.launchTemplate?.version,
    desired: autoScalingGroup.desiredCapacity,
    minSize: autoScalingGroup.minSize,
    maxSize: autoScalingGroup.maxSize,
    /** The size an unfinished run asks the next one to give the group back. */
    sizeTag: autoScalingGroup.tags.find((tag) => tag.key === originalSizeTag)?.value,
    live: live.map((instance) => {
      const node = world.cluster.nodes.get(instance.privateDnsName);
      const pods = world.cluster
        .podsOn(instance.privateDnsName)
        .filter((pod) => pod.workload.spec.kind !== 'DaemonSet' && isPodReady(pod));
      return {
        instanceId: instance.id,
        amiId: instance.imageId,
        launchedByRollout: instance.launchTime.getTime() >= simulationStart,
        nodeReady: node?.ready === 'True',
        cordoned: node?.unschedulable ?? false,
        workloadPods: pods.length,
      };
    }),
  };
}
export type GroupState = ReturnType<typeof groupState>;

export interface Runs {
  report: SimulationReport;
  executions: ExecutionReport[];
  /** The target group when each execution after the first started. */
  groupAtStart: GroupState[];
  /** The target group once everything settled. */
  groupAtEnd: GroupState;
}

/** Simulates a scenario, keeping the target group's state as each later execution starts and at the end. */
export async function simulateRuns(document: SafetyDocument): Promise<Runs> {
  const seen: { world?: World; started: number } = { started: 0 };
  const groupAtStart: GroupState[] = [];
  const report = await simulate(parseScenario(document), {
    onWorld: (world) => {
      seen.world = world;
    },
    onEvent: (event) => {
      if (event.event !== 'ExecutionStarted' || seen.world === undefined) return;
      if (seen.started++ > 0) groupAtStart.push(groupState(seen.world));
    },
  });
  if (seen.world === undefined) throw new Error('the simulator did not show its world');
  return { report, executions: report.executions ?? [], groupAtStart, groupAtEnd: groupState(seen.world) };
}

/** The execution ended as a rollout may: succeeded, stopped by a person, or failed with a documented name and a cause. */
export function expectNamedOutcome(execution: ExecutionReport | undefined): void {
  expect(execution).toBeDefined();
  if (execution === undefined || execution.status === 'SUCCEEDED' || execution.status === 'ABORTED') return;
  expect(execution.status).toBe('FAILED');
  expect(namedErrors, `${execution.error?.name}: ${execution.error?.cause}`).toContain(execution.error?.name);
  expect(execution.error?.cause.length).toBeGreaterThan(20);
}

/**
 * After a failure, Rollback left the group safe: pointed back at version 1 (or said why not), no node
 * cordoned, no replacement without work, desired equal to what runs, max size restored.
 */
export function expectRolledBack(state: GroupState, failureNotice: string, original: { maxSize: number }) {
  const ownSize = { minSize: 3, maxSize: original.maxSize, desired: 5 };
  if (state.launchTemplateVersion !== '1')
    expect(failureNotice).toContain(`previous AMI ${previousAmi} no longer exists`);
  expect(state.live.filter((instance) => instance.cordoned)).toEqual([]);
  // Instances the rollback launched into the emptiest zones so that AZRebalance could be resumed.
  const evening = Number(
    /(\d+) instance\(s\) launching into the zones with the fewest/.exec(failureNotice)?.[1] ?? 0,
  );
  const unused = state.live.filter(
    (instance) => instance.launchedByRollout && (!instance.nodeReady || instance.workloadPods === 0),
  );
  expect(unused.length, 'replacements left without work').toBeLessThanOrEqual(evening);
  expect(state.desired).toBe(state.live.length);
  // Replacements that took pods stay, each named, for the next run to remove; the tag says how far.
  const surplus = state.live.length - ownSize.desired - evening;
  if (surplus > 0) {
    expect(failureNotice).toContain(`left running beyond the group's own size of ${ownSize.desired}`);
    const named = state.live.filter((instance) => failureNotice.includes(`instance ${instance.instanceId}`));
    expect(named).toHaveLength(surplus);
  }
  if (surplus > 0 || evening > 0)
    expect(state.sizeTag).toBe(`min=${ownSize.minSize},max=${ownSize.maxSize},desired=${ownSize.desired}`);
  // Then the notification says the size was left raised.
  if (state.maxSize !== original.maxSize)
    expect(failureNotice).toContain(`max size left at ${state.maxSize}`);
}

/**
 * Every running instance of the target group runs `amiId`, none cordoned, and the group is its own
 * size again (`safetyDocument`'s: 5 instances, min 3, max 7), with no size tag left behind.
 */
export function expectAllOn(state: GroupState, amiId: string): void {
  expect(state.live.map((instance) => instance.amiId)).toEqual(state.live.map(() => amiId));
  expect(state.live.filter((instance) => instance.cordoned || !instance.nodeReady)).toEqual([]);
  expect(state.desired).toBe(state.live.length);
  expect({ live: state.live.length, desired: state.desired, min: state.minSize, max: state.maxSize }).toEqual(
    {
      live: 5,
      desired: 5,
      min: 3,
      max: 7,
    },
  );
  expect(state.sizeTag).toBeUndefined();
}
