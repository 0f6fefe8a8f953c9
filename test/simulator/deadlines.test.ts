import {
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { describe, expect, it } from 'vitest';
import { podsOf, windowsNodes, worldOf } from './world-fixture.ts';

/** A world whose execution input asks for these deadlines, its first Windows node, and a pod on it. */
function rollout(input: Record<string, unknown> = {}) {
  const fixture = worldOf((document) => {
    Object.assign(document.execution.input as Record<string, unknown>, input);
  });
  const node = windowsNodes(fixture.world)[0];
  const pod = podsOf(fixture.world, 'web').find((candidate) => candidate.nodeName === node?.name);
  const terminate = () =>
    fixture.aws.autoScaling.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: node?.instanceId,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
  const surge = () =>
    fixture.aws.autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: 'win-a', DesiredCapacity: 4 }),
    );
  return { ...fixture, node, pod, terminate, surge };
}

const pastDeadline = (world: ReturnType<typeof worldOf>['world']) =>
  world.finalInvariants().waitsPastDeadline;

describe('waitsPastDeadline', () => {
  it('counts a drain that ends more than 120 s after drainTimeoutSeconds, from its first eviction', async () => {
    const { world, kubernetes, advance, pod, node, terminate } = rollout({ drainTimeoutSeconds: 600 });
    await kubernetes.patchNode(node?.name ?? '', { unschedulable: true });
    advance(3600); // a cordon alone starts no drain: the eviction does
    await kubernetes.evictPod('shop', pod?.name ?? '');
    advance(600 + 120);
    expect(pastDeadline(world)).toBe(0);
    advance(2);
    expect(pastDeadline(world)).toBe(1); // still open, already too long
    await terminate();
    advance(3600);
    expect(pastDeadline(world)).toBe(1);
    const violation = world.timeline.events.find(
      (event) => event.event === 'InvariantViolated' && event.detail.invariant === 'waitsPastDeadline',
    );
    expect(violation?.detail).toMatchObject({
      wait: 'drain',
      node: node?.name,
      deadlineSeconds: 600,
    });
  });

  it('ends a drain when its instance shuts down, whoever asked (the cluster-autoscaler removing the emptied node)', async () => {
    const { world, kubernetes, advance, pod, node } = rollout({ drainTimeoutSeconds: 600 });
    await kubernetes.evictPod('shop', pod?.name ?? '');
    advance(300);
    world.autoScaling.terminateInstance(node?.instanceId ?? '', true);
    advance(7200);
    expect(pastDeadline(world)).toBe(0);
  });

  it('keeps a drain that ends within its deadline, with the workflow’s default of 900 s', async () => {
    const { world, kubernetes, advance, pod, node } = rollout();
    await kubernetes.evictPod('shop', pod?.name ?? '');
    advance(1000);
    await kubernetes.patchNode(node?.name ?? '', { unschedulable: false });
    advance(7200);
    expect(pastDeadline(world)).toBe(0);
  });

  it('counts a wait for replacements that runs past readyTimeoutSeconds + 120 s', async () => {
    const { world, advance, surge } = rollout({ readyTimeoutSeconds: 300 });
    await surge();
    advance(419);
    expect(pastDeadline(world)).toBe(0);
    advance(3);
    expect(pastDeadline(world)).toBe(1);
  });

  it('ends the wait for replacements when the execution takes the launches back (a rollback removing its surge)', async () => {
    const { world, aws, advance, surge } = rollout({ readyTimeoutSeconds: 300 });
    await surge();
    advance(400);
    await aws.autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: 'win-a', DesiredCapacity: 3 }),
    );
    advance(3600);
    expect(pastDeadline(world)).toBe(0);
    // Taken back too late: counted.
    await surge();
    advance(500);
    await aws.autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: 'win-a', DesiredCapacity: 3 }),
    );
    expect(pastDeadline(world)).toBe(1);
  });

  it('starts the replacements’ wait only once the batch being drained is gone (pipelined surge)', async () => {
    const { world, kubernetes, advance, pod, node, terminate, surge } = rollout({
      readyTimeoutSeconds: 300,
      drainTimeoutSeconds: 3000,
    });
    await kubernetes.patchNode(node?.name ?? '', { unschedulable: true });
    await surge();
    await kubernetes.evictPod('shop', pod?.name ?? '');
    advance(2000);
    await terminate();
    advance(400);
    expect(pastDeadline(world)).toBe(0);
    const next = windowsNodes(world).find((candidate) => candidate.name !== node?.name);
    await kubernetes.patchNode(next?.name ?? '', { unschedulable: true });
    advance(7200);
    expect(pastDeadline(world)).toBe(0);
  });

  it('does not count the time an execution waits for its maintenance window as a wait for replacements', async () => {
    const { world, advance, surge } = rollout({ readyTimeoutSeconds: 300 });
    const { input } = world.scenario.execution;
    await surge();
    advance(200);
    world.windowWait(input, true);
    advance(86_400);
    world.windowWait(input, false);
    advance(419);
    expect(pastDeadline(world)).toBe(0);
    advance(3);
    expect(pastDeadline(world)).toBe(1); // the wait starts again when the window opens
  });

  it('closes the waits of a group when its last execution ends', async () => {
    const { world, kubernetes, advance, pod } = rollout({ drainTimeoutSeconds: 600 });
    await kubernetes.evictPod('shop', pod?.name ?? '');
    world.executionEnded(world.scenario.execution.input);
    advance(7200);
    expect(pastDeadline(world)).toBe(0);
  });
});
