import {
  AutoScalingClient,
  type AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  DescribeWarmPoolCommand,
  type LifecycleState,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateLaunchTemplateVersionCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeNodegroupCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { makeHandler as acquireLock } from '../../functions/acquire-lock.ts';
import type { KubernetesPort } from '../../functions/adapters/kubernetes/port.ts';
import { makeHandler as cordon } from '../../functions/cordon.ts';
import { prePullAnnotation, prePullPod } from '../../functions/domain/pre-pull.ts';
import { makeHandler as holdPause } from '../../functions/hold-pause.ts';
import { makeHandler as prepareLaunchTemplate } from '../../functions/prepare-launch-template.ts';
import { makeHandler as surge } from '../../functions/surge.ts';
import { makeHandler as terminate } from '../../functions/terminate.ts';
import { makeHandler as validateInput } from '../../functions/validate-input.ts';
import { lambdaContext as contextOf } from '../../simulator/lambda-context.ts';
import { FakeCluster } from '../kubernetes/fake-backend.ts';

const lambdaContext = contextOf('test');

import { autoScalingGroup, node } from '../support/objects.ts';

const ec2 = mockClient(EC2Client);
const autoScaling = mockClient(AutoScalingClient);
const sfn = mockClient(SFNClient);
const dynamoDb = mockClient(DynamoDBClient);
const eks = mockClient(EKSClient);
const eventBridge = mockClient(EventBridgeClient);
beforeEach(() => {
  ec2.reset();
  autoScaling.reset();
  sfn.reset();
  // As AWS answers for a group without a warm pool.
  autoScaling.on(DescribeWarmPoolCommand).resolves({ Instances: [] });
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

const input = {
  clusterName: 'prod',
  nodeGroupName: 'win-a',
  amiId: 'ami-0ccc0000000000003',
  maxUnavailable: 2,
  drainTimeoutSeconds: 900,
  readyTimeoutSeconds: 1800,
  force: false,
  overridePdbAfterTimeout: false,
  deleteEmptyDirData: false,
  dryRun: false,
  allowWindowsBuildChange: false,
  allowUntestedImage: false,
  requireCachedImages: false,
  prePullImages: true,
  fastLaunchWaitSeconds: 3_600,
  bakeSeconds: 0,
  rollbackOnAlarm: 'replaceNodes',
  approval: 'none',
  approvalTimeoutSeconds: 86_400,
};
const execution = {
  id: 'arn:aws:states:us-east-1:111122223333:execution:rollout:run-1',
  name: 'run-1',
  startTime: '2026-11-12T19:05:00.000Z',
};
const group = {
  asgName: 'win-a',
  launchTemplateId: 'lt-0123',
  previousVersion: '3',
  targetVersion: '4',
  targetAmiId: input.amiId,
  windowsBuild: '10.0.20348',
  original: { minSize: 2, maxSize: 5, desired: 4 },
  imagesToMove: [],
};
const batch = {
  index: 0,
  nodes: [
    { instanceId: 'i-1', nodeName: 'node-1' },
    { instanceId: 'i-2', nodeName: 'node-2' },
  ],
  readyTarget: 2,
  next: [] as string[],
};
const instance = (InstanceId: string, LifecycleState: LifecycleState) => ({
  InstanceId,
  LifecycleState,
  AvailabilityZone: 'us-east-1a',
  HealthStatus: 'Healthy',
  ProtectedFromScaleIn: false,
});
const asg = (overrides: Partial<AutoScalingGroup> = {}): { AutoScalingGroups: AutoScalingGroup[] } => ({
  AutoScalingGroups: [
    {
      AutoScalingGroupName: 'win-a',
      DefaultCooldown: 300,
      AvailabilityZones: ['us-east-1a', 'us-east-1b'],
      HealthCheckType: 'EC2',
      CreatedTime: new Date(0),
      MinSize: 2,
      MaxSize: 5,
      DesiredCapacity: 4,
      LaunchTemplate: { LaunchTemplateId: 'lt-0123', Version: '3' },
      Instances: [instance('i-1', 'InService'), instance('i-2', 'Terminating')],
      ...overrides,
    },
  ],
});

describe('validate-input', () => {
  it('fills in the defaults and names the execution', async () => {
    const result = await validateInput()(
      {
        raw: { clusterName: 'prod', nodeGroupName: 'win-a', amiId: 'ami-0ccc0000000000003' },
        executionId: execution.id,
        startTime: execution.startTime,
      },
      lambdaContext,
    );
    expect(result).toEqual({ input: { ...input, maxUnavailable: 1 }, execution, gate: null });
  });

  it.each([
    [{ clusterName: 'prod', nodeGroupName: 'win-a' }, 'amiId'],
    [{ clusterName: 'prod', nodeGroupName: 'win-a', amiId: 'ami-xyz' }, 'amiId: must be an AMI id'],
    [
      { clusterName: 'prod', nodeGroupName: 'win-a', amiId: 'ami-0ccc0000000000003', maxUnavailable: 0 },
      'maxUnavailable: must be at least 1',
    ],
    [
      { clusterName: 'prod', nodeGroupName: 'win-a', amiId: 'ami-0ccc0000000000003', dryrun: true },
      'Unrecognized key: "dryrun"',
    ],
    ['prod', '(input)'],
  ])('refuses %o naming %s', async (raw, field) => {
    await expect(
      validateInput()({ raw, executionId: execution.id, startTime: execution.startTime }, lambdaContext),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining(field),
    });
  });
});

describe('acquire-lock', () => {
  const groupArn =
    'arn:aws:autoscaling:us-east-1:111122223333:autoScalingGroup:u-1:autoScalingGroupName/win-a';
  const conditionFailed = () =>
    new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
  const deps = () => ({
    sfn: new SFNClient({}),
    eks: new EKSClient({}),
    autoScaling: new AutoScalingClient({}),
    ec2: new EC2Client({}),
    dynamoDb: new DynamoDBClient({}),
    lockTableName: 'locks',
    now: () => Date.parse('2026-11-12T19:05:00Z'),
  });
  beforeEach(() => {
    dynamoDb.reset();
    eks.reset();
    eks
      .on(DescribeNodegroupCommand)
      .rejects(new ResourceNotFoundException({ message: 'No node group found', $metadata: {} }));
    autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .resolves({ AutoScalingGroups: [autoScalingGroup(groupArn)] });
  });

  it('takes the lease keyed by the group ARN with a conditional write, remembering the group as it was', async () => {
    dynamoDb.on(PutItemCommand).resolves({});
    await expect(acquireLock(deps())({ input, execution }, lambdaContext)).resolves.toEqual({
      groupId: groupArn,
      expiresAt: Date.parse('2026-11-12T19:05:00Z') + (1800 + 900 + 900 + 3600) * 1000,
    });
    const put = dynamoDb.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(put?.ConditionExpression).toBe('attribute_not_exists(groupId) OR #expiresAt < :now');
    expect(put?.Item?.groupId).toEqual({ S: groupArn });
    expect(JSON.parse(put?.Item?.before?.S ?? '')).toEqual({
      asgName: 'win-a',
      launchTemplateId: 'lt-0123',
      launchTemplateVersion: '3',
      minSize: 2,
      maxSize: 5,
      desired: 4,
      suspendedProcesses: [],
    });
  });

  it('refuses while another running execution holds the lease, naming it', async () => {
    dynamoDb.on(PutItemCommand).rejects(conditionFailed());
    dynamoDb.on(UpdateItemCommand).rejects(conditionFailed());
    dynamoDb.on(GetItemCommand).resolves({
      Item: {
        groupId: { S: groupArn },
        holder: { S: `${execution.id}-0` },
        holderName: { S: 'run-0' },
        acquiredAt: { N: '1000' },
        expiresAt: { N: String(Date.parse('2026-11-12T21:00:00Z') / 1000) },
        before: { S: JSON.stringify({ asgName: 'win-a' }) },
      },
    });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    await expect(acquireLock(deps())({ input, execution }, lambdaContext)).rejects.toMatchObject({
      name: 'RolloutInProgress',
      message: expect.stringContaining('Execution run-0'),
    });
    expect(dynamoDb.commandCalls(GetItemCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({
      executionArn: `${execution.id}-0`,
    });
  });
});

describe('hold-pause', () => {
  const lock = {
    groupId: 'arn:aws:autoscaling:us-east-1:111122223333:autoScalingGroup:u:autoScalingGroupName/win-a',
    expiresAt: 0,
  };
  const gate = { go: false, until: null, reason: 'Paused' as const, holdSeconds: 86_400 };
  const now = Date.parse('2026-11-12T19:05:00Z');
  const deps = () => ({
    dynamoDb: new DynamoDBClient({}),
    sfn: new SFNClient({}),
    lockTableName: 'locks',
    now: () => now,
  });
  const event = { input, execution, lock, gate, taskToken: 'token-1' };
  beforeEach(() => dynamoDb.reset());

  it('stores the token for resume and keeps the lease over the wait', async () => {
    dynamoDb.on(UpdateItemCommand).resolves({});
    await expect(holdPause(deps())(event, lambdaContext)).resolves.toEqual({ held: true });
    const update = dynamoDb.commandCalls(UpdateItemCommand)[0]?.args[0].input;
    expect(update?.ConditionExpression).toBe('#holder = :holder AND attribute_exists(pausedAt)');
    expect(update?.ExpressionAttributeValues?.[':token']).toEqual({ S: 'token-1' });
    expect(update?.ExpressionAttributeValues?.[':expiresAt']).toEqual({
      N: String(now / 1000 + 86_400 + 1800 + 900 + 900 + 3600),
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('answers its own token when the rollout was resumed before the token was stored', async () => {
    dynamoDb
      .on(UpdateItemCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    sfn.on(SendTaskSuccessCommand).resolves({});
    await expect(holdPause(deps())(event, lambdaContext)).resolves.toEqual({ held: false });
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.taskToken).toBe('token-1');
  });
});

describe('prepare-launch-template', () => {
  const verified = {
    ami: { amiId: input.amiId, name: 'x', windowsBuild: '10.0.20348', kubernetesVersion: '1.31' },
    group: {
      asgName: 'win-a',
      launchTemplateId: 'lt-0123',
      launchTemplateVersion: '3',
      minSize: 2,
      maxSize: 5,
      desired: 4,
      windowsBuild: '10.0.20348',
    },
    checks: [],
  };
  const plan = {
    batches: [],
    continues: false,
    nodesToReplace: 4,
    nodesOnTarget: 0,
    blockers: [],
    warnings: [],
    estimatedSeconds: 1,
    imagesToMove: [],
  };
  const run = () =>
    prepareLaunchTemplate({ ec2: new EC2Client({}), autoScaling: new AutoScalingClient({}) })(
      { input, execution, verified, plan },
      lambdaContext,
    );

  it('creates a version with only ImageId changed and points the group at it', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(asg());
    ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({
      LaunchTemplateVersions: [
        { VersionNumber: 3, LaunchTemplateData: { ImageId: 'ami-0aaa0000000000001' } },
      ],
    });
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({ LaunchTemplateVersion: { VersionNumber: 4 } });
    const result = await run();
    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)[0]?.args[0].input).toMatchObject({
      LaunchTemplateId: 'lt-0123',
      SourceVersion: '3',
      LaunchTemplateData: { ImageId: input.amiId },
    });
    expect(autoScaling.commandCalls(UpdateAutoScalingGroupCommand)[0]?.args[0].input).toEqual({
      AutoScalingGroupName: 'win-a',
      LaunchTemplate: { LaunchTemplateId: 'lt-0123', Version: '4' },
    });
    expect(result).toMatchObject({
      previousVersion: '3',
      targetVersion: '4',
      original: { desired: 4, maxSize: 5 },
    });
  });

  /** A retry: the group already names version 4, which has the target AMI. */
  const alreadyOnVersion4 = () => {
    autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .resolves(asg({ LaunchTemplate: { LaunchTemplateId: 'lt-0123', Version: '4' } }));
    ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({
      LaunchTemplateVersions: [
        { VersionNumber: 3, LaunchTemplateData: { ImageId: 'ami-0aaa0000000000001' } },
        { VersionNumber: 4, LaunchTemplateData: { ImageId: input.amiId } },
      ],
    });
  };

  it('is idempotent: a retry reuses the version and changes nothing', async () => {
    alreadyOnVersion4();
    expect(await run()).toMatchObject({ previousVersion: '3', targetVersion: '4' });
    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)).toHaveLength(0);
    expect(autoScaling.commandCalls(UpdateAutoScalingGroupCommand)).toHaveLength(0);
  });

  it("terminates the warm pool's instances made from another AMI, without decrementing desired", async () => {
    alreadyOnVersion4();
    autoScaling.on(DescribeWarmPoolCommand).resolves({
      WarmPoolConfiguration: { MinSize: 2, PoolState: 'Stopped' },
      Instances: [
        {
          InstanceId: 'i-old',
          LifecycleState: 'Warmed:Stopped',
          AvailabilityZone: 'us-east-1a',
          HealthStatus: 'Healthy',
          ProtectedFromScaleIn: false,
        },
        {
          InstanceId: 'i-new',
          LifecycleState: 'Warmed:Pending',
          AvailabilityZone: 'us-east-1b',
          HealthStatus: 'Healthy',
          ProtectedFromScaleIn: false,
        },
      ],
    });
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            { InstanceId: 'i-old', ImageId: 'ami-0aaa0000000000001' },
            { InstanceId: 'i-new', ImageId: input.amiId },
          ],
        },
      ],
    });
    await run();
    expect(
      autoScaling.commandCalls(TerminateInstanceInAutoScalingGroupCommand).map((c) => c.args[0].input),
    ).toEqual([{ InstanceId: 'i-old', ShouldDecrementDesiredCapacity: false }]);
  });
});

describe('surge', () => {
  const run = () =>
    surge({ autoScaling: new AutoScalingClient({}), now: () => 1_000 })(
      { input, group, batch },
      lambdaContext,
    );

  it('sets desired to the original size plus the batch, absolutely', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(asg({ MaxSize: 8 }));
    expect(await run()).toEqual({
      done: false,
      seconds: 60,
      deadline: 1_000 + 1_800_000,
      since: 1_000,
      lost: 0,
    });
    expect(autoScaling.commandCalls(SetDesiredCapacityCommand)[0]?.args[0].input).toEqual({
      AutoScalingGroupName: 'win-a',
      DesiredCapacity: 6,
      HonorCooldown: false,
    });
  });

  it('raises max size when the surge needs it', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(asg());
    await run();
    expect(autoScaling.commandCalls(UpdateAutoScalingGroupCommand)[0]?.args[0].input).toMatchObject({
      MaxSize: 6,
      DesiredCapacity: 6,
    });
  });

  it('does nothing on a retry after the surge', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(asg({ MaxSize: 8, DesiredCapacity: 6 }));
    await run();
    expect(autoScaling.calls()).toHaveLength(1);
  });

  it('launches the first surgeBatches batches together: this one, the next, and the lists after it up to k', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(asg({ MaxSize: 20 }));
    const ahead = { ...batch, next: ['i-3', 'i-4'], afterNext: [['i-5', 'i-6'], ['i-7']] };
    for (const [surgeBatches, desired] of [
      [1, 6],
      [2, 8],
      [3, 10],
    ] as const) {
      autoScaling.resetHistory();
      await surge({ autoScaling: new AutoScalingClient({}), now: () => 1_000 })(
        { input, group: { ...group, surgeBatches }, batch: ahead },
        lambdaContext,
      );
      expect(autoScaling.commandCalls(SetDesiredCapacityCommand)[0]?.args[0].input.DesiredCapacity).toBe(
        desired,
      );
    }
  });

  it('never lowers desired capacity (replacements launched by an earlier step stay)', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(asg({ MaxSize: 10, DesiredCapacity: 8 }));
    await run();
    expect(autoScaling.calls()).toHaveLength(1);
  });
});

const fakeKubernetes = (nodes: Record<string, ReturnType<typeof node>>) => {
  const patches: [string, unknown][] = [];
  const port = {
    getNode: async (name: string) => nodes[name],
    listNodes: async () => Object.values(nodes),
    patchNode: async (name: string, patch: unknown) => {
      patches.push([name, patch]);
      return nodes[name] ?? node(name);
    },
  } as unknown as KubernetesPort;
  return { port, patches };
};

describe('cordon', () => {
  const run = (port: KubernetesPort, cordoned = batch) =>
    cordon({ kubernetes: async () => port, autoScaling: new AutoScalingClient({}), ec2: new EC2Client({}) })(
      { input, group, batch: cordoned, execution },
      lambdaContext,
    );

  it('cordons schedulable nodes with our annotation and leaves cordoned ones alone', async () => {
    const { port, patches } = fakeKubernetes({
      'node-1': node('node-1', { instanceId: 'i-1' }),
      'node-2': node('node-2', { instanceId: 'i-2', unschedulable: true }),
    });
    expect(await run(port)).toEqual({ cordoned: ['node-1'], launched: 0 });
    expect(patches).toEqual([
      ['node-1', { unschedulable: true, annotations: { 'eks-windows-patcher/cordoned-by': 'run-1' } }],
    ]);
    expect(autoScaling.calls()).toHaveLength(0);
  });

  it('cordons the node an instance has now, even when it had none at Plan', async () => {
    const { port, patches } = fakeKubernetes({ 'late-1': node('late-1', { instanceId: 'i-1' }) });
    const planned = { ...batch, nodes: [{ instanceId: 'i-1', nodeName: '' }] };
    expect(await run(port, planned)).toEqual({ cordoned: ['late-1'], launched: 0 });
    expect(patches.map(([name]) => name)).toEqual(['late-1']);
  });

  const group6 = {
    MaxSize: 10,
    DesiredCapacity: 6,
    Instances: ['i-1', 'i-2', 'i-3', 'i-4', 'i-a1', 'i-a2'].map((id) => instance(id, 'InService')),
  };
  const onAmi = (ids: string[], amiId: string) => ids.map((InstanceId) => ({ InstanceId, ImageId: amiId }));
  const images = (booting: string[] = []) =>
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            ...onAmi(['i-1', 'i-2', 'i-3', 'i-4'], 'ami-0aaa0000000000001'),
            ...onAmi(['i-a1', 'i-a2', ...booting], input.amiId),
          ],
        },
      ],
    });
  const readyNodes = () =>
    fakeKubernetes({
      'node-1': node('node-1', { instanceId: 'i-1' }),
      'node-2': node('node-2', { instanceId: 'i-2' }),
      'i-a1': node('i-a1', { instanceId: 'i-a1' }),
      'i-a2': node('i-a2', { instanceId: 'i-a2' }),
    });

  it("then launches the next batch's replacements, one for each of its instances in the group", async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(asg(group6));
    images();
    const { port } = readyNodes();
    expect(await run(port, { ...batch, next: ['i-3', 'i-4'] })).toMatchObject({ launched: 2 });
    expect(autoScaling.commandCalls(SetDesiredCapacityCommand)[0]?.args[0].input).toMatchObject({
      DesiredCapacity: 8,
    });
  });

  it('launches nothing for next-batch instances something else removed (the group shrank for good)', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(
      asg({
        ...group6,
        DesiredCapacity: 5,
        Instances: group6.Instances.filter((i) => i.InstanceId !== 'i-4'),
      }),
    );
    images();
    const { port } = readyNodes();
    expect(await run(port, { ...batch, next: ['i-3', 'i-4'] })).toMatchObject({ launched: 1 });
    expect(autoScaling.commandCalls(SetDesiredCapacityCommand)[0]?.args[0].input).toMatchObject({
      DesiredCapacity: 6,
    });
  });

  it('asks for nothing more when retried after its launches began', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(
      asg({
        ...group6,
        DesiredCapacity: 8,
        Instances: [...group6.Instances, instance('i-a3', 'Pending')],
      }),
    );
    images(['i-a3']);
    const { port } = readyNodes();
    expect(await run(port, { ...batch, next: ['i-3', 'i-4'] })).toMatchObject({ launched: 0 });
    expect(autoScaling.commandCalls(SetDesiredCapacityCommand)).toHaveLength(0);
  });
});

describe('terminate', () => {
  const drained = (nodes: string[]) => ({
    done: true,
    seconds: 1,
    deadline: 0,
    nodes,
    owners: [],
    evicted: 0,
    forced: [],
    leftTerminating: [],
    blockers: [],
  });
  const run = (port: KubernetesPort, terminating = batch, drainedNodes = ['node-1', 'node-2'], now = 0) =>
    terminate({
      autoScaling: new AutoScalingClient({}),
      ec2: new EC2Client({}),
      eventBridge: new EventBridgeClient({}),
      dynamoDb: new DynamoDBClient({}),
      lockTableName: 'locks',
      kubernetes: async () => port,
      now: () => now,
    })(
      {
        input,
        execution,
        group,
        batch: terminating,
        counts: { nodesToReplace: 4, nodesOnTarget: 0 },
        lock: { groupId: 'arn:aws:autoscaling:group/win-a', expiresAt: 0 },
        startedAt: now - 1_800_000,
        drain: drained(drainedNodes),
        terminate: null,
      },
      lambdaContext,
    );
  const putEvents = () =>
    eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
  const cordoned = (name: string, instanceId: string) => node(name, { instanceId, unschedulable: true });

  it('terminates in-service instances through the group, decrementing desired, and waits for them to go', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(asg());
    const { port } = fakeKubernetes({ 'node-1': cordoned('node-1', 'i-1') });
    const result = await run(port);
    expect(
      autoScaling.commandCalls(TerminateInstanceInAutoScalingGroupCommand).map((c) => c.args[0].input),
    ).toEqual([{ InstanceId: 'i-1', ShouldDecrementDesiredCapacity: true }]);
    expect(result).toMatchObject({ done: false, seconds: 90, deadline: 900_000, redrain: false });
  });

  it('terminates an instance that never had a node: it never ran a pod', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(asg());
    const { port } = fakeKubernetes({});
    await run(port, batch, []);
    expect(autoScaling.commandCalls(TerminateInstanceInAutoScalingGroupCommand)).toHaveLength(1);
  });

  it.each([
    [
      'joined after the drain',
      node('late-1', { instanceId: 'i-1', unschedulable: true }),
      'its node late-1 joined after the drain',
    ],
    [
      'was uncordoned after the drain',
      node('node-1', { instanceId: 'i-1' }),
      'its node node-1 was uncordoned after the drain',
    ],
  ])('keeps an instance whose node %s, and asks for another drain', async (_, joined, reason) => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(asg());
    const { port } = fakeKubernetes({ [joined.metadata?.name ?? '']: joined });
    expect(await run(port)).toMatchObject({ done: false, redrain: true, undrained: [`i-1 (${reason})`] });
    expect(autoScaling.commandCalls(TerminateInstanceInAutoScalingGroupCommand)).toHaveLength(0);
  });

  it('is done when the instances left the group and the nodes are gone', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(asg({ Instances: [] }));
    const { port } = fakeKubernetes({});
    expect((await run(port)).done).toBe(true);
    expect(autoScaling.commandCalls(TerminateInstanceInAutoScalingGroupCommand)).toHaveLength(0);
  });

  it('gives the replacements back to the cluster-autoscaler once the last batch is done', async () => {
    autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .resolves(asg({ Instances: [instance('i-3', 'InService')] }));
    const protectedNode = node('new-3', {
      instanceId: 'i-3',
      annotations: {
        'cluster-autoscaler.kubernetes.io/scale-down-disabled': 'true',
        'eks-windows-patcher/scale-down-disabled-by': 'run-1',
      },
    });
    const { port, patches } = fakeKubernetes({ 'new-3': protectedNode });
    expect((await run(port)).done).toBe(true);
    expect(patches).toEqual([
      [
        'new-3',
        {
          annotations: {
            'cluster-autoscaler.kubernetes.io/scale-down-disabled': null,
            'eks-windows-patcher/scale-down-disabled-by': null,
          },
        },
      ],
    ]);
  });

  it('deletes the pre-pull pods of the replacements once the last batch is done, and their mark', async () => {
    autoScaling
      .on(DescribeAutoScalingGroupsCommand)
      .resolves(asg({ Instances: [instance('i-3', 'InService')] }));
    const asked = node('new-3', { instanceId: 'i-3', annotations: { [prePullAnnotation]: 'run-1' } });
    const cluster = new FakeCluster({
      nodes: [asked],
      pods: [prePullPod({ node: 'new-3', images: ['app:1'] }, 'run-1')],
    });
    expect((await run(cluster)).done).toBe(true);
    expect(cluster.pods.size).toBe(0);
    expect(cluster.nodes.get('new-3')?.metadata?.annotations?.[prePullAnnotation]).toBeUndefined();
  });

  it('lets the next batch go on while the instances shut down', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(asg());
    const { port } = fakeKubernetes({ 'node-1': cordoned('node-1', 'i-1') });
    expect((await run(port, { ...batch, next: ['i-3', 'i-4'] })).done).toBe(true);
    expect(autoScaling.commandCalls(TerminateInstanceInAutoScalingGroupCommand)).toHaveLength(1);
  });

  it('launches the replacements of the batch after the next in the places it freed, once', async () => {
    const old = ['i-1', 'i-2', 'i-3', 'i-4', 'i-5', 'i-6'];
    const before = asg({
      MaxSize: 10,
      DesiredCapacity: 10,
      Instances: [...old, 'i-a1', 'i-a2']
        .map((id) => instance(id, 'InService'))
        .concat(['i-a3', 'i-a4'].map((id) => instance(id, 'Pending'))),
    });
    const terminated = (launched: string[]) =>
      asg({
        MaxSize: 10,
        DesiredCapacity: 8 + launched.length,
        Instances: [
          ...['i-1', 'i-2'].map((id) => instance(id, 'Terminating')),
          ...[...old.slice(2), 'i-a1', 'i-a2'].map((id) => instance(id, 'InService')),
          ...['i-a3', 'i-a4', ...launched].map((id) => instance(id, 'Pending')),
        ],
      });
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolvesOnce(before).resolves(terminated([]));
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            ...old.map((InstanceId) => ({ InstanceId, ImageId: 'ami-0aaa0000000000001' })),
            ...['i-a1', 'i-a2', 'i-a3', 'i-a4', 'i-a5', 'i-a6'].map((InstanceId) => ({
              InstanceId,
              ImageId: input.amiId,
            })),
          ],
        },
      ],
    });
    const { port } = fakeKubernetes({
      'node-1': cordoned('node-1', 'i-1'),
      'node-2': cordoned('node-2', 'i-2'),
      'i-a1': node('i-a1', { instanceId: 'i-a1' }),
      'i-a2': node('i-a2', { instanceId: 'i-a2' }),
    });
    const first = { ...batch, next: ['i-3', 'i-4'], afterNext: [['i-5', 'i-6']] };
    expect((await run(port, first)).done).toBe(true);
    expect(autoScaling.commandCalls(SetDesiredCapacityCommand).map((c) => c.args[0].input)).toEqual([
      { AutoScalingGroupName: 'win-a', DesiredCapacity: 10, HonorCooldown: false },
    ]);
    // A retry finds those launches on their way and asks for nothing more; one whose first call
    // failed before launching still launches them.
    for (const [launched, calls] of [
      [['i-a5', 'i-a6'], 0],
      [[], 1],
    ] as const) {
      autoScaling.reset();
      autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(terminated([...launched]));
      await run(port, first);
      expect(autoScaling.commandCalls(SetDesiredCapacityCommand)).toHaveLength(calls);
    }
  });

  it('puts a batch done event with the nodes replaced so far once the batch is done, not before', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(asg());
    const { port } = fakeKubernetes({ 'node-1': cordoned('node-1', 'i-1') });
    await run(port);
    expect(putEvents()).toEqual([]);
    await run(port, { ...batch, next: ['i-3', 'i-4'] });
    const [entry] = putEvents();
    expect(entry).toMatchObject({
      Source: 'eks-windows-patcher',
      DetailType: 'Rollout Batch Done',
      Resources: [execution.id],
    });
    expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({
      eventId: `${execution.id}/batchDone/0/i-1`,
      clusterName: 'prod',
      nodeGroupName: 'win-a',
      amiId: input.amiId,
      nodesReplaced: 2,
      nodesToReplace: 4,
      batchIndex: 0,
      batchNodes: ['node-1', 'node-2'],
    });
  });

  it('keeps how long the batch took in the lock, only if it is the slowest so far, and only once done', async () => {
    dynamoDb.reset();
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(asg());
    const { port } = fakeKubernetes({ 'node-1': cordoned('node-1', 'i-1') });
    await run(port);
    expect(dynamoDb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    await run(port, { ...batch, next: ['i-3', 'i-4'] }, ['node-1', 'node-2'], 2_000_000);
    const [update] = dynamoDb.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
    expect(update).toMatchObject({
      TableName: 'locks',
      UpdateExpression: 'SET slowestBatchSeconds = :seconds',
      ExpressionAttributeValues: { ':holder': { S: execution.id }, ':seconds': { N: '1800' } },
    });
    expect(update?.ConditionExpression).toContain('slowestBatchSeconds < :seconds');
    const [entry] = putEvents();
    expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({ batchSeconds: 1800 });
  });

  it('goes on when the event cannot be put: the events never steer the rollout', async () => {
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves(asg());
    eventBridge
      .on(PutEventsCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const { port } = fakeKubernetes({ 'node-1': cordoned('node-1', 'i-1') });
    expect((await run(port, { ...batch, next: ['i-3', 'i-4'] })).done).toBe(true);
  });
});
