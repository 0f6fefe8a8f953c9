import { readdirSync, readFileSync } from 'node:fs';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  type DescribeAutoScalingGroupsCommandInput,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ListNodegroupsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import {
  GetImageCommand,
  type GetImageResponse,
  ImagebuilderClient,
  ResourceNotFoundException as ImageNotFound,
} from '@aws-sdk/client-imagebuilder';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../simulator/lambda-context.ts';

vi.hoisted(() => {
  // The module builds its production handler at import: configuration it reads at cold start.
  process.env.NOTIFICATION_TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:patcher';
  process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:rollout';
  process.env.CLUSTER_NAMES = 'prod';
  process.env.PROMOTION_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:promotion';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { logger } from '../../functions/commons/powertools.ts';
import { rolloutInputSchema } from '../../functions/commons/rollout-input.ts';
import { executionName, managedNodeGroupsByTheirTags } from '../../functions/domain/targets.ts';
import { type PromotionInput, parseWaves, type WaveConfig } from '../../functions/domain/waves.ts';
import { handler, makeHandler, type StartRolloutSummary } from '../../functions/start-rollout.ts';

const fixturesDir = new URL('../../../shared/fixtures/', import.meta.url);
const readFixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(name, fixturesDir), 'utf8'));
const getImageResponse = readFixture('imagebuilder-get-image-response.json') as GetImageResponse;
const availableEvent = readFixture('imagebuilder-image-available.json');
const failedEvent = readFixture('imagebuilder-image-failed.json');

const region = 'us-east-1';
const topicArn = 'arn:aws:sns:us-east-1:111122223333:patcher';
const stateMachineArn = 'arn:aws:states:us-east-1:111122223333:stateMachine:rollout';
const imageName = 'eks-windows-2022-core-1-31';
const amiOfThisAccountAndRegion = 'ami-0ccc0000000000003';
const now = Date.parse('2026-11-12T19:02:15Z');

const context = lambdaContext('startRollout');

interface ManagedGroup {
  cluster: string;
  name: string;
  tags: Record<string, string>;
}
interface AutoScalingGroup {
  name: string;
  tags: Record<string, string>;
}
interface World {
  clusters?: Record<string, string>;
  managed?: ManagedGroup[];
  autoScalingGroups?: AutoScalingGroup[];
  ssmParameters?: Record<string, string>;
  image?: GetImageResponse;
  /** Execution names Step Functions already holds (an earlier delivery). */
  existingExecutions?: string[];
}

const clients = {
  imageBuilder: new ImagebuilderClient({ region }),
  autoScaling: new AutoScalingClient({ region }),
  eks: new EKSClient({ region }),
  ssm: new SSMClient({ region }),
  sfn: new SFNClient({ region }),
  sns: new SNSClient({ region }),
};
const mocks = {
  imageBuilder: mockClient(clients.imageBuilder),
  autoScaling: mockClient(clients.autoScaling),
  eks: mockClient(clients.eks),
  ssm: mockClient(clients.ssm),
  sfn: mockClient(clients.sfn),
  sns: mockClient(clients.sns),
};

const notFound = (what: string) => new ResourceNotFoundException({ message: `No ${what}.`, $metadata: {} });

/** Answers the SDK calls start-rollout makes from a small description of the account. */
function givenWorld(world: World) {
  const clusters = world.clusters ?? { prod: '1.31' };
  const managed = world.managed ?? [];
  const taken = new Set(world.existingExecutions ?? []);
  mocks.imageBuilder.on(GetImageCommand).resolves(world.image ?? getImageResponse);
  mocks.eks.on(ListNodegroupsCommand).callsFake(({ clusterName }) => {
    if (!(clusterName in clusters)) throw notFound(`cluster ${clusterName}`);
    return {
      nodegroups: managed.filter((group) => group.cluster === clusterName).map((group) => group.name),
    };
  });
  mocks.eks.on(DescribeNodegroupCommand).callsFake(({ clusterName, nodegroupName }) => {
    const group = managed.find((g) => g.cluster === clusterName && g.name === nodegroupName);
    if (group === undefined) throw notFound(`node group ${nodegroupName}`);
    return { nodegroup: { clusterName, nodegroupName, tags: group.tags } };
  });
  mocks.eks.on(DescribeClusterCommand).callsFake(({ name }) => {
    const version = clusters[name];
    if (version === undefined) throw notFound(`cluster ${name}`);
    return { cluster: { name, version } };
  });
  mocks.autoScaling
    .on(DescribeAutoScalingGroupsCommand)
    .callsFake(({ Filters = [] }: DescribeAutoScalingGroupsCommandInput) => ({
      AutoScalingGroups: (world.autoScalingGroups ?? [])
        .filter(({ tags }) =>
          Filters.every(
            (filter) => filter.Name !== 'tag-key' || (filter.Values ?? []).some((key) => key in tags),
          ),
        )
        .map(({ name, tags }) => ({
          AutoScalingGroupName: name,
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value, ResourceId: name })),
        })),
    }));
  mocks.ssm.on(GetParametersCommand).callsFake(({ Names = [] }: { Names?: string[] }) => ({
    Parameters: Names.filter((name) => world.ssmParameters?.[name] !== undefined).map((Name) => ({
      Name,
      Value: world.ssmParameters?.[Name],
    })),
    InvalidParameters: Names.filter((name) => world.ssmParameters?.[name] === undefined),
  }));
  mocks.sfn.on(StartExecutionCommand).callsFake(({ name }) => {
    if (taken.has(name)) {
      throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${name}'`, $metadata: {} });
    }
    taken.add(name);
    return {
      executionArn: `arn:aws:states:us-east-1:111122223333:execution:rollout:${name}`,
      startDate: new Date(now),
    };
  });
  mocks.sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
}

const startRollout = (event: unknown, clusterNames: string[] = ['prod']): Promise<StartRolloutSummary> =>
  makeHandler({ ...clients, now: () => now, notificationTopicArn: topicArn, stateMachineArn, clusterNames })(
    event,
    context,
  );

/** The StartExecution requests made, with their input parsed back. */
const startedExecutions = () =>
  mocks.sfn.commandCalls(StartExecutionCommand).map(({ args: [command] }) => ({
    stateMachineArn: command.input.stateMachineArn,
    name: command.input.name,
    input: JSON.parse(command.input.input ?? 'null'),
  }));

const publishedNotifications = () =>
  mocks.sns.commandCalls(PublishCommand).map(({ args: [command] }) => command.input);

const enrolled = { 'eks-windows-patcher/enabled': 'true' };
const followsImage = { ...enrolled, 'eks-windows-patcher/image-name': imageName };
const ownedByProd = { 'kubernetes.io/cluster/prod': 'owned' };

/**
 * A managed node group (enrolled by its own tags) and two self-managed groups follow the image; others
 * show what is left alone.
 */
const mixedWorld: World = {
  managed: [
    {
      cluster: 'prod',
      name: 'win-managed',
      tags: { ...followsImage, 'eks-windows-patcher/max-unavailable': '2' },
    },
    { cluster: 'prod', name: 'linux', tags: {} },
  ],
  autoScalingGroups: [
    {
      name: 'prod-win-2022-asg',
      tags: { ...ownedByProd, ...followsImage, 'eks-windows-patcher/drain-timeout-seconds': '1800' },
    },
    {
      name: 'prod-win-2022-b-asg',
      tags: { ...ownedByProd, ...followsImage, 'eks-windows-patcher/max-unavailable': '2' },
    },
    {
      name: 'prod-win-2019-asg',
      tags: { ...ownedByProd, ...enrolled, 'eks-windows-patcher/image-name': 'eks-windows-2019' },
    },
    { name: 'staging-win-asg', tags: { 'kubernetes.io/cluster/staging': 'owned', ...followsImage } },
    { name: 'prod-untagged-asg', tags: ownedByProd },
  ],
};

const mixedWorldExecutions = [
  {
    stateMachineArn,
    name: 'prod-win-2022-asg-ami-0ccc0000000000003-88ecab7910d161b7',
    input: {
      clusterName: 'prod',
      nodeGroupName: 'prod-win-2022-asg',
      amiId: amiOfThisAccountAndRegion,
      drainTimeoutSeconds: 1800,
    },
  },
  {
    stateMachineArn,
    name: 'prod-win-2022-b-asg-ami-0ccc0000000000003-964262990bf3f6fe',
    input: {
      clusterName: 'prod',
      nodeGroupName: 'prod-win-2022-b-asg',
      amiId: amiOfThisAccountAndRegion,
      maxUnavailable: 2,
    },
  },
  {
    stateMachineArn,
    name: executionName('prod', 'win-managed', amiOfThisAccountAndRegion),
    input: {
      clusterName: 'prod',
      nodeGroupName: 'win-managed',
      amiId: amiOfThisAccountAndRegion,
      maxUnavailable: 2,
    },
  },
];

beforeEach(() => {
  for (const mock of Object.values(mocks)) mock.reset();
  vi.restoreAllMocks();
});

describe('start-rollout with the shared fixtures', () => {
  const expectations: Record<string, { executions: typeof mixedWorldExecutions; notifications: number }> = {
    'imagebuilder-image-available.json': { executions: mixedWorldExecutions, notifications: 0 },
    'imagebuilder-image-failed.json': { executions: [], notifications: 1 },
  };
  const eventFixtures = readdirSync(fixturesDir)
    .filter((file) => file.endsWith('.json'))
    .filter((file) => 'detail-type' in readFixture(file));

  it('has an expectation for every event fixture', () => {
    expect(eventFixtures.sort()).toEqual(Object.keys(expectations).sort());
  });

  it.each(eventFixtures)('handles %s', async (file) => {
    givenWorld(mixedWorld);
    await startRollout(readFixture(file));
    expect(startedExecutions()).toEqual(expectations[file]?.executions);
    expect(publishedNotifications()).toHaveLength(expectations[file]?.notifications ?? -1);
  });
});

describe('start-rollout on an AVAILABLE image', () => {
  it('starts one execution per target that follows the image, with this region and account AMI', async () => {
    givenWorld(mixedWorld);
    const summary = await startRollout(availableEvent);

    expect(mocks.imageBuilder.commandCalls(GetImageCommand)[0]?.args[0].input).toEqual({
      imageBuildVersionArn:
        'arn:aws:imagebuilder:us-east-1:111122223333:image/eks-windows-2022-core-1-31/1.0.4/3',
    });
    expect(startedExecutions()).toEqual(mixedWorldExecutions);
    for (const { input, name } of startedExecutions()) {
      expect(rolloutInputSchema.safeParse(input).success).toBe(true);
      expect(name).toMatch(/^[0-9A-Za-z_-]{1,80}$/);
    }
    expect(summary).toEqual({
      trigger: 'image-available',
      started: mixedWorldExecutions.map(({ name, input }) => ({
        clusterName: input.clusterName,
        nodeGroupName: input.nodeGroupName,
        amiId: amiOfThisAccountAndRegion,
        executionName: name,
        executionArn: `arn:aws:states:us-east-1:111122223333:execution:rollout:${name}`,
      })),
      duplicates: [],
      skipped: [
        {
          clusterName: 'prod',
          nodeGroupName: 'prod-win-2019-asg',
          reason: `Follows image eks-windows-2019, not ${imageName}.`,
        },
      ],
    });
    expect(publishedNotifications()).toEqual([]);
  });

  it('rolls an enrolled managed node group by its own tags, never its Auto Scaling group', async () => {
    givenWorld({
      managed: [{ cluster: 'prod', name: 'win-managed', tags: followsImage }],
      autoScalingGroups: [
        {
          name: 'eks-win-managed-0a1b2c3d',
          tags: { ...ownedByProd, ...followsImage, 'eks:nodegroup-name': 'win-managed' },
        },
      ],
    });
    const summary = await startRollout(availableEvent);

    expect(startedExecutions().map((execution) => execution.input.nodeGroupName)).toEqual(['win-managed']);
    expect(summary.skipped).toEqual([
      {
        clusterName: 'prod',
        nodeGroupName: 'eks-win-managed-0a1b2c3d',
        reason: `Auto Scaling group of the EKS managed node group win-managed: ${managedNodeGroupsByTheirTags}`,
      },
    ]);
  });

  it('starts nothing new when the same event is delivered again, and counts duplicates', async () => {
    givenWorld({ ...mixedWorld, existingExecutions: [] });
    const first = await startRollout(availableEvent);
    const infoLogs = vi.spyOn(logger, 'info');
    const second = await startRollout(structuredClone(availableEvent));

    expect(first.started).toHaveLength(3);
    expect(second.started).toEqual([]);
    expect(second.duplicates.map((duplicate) => duplicate.executionName)).toEqual(
      mixedWorldExecutions.map((execution) => execution.name),
    );
    expect(infoLogs).toHaveBeenCalledWith(
      'Duplicate delivery: rollout already started',
      expect.objectContaining({ executionName: mixedWorldExecutions[0]?.name }),
    );
    // Both deliveries asked for the same names: Step Functions refused the second ones.
    expect(startedExecutions()).toEqual([...mixedWorldExecutions, ...mixedWorldExecutions]);
  });

  it('counts an ExecutionAlreadyExists answer as a duplicate, not an error, and still starts the others', async () => {
    givenWorld({ ...mixedWorld, existingExecutions: [mixedWorldExecutions[1]?.name ?? ''] });
    const summary = await startRollout(availableEvent);

    expect(startedExecutions()).toEqual(mixedWorldExecutions);
    expect(summary.started.map((started) => started.nodeGroupName)).toEqual([
      'prod-win-2022-asg',
      'win-managed',
    ]);
    expect(summary.duplicates).toEqual([
      expect.objectContaining({
        nodeGroupName: 'prod-win-2022-b-asg',
        executionName: mixedWorldExecutions[1]?.name,
        reason: expect.stringMatching(/^Execution name already used/),
      }),
    ]);
  });

  it('counts a still-running execution with the same name and input as a duplicate', async () => {
    givenWorld(mixedWorld);
    mocks.sfn.on(StartExecutionCommand).callsFake(({ name }) => ({
      executionArn: `arn:aws:states:us-east-1:111122223333:execution:rollout:${name}`,
      startDate: new Date(now - 60_000),
    }));
    const summary = await startRollout(availableEvent);

    expect(summary.started).toEqual([]);
    expect(summary.duplicates.map((duplicate) => duplicate.reason)).toEqual(
      Array(3).fill('Execution already running since 2026-11-12T19:01:15.000Z.'),
    );
  });

  it('starts nothing and notifies when the image has AMIs only in other accounts and regions', async () => {
    const amis = getImageResponse.image?.outputResources?.amis ?? [];
    givenWorld({
      ...mixedWorld,
      image: {
        image: {
          ...getImageResponse.image,
          outputResources: { amis: amis.filter((ami) => ami.image !== amiOfThisAccountAndRegion) },
        },
      },
    });
    const summary = await startRollout(availableEvent);

    expect(startedExecutions()).toEqual([]);
    expect(mocks.eks.commandCalls(ListNodegroupsCommand)).toEqual([]);
    expect(summary.trigger).toBe('image-available');
    expect(summary.reason).toContain('distributed no AMI to account 111122223333 in us-east-1');
    const notifications = publishedNotifications();
    expect(notifications).toHaveLength(1);
    expect(notifications[0]?.TopicArn).toBe(topicArn);
    expect(notifications[0]?.Subject).toBe(
      'EKS Windows patcher: image eks-windows-2022-core-1-31 1.0.4/3 has no AMI in us-east-1',
    );
    expect(notifications[0]?.Message).toContain('ami-0ccc0000000000077 (us-east-1, 444455556666)');
  });

  it('starts nothing when no node group is enrolled, and says so', async () => {
    givenWorld({ managed: [{ cluster: 'prod', name: 'linux', tags: {} }], autoScalingGroups: [] });
    const summary = await startRollout(availableEvent);

    expect(startedExecutions()).toEqual([]);
    expect(summary).toEqual({
      trigger: 'image-available',
      reason: 'No node group in cluster prod is tagged eks-windows-patcher/enabled=true.',
      started: [],
      duplicates: [],
      skipped: [],
    });
  });

  it('skips a target with a bad tag value and says which tag', async () => {
    givenWorld({
      autoScalingGroups: [
        {
          name: 'win',
          tags: { ...ownedByProd, ...followsImage, 'eks-windows-patcher/max-unavailable': 'all' },
        },
      ],
    });
    const summary = await startRollout(availableEvent);

    expect(startedExecutions()).toEqual([]);
    expect(summary.reason).toBe(
      `No node group rolls to image ${imageName} (${amiOfThisAccountAndRegion}): 1 skipped, each with its reason.`,
    );
    expect(summary.skipped).toEqual([
      {
        clusterName: 'prod',
        nodeGroupName: 'win',
        reason: 'tag eks-windows-patcher/max-unavailable="all" must be a whole number.',
      },
    ]);
  });

  it('skips a configured cluster that does not exist and rolls the others', async () => {
    givenWorld(mixedWorld);
    const summary = await startRollout(availableEvent, ['prod', 'missing']);

    expect(startedExecutions()).toEqual(mixedWorldExecutions);
    expect(summary.skipped).toContainEqual({
      clusterName: 'missing',
      reason: 'EKS cluster missing does not exist in this account and region.',
    });
  });

  it('rolls the groups of every configured cluster', async () => {
    givenWorld({
      clusters: { prod: '1.31', staging: '1.31' },
      managed: [{ cluster: 'staging', name: 'win', tags: followsImage }],
      autoScalingGroups: mixedWorld.autoScalingGroups ?? [],
    });
    await startRollout(availableEvent, ['prod', 'staging']);

    expect(startedExecutions().map(({ input }) => `${input.clusterName}/${input.nodeGroupName}`)).toEqual([
      'prod/prod-win-2022-asg',
      'prod/prod-win-2022-b-asg',
      'staging/staging-win-asg',
      'staging/win',
    ]);
  });

  it('fails after trying every target when Step Functions refuses one for another reason, so the event is retried', async () => {
    givenWorld(mixedWorld);
    mocks.sfn
      .on(StartExecutionCommand)
      .rejectsOnce(
        Object.assign(new Error('not authorized to perform states:StartExecution'), {
          name: 'AccessDeniedException',
        }),
      )
      .resolves({
        executionArn: 'arn:aws:states:us-east-1:111122223333:execution:rollout:x',
        startDate: new Date(now),
      });

    await expect(startRollout(availableEvent)).rejects.toMatchObject({
      name: 'RolloutsNotStarted',
      message: expect.stringContaining(`${mixedWorldExecutions[0]?.name}: AccessDeniedException`),
    });
    expect(startedExecutions()).toEqual(mixedWorldExecutions);
  });

  it('starts nothing when the image no longer exists', async () => {
    givenWorld(mixedWorld);
    mocks.imageBuilder.on(GetImageCommand).rejects(new ImageNotFound({ message: 'gone', $metadata: {} }));
    const summary = await startRollout(availableEvent);

    expect(startedExecutions()).toEqual([]);
    expect(summary.reason).toBe(
      'Image arn:aws:imagebuilder:us-east-1:111122223333:image/eks-windows-2022-core-1-31/1.0.4/3 no longer exists.',
    );
  });
});

describe('start-rollout on an image that did not build', () => {
  it.each(['FAILED', 'CANCELLED'])(
    'starts nothing for a %s image and publishes one notification',
    async (status) => {
      givenWorld(mixedWorld);
      const event = structuredClone(failedEvent) as { detail: { state: { status: string } } };
      event.detail.state.status = status;
      const summary = await startRollout(event);

      expect(startedExecutions()).toEqual([]);
      expect(mocks.imageBuilder.commandCalls(GetImageCommand)).toEqual([]);
      expect(publishedNotifications()).toEqual([
        {
          TopicArn: topicArn,
          Subject: `EKS Windows patcher: image eks-windows-2022-core-1-31 1.0.4/2 ${status}`,
          Message:
            `Image Builder image arn:aws:imagebuilder:us-east-1:111122223333:image/eks-windows-2022-core-1-31/1.0.4/2 ended ${status}: ` +
            'Image testing failed: component containerd-pull-cache step pull returned exit code 1\n' +
            'No rollout was started. Fix the pipeline (its log is in the image workflow) and run it again.',
          MessageAttributes: {
            source: { DataType: 'String', StringValue: 'start-rollout' },
            trigger: { DataType: 'String', StringValue: 'image-failed' },
          },
        },
      ]);
      expect(summary).toMatchObject({ trigger: 'image-failed', started: [], duplicates: [], skipped: [] });
    },
  );

  it('ignores an image that is still being built', async () => {
    givenWorld(mixedWorld);
    const event = structuredClone(availableEvent) as { detail: { state: { status: string } } };
    event.detail.state.status = 'TESTING';
    const summary = await startRollout(event);

    expect(startedExecutions()).toEqual([]);
    expect(publishedNotifications()).toEqual([]);
    expect(summary.trigger).toBe('image-other-state');
  });
});

describe('start-rollout on a malformed event', () => {
  const withoutResources = { ...availableEvent, resources: [] };
  const foreignSource = { ...availableEvent, source: 'aws.ec2' };
  const withoutDetail = { ...availableEvent, detail: undefined };
  const schedulerDefault = {
    version: '0',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    resources: ['arn:aws:events:us-east-1:111122223333:rule/patch-tuesday'],
    detail: {},
  };

  it.each([
    ['nothing', undefined],
    ['an array', [availableEvent]],
    ['an event without resources', withoutResources],
    ['an event from another source', foreignSource],
    ['an event without detail', withoutDetail],
    ['a scheduled event without our input', schedulerDefault],
    ['an unknown mode', { mode: 'latest' }],
  ])('logs %s with the reason, starts nothing and does not throw', async (_, event) => {
    givenWorld(mixedWorld);
    const errorLogs = vi.spyOn(logger, 'error');
    const summary = await startRollout(event);

    expect(summary).toMatchObject({ trigger: 'malformed', started: [], duplicates: [], skipped: [] });
    expect(summary.reason).toMatch(/: /);
    expect(errorLogs).toHaveBeenCalledWith(
      'Malformed event: nothing started',
      expect.objectContaining({ reason: summary.reason }),
    );
    for (const mock of Object.values(mocks)) expect(mock.calls()).toEqual([]);
  });
});

describe('start-rollout in the scheduled SSM mode', () => {
  const core2022For131 =
    '/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id';
  const full2019For130 =
    '/aws/service/ami-windows-latest/Windows_Server-2019-English-Full-EKS_Optimized-1.30/image_id';
  const ssmWorld: World = {
    clusters: { prod: '1.31', staging: '1.30' },
    autoScalingGroups: [
      {
        name: 'prod-win-core',
        tags: { ...ownedByProd, ...enrolled, 'eks-windows-patcher/ssm-variant': '2022-Core' },
      },
      { name: 'prod-win-piped', tags: { ...ownedByProd, ...followsImage } },
      {
        name: 'staging-win-full',
        tags: {
          'kubernetes.io/cluster/staging': 'shared',
          ...enrolled,
          'eks-windows-patcher/ssm-variant': '2019-Full',
          'eks-windows-patcher/max-unavailable': '3',
        },
      },
    ],
    ssmParameters: { [core2022For131]: 'ami-0eee0000000000131', [full2019For130]: 'ami-0fff0000000000130' },
  };

  it('starts each target on the latest EKS-optimized AMI of its variant and cluster version', async () => {
    givenWorld(ssmWorld);
    const summary = await startRollout({ mode: 'ssm-latest' }, ['prod', 'staging']);

    expect(
      mocks.eks.commandCalls(DescribeClusterCommand).map(({ args: [command] }) => command.input.name),
    ).toEqual(['prod', 'staging']);
    expect(mocks.ssm.commandCalls(GetParametersCommand).map(({ args: [command] }) => command.input)).toEqual([
      { Names: [full2019For130, core2022For131] },
    ]);
    expect(startedExecutions()).toEqual([
      {
        stateMachineArn,
        name: 'prod-win-core-ami-0eee0000000000131-017025e31c2bb964',
        input: { clusterName: 'prod', nodeGroupName: 'prod-win-core', amiId: 'ami-0eee0000000000131' },
      },
      {
        stateMachineArn,
        name: 'staging-win-full-ami-0fff0000000000130-4bed37ce7c92333f',
        input: {
          clusterName: 'staging',
          nodeGroupName: 'staging-win-full',
          amiId: 'ami-0fff0000000000130',
          maxUnavailable: 3,
        },
      },
    ]);
    expect(summary.skipped).toEqual([
      {
        clusterName: 'prod',
        nodeGroupName: 'prod-win-piped',
        reason: `Follows image ${imageName}, not the EKS-optimized AMI.`,
      },
    ]);
    expect(mocks.imageBuilder.calls()).toEqual([]);
  });

  it('skips a target whose SSM parameter does not exist for its cluster version', async () => {
    givenWorld({ ...ssmWorld, ssmParameters: { [core2022For131]: 'ami-0eee0000000000131' } });
    const summary = await startRollout({ mode: 'ssm-latest' }, ['prod', 'staging']);

    expect(startedExecutions().map(({ input }) => input.nodeGroupName)).toEqual(['prod-win-core']);
    expect(summary.skipped).toContainEqual({
      clusterName: 'staging',
      nodeGroupName: 'staging-win-full',
      reason: `SSM parameter ${full2019For130} not found: no EKS-optimized 2019-Full AMI for Kubernetes 1.30.`,
    });
  });

  it('starts nothing again on a second run in the same month', async () => {
    givenWorld(ssmWorld);
    await startRollout({ mode: 'ssm-latest' }, ['prod', 'staging']);
    const again = await startRollout({ mode: 'ssm-latest' }, ['prod', 'staging']);

    expect(again.started).toEqual([]);
    expect(again.duplicates).toHaveLength(2);
  });
});

describe('the production handler', () => {
  it('is built from the environment at cold start', () => {
    expect(typeof handler).toBe('function');
  });
});

describe('start-rollout with waves', () => {
  const promotionArn = 'arn:aws:states:us-east-1:111122223333:stateMachine:promotion';
  const withWaves = (event: unknown, waves: WaveConfig[]): Promise<StartRolloutSummary> =>
    makeHandler({
      ...clients,
      now: () => now,
      notificationTopicArn: topicArn,
      stateMachineArn,
      clusterNames: ['prod', 'staging'],
      waves,
      promotionStateMachineArn: promotionArn,
    })(event, context);
  const twoClusters: World = {
    clusters: { prod: '1.31', staging: '1.31' },
    managed: [],
    autoScalingGroups: [
      { name: 'prod-win-asg', tags: { ...ownedByProd, ...followsImage } },
      { name: 'staging-win-asg', tags: { 'kubernetes.io/cluster/staging': 'owned', ...followsImage } },
    ],
  };
  const waves = parseWaves(
    '[{"name":"staging","clusters":["staging"],"bakeSeconds":3600,"alarms":["web-5xx"]},{"name":"prod","clusters":["prod"]}]',
    ['prod', 'staging'],
  );

  it('starts one promotion holding the waves in order, and no rollout itself', async () => {
    givenWorld(twoClusters);
    const summary = await withWaves(availableEvent, waves);

    const [promotion, ...others] = startedExecutions();
    expect(others).toEqual([]);
    expect(promotion?.stateMachineArn).toBe(promotionArn);
    expect(promotion?.name).toMatch(/^promotion-ami-0ccc0000000000003-[0-9a-f]{16}$/);
    const input = promotion?.input as PromotionInput;
    expect(input.waves.map((wave) => [wave.name, wave.bakeSeconds, wave.alarms])).toEqual([
      ['staging', 3600, ['web-5xx']],
      ['prod', 0, []],
    ]);
    expect(input.waves.map((wave) => wave.launches.map((launch) => launch.nodeGroupName))).toEqual([
      ['staging-win-asg'],
      ['prod-win-asg'],
    ]);
    expect(summary.started).toEqual([]);
    expect(summary.promotion).toMatchObject({ waves: ['staging', 'prod'], duplicate: false });
  });

  it('finds the promotion taken when the same event comes again', async () => {
    givenWorld(twoClusters);
    await withWaves(availableEvent, waves);
    const again = await withWaves(availableEvent, waves);
    expect(again.promotion?.duplicate).toBe(true);
  });

  it('skips a node group in no wave, and starts nothing when no wave has one', async () => {
    givenWorld(twoClusters);
    const onlyStaging = parseWaves('[{"name":"staging","clusters":["staging"]}]', ['prod', 'staging']);
    const summary = await withWaves(availableEvent, onlyStaging);
    expect(summary.skipped).toContainEqual(
      expect.objectContaining({
        nodeGroupName: 'prod-win-asg',
        reason: expect.stringContaining('In no wave'),
      }),
    );

    givenWorld({ ...twoClusters, autoScalingGroups: twoClusters.autoScalingGroups?.slice(0, 1) ?? [] });
    const none = await withWaves(availableEvent, onlyStaging);
    expect(none.promotion).toBeUndefined();
    expect(none.reason).toContain('skipped');
  });
});
