// First: the handlers' environment, as the simulator sets it, before anything from functions/ loads.
import '../simulator/handler-environment.ts';
import {
  DescribeAutoScalingGroupsCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import FakeTimers from '@sinonjs/fake-timers';
import { createLaunchTemplateVersion, describeInstances } from '../functions/adapters/ec2.ts';
import { evictablePods, evictionRound, judgePods } from '../functions/adapters/kubernetes/drain-round.ts';
import { nodesByInstance } from '../functions/domain/nodes.ts';
import { orderForReplacement, selectNodes } from '../functions/domain/plan.ts';
import { simulatedAwsClients } from '../simulator/aws.ts';
import { notificationTopicArn } from '../simulator/handler-environment.ts';
import { SimulatedKubernetes } from '../simulator/kubernetes.ts';
import type { Scenario } from '../simulator/scenario.ts';
import { StepFunctions } from '../simulator/stepfunctions.ts';
import { schedulerOf, simulationStart } from '../simulator/world/clock.ts';
import { World } from '../simulator/world.ts';

/** kubectl drain's pace: evictions are retried, and the node's pods looked at, every this many seconds. */
const drainPollSeconds = 1;

/**
 * The comparison: the same group replaced one node at a time with no surge, against the same
 * simulated world. For each old node, in the workflow's order: cordon; drain it as `kubectl drain`
 * does (Eviction API, refused evictions retried, until its evictable pods are gone); terminate it
 * through the Auto Scaling group without decrementing desired, so the group launches its replacement
 * from the new launch template version; wait (a watch, no polling delay) until that replacement is
 * Ready; next node. Nothing is charged for orchestration. Returns the simulated seconds it takes.
 */
export async function oneAtATimeSeconds(scenario: Scenario): Promise<number> {
  const clock = FakeTimers.createClock(simulationStart);
  const world = new World(scenario, schedulerOf(clock));
  const unused = () => {
    throw new Error('The one-at-a-time procedure starts no execution.');
  };
  const aws = simulatedAwsClients(
    world,
    new StepFunctions(unused, world.ids, () => new Date(clock.now)),
    notificationTopicArn,
  );
  const kubernetes = new SimulatedKubernetes(world);
  const sleep = (seconds: number) =>
    new Promise<void>((resolve) => world.scheduler.after(seconds, () => resolve()));
  // A watch on nodes, as `kubectl wait --for=condition=Ready` does.
  let nodeReady: (() => void) | undefined;
  world.timeline.subscribe(({ event }) => {
    if (event === 'NodeReady') nodeReady?.();
  });

  const input = scenario.execution.input as { nodeGroupName: string; amiId: string };
  const procedure = async () => {
    const { AutoScalingGroups: [group] = [] } = await aws.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [input.nodeGroupName] }),
    );
    const template = group?.LaunchTemplate;
    if (!group || !template?.LaunchTemplateId) throw new Error(`No group ${input.nodeGroupName}`);
    const version = await createLaunchTemplateVersion(
      aws.ec2,
      template.LaunchTemplateId,
      Number(template.Version),
      input.amiId,
      'one at a time',
      'baseline-one-at-a-time',
    );
    await aws.autoScaling.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: input.nodeGroupName,
        LaunchTemplate: { LaunchTemplateId: template.LaunchTemplateId, Version: String(version) },
      }),
    );
    const instances = await describeInstances(
      aws.ec2,
      (group.Instances ?? []).map((instance) => instance.InstanceId ?? ''),
    );
    const byInstance = nodesByInstance(await kubernetes.listNodes());
    const members = instances.map((instance) => ({
      ...instance,
      nodeName: byInstance.get(instance.instanceId)?.metadata?.name,
    }));
    const rules = { force: false, deleteEmptyDirData: false, overridePdbAfterTimeout: false };
    for (const member of orderForReplacement(selectNodes(members, input.amiId).toReplace)) {
      const nodeName = member.nodeName ?? '';
      await kubernetes.patchNode(nodeName, { unschedulable: true, annotations: {} });
      for (;;) {
        const pods = evictablePods(await judgePods(kubernetes, [nodeName], rules), [nodeName]);
        if (pods.length === 0) break;
        await evictionRound(kubernetes, pods, rules);
        await sleep(drainPollSeconds);
      }
      const replacementReady = new Promise<void>((resolve) => {
        nodeReady = resolve;
      });
      await aws.autoScaling.send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: member.instanceId,
          ShouldDecrementDesiredCapacity: false,
        }),
      );
      await replacementReady;
    }
  };

  let finished = false;
  let failure: unknown;
  procedure().then(
    () => {
      finished = true;
    },
    (error: unknown) => {
      failure = error;
      finished = true;
    },
  );
  while (!finished) {
    await new Promise((resolve) => setImmediate(resolve));
    if (!finished) clock.next();
  }
  if (failure !== undefined) throw failure;
  return Math.round((clock.now - simulationStart) / 1000);
}
