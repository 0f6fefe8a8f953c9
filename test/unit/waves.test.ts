import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it, vi } from 'vitest';
import { makeHandler as checkWave } from '../../functions/check-wave.ts';
import { nextBakeLook } from '../../functions/domain/plan.ts';
import type { RolloutLaunch } from '../../functions/domain/targets.ts';
import {
  assignWaves,
  parseWaves,
  promotionName,
  type RolloutStatus,
  waveApprovalNotification,
  waveStarted,
  waveVerdict,
} from '../../functions/domain/waves.ts';
import { lambdaContext } from '../../simulator/lambda-context.ts';

vi.hoisted(() => {
  // check-wave builds its production handler at import: configuration it reads at cold start.
  process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:rollout';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

const clusters = ['dev', 'staging', 'prod'];
const launch = (clusterName: string, nodeGroupName: string): RolloutLaunch => ({
  clusterName,
  nodeGroupName,
  amiId: 'ami-0ccc0000000000003',
  executionName: `${nodeGroupName}-ami-0ccc0000000000003`,
  input: { clusterName, nodeGroupName, amiId: 'ami-0ccc0000000000003' },
});

describe('the deployment parameter waves', () => {
  it('is empty (every cluster at once) when unset or []', () => {
    expect(parseWaves('', clusters)).toEqual([]);
    expect(parseWaves('[]', clusters)).toEqual([]);
  });

  it('fills the defaults of each wave', () => {
    expect(parseWaves('[{"name":"dev","clusters":["dev"]}]', clusters)).toEqual([
      {
        name: 'dev',
        clusters: ['dev'],
        bakeSeconds: 0,
        alarms: [],
        timeoutSeconds: 14 * 86_400,
        approval: false,
        approvalTimeoutSeconds: 86_400,
      },
    ]);
  });

  it.each([
    ['not JSON', '[{name:dev}]', /WAVES \(deployment parameter waves\) is not JSON.*set it to a list like/],
    ['a field of the wrong type', '[{"name":"dev","clusters":["dev"],"bakeSeconds":"1h"}]', /0\.bakeSeconds/],
    ['an unknown field', '[{"name":"dev","clusters":["dev"],"approve":true}]', /approve/],
    [
      'a wave without clusters',
      '[{"name":"dev","clusters":[]}]',
      /0\.clusters: must name at least one cluster/,
    ],
    [
      'a cluster outside clusterNames',
      '[{"name":"dev","clusters":["qa"]}]',
      /0\.clusters\.0: qa is not in clusterNames \(dev, staging, prod\): add it there or remove it here/,
    ],
    [
      'two waves of one name',
      '[{"name":"dev","clusters":["dev"]},{"name":"dev","clusters":["prod"]}]',
      /1\.name: dev names an earlier wave too/,
    ],
    [
      'waves longer together than a promotion may last',
      JSON.stringify(
        ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((name) => ({
          name,
          clusters: ['dev'],
          timeoutSeconds: 60 * 86_400,
        })),
      ),
      /add up to 36288000 s, over the 31104000 s a promotion may last: lower them, or use fewer waves/,
    ],
    [
      'an approval timeout over 7 days',
      '[{"name":"prod","clusters":["prod"],"approval":true,"approvalTimeoutSeconds":700000}]',
      /0\.approvalTimeoutSeconds/,
    ],
  ])('refuses %s, naming the field and the fix', (_, text, message) => {
    expect(() => parseWaves(text, clusters)).toThrow(message);
  });
});

describe('assignWaves', () => {
  const waves = parseWaves(
    '[{"name":"canary","clusters":["prod"],"nodeGroups":["win-canary"],"bakeSeconds":3600},' +
      '{"name":"dev","clusters":["dev"]},{"name":"prod","clusters":["prod","staging"]}]',
    clusters,
  );

  it('puts each rollout in the first wave that selects it, in wave order', () => {
    const { waves: planned, skipped } = assignWaves(
      [launch('prod', 'win-a'), launch('prod', 'win-canary'), launch('dev', 'win'), launch('staging', 'win')],
      waves,
    );
    expect(
      planned.map((wave) => [wave.name, wave.launches.map((l) => `${l.clusterName}/${l.nodeGroupName}`)]),
    ).toEqual([
      ['canary', ['prod/win-canary']],
      ['dev', ['dev/win']],
      ['prod', ['prod/win-a', 'staging/win']],
    ]);
    expect(planned[0]?.bakeSeconds).toBe(3600);
    expect(skipped).toEqual([]);
  });

  it('leaves out a wave with nothing to roll, and skips a rollout in no wave with the reason', () => {
    const { waves: planned, skipped } = assignWaves(
      [launch('prod', 'win-a')],
      parseWaves('[{"name":"dev","clusters":["dev"]},{"name":"staging","clusters":["staging"]}]', clusters),
    );
    expect(planned).toEqual([]);
    expect(skipped).toEqual([
      {
        clusterName: 'prod',
        nodeGroupName: 'win-a',
        reason:
          'In no wave of the deployment parameter waves: add its cluster (or the node group) to a wave.',
      },
    ]);
  });

  it('names the promotion by its rollouts: the same event gives the same name', () => {
    const one = assignWaves([launch('dev', 'win'), launch('prod', 'win-a')], waves).waves;
    const again = assignWaves([launch('dev', 'win'), launch('prod', 'win-a')], waves).waves;
    const other = assignWaves([launch('dev', 'win')], waves).waves;
    expect(promotionName(one)).toBe(promotionName(again));
    expect(promotionName(one)).not.toBe(promotionName(other));
    expect(promotionName(one)).toMatch(/^promotion-ami-0ccc0000000000003-[0-9a-f]{16}$/);
  });
});

describe('the promotion moving from wave to wave', () => {
  const planned = assignWaves(
    [launch('dev', 'win'), launch('prod', 'win-a')],
    parseWaves(
      '[{"name":"dev","clusters":["dev"]},{"name":"prod","clusters":["prod"],"approval":true,"approvalTimeoutSeconds":3600}]',
      clusters,
    ),
  ).waves;

  it('tells, as it starts a wave, which comes next and whether a person approves it first', () => {
    expect(waveStarted(planned, 0, 0).next).toEqual({
      index: 1,
      approval: true,
      approvalTimeoutSeconds: 3600,
    });
    expect(waveStarted(planned, 1, 0)).toMatchObject({ last: true, next: null, later: [] });
  });

  it('asks with what rolled so far, what the wave rolls, the commands and the deadline', () => {
    const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:promotion:p-1';
    const wave = planned[1];
    if (wave === undefined) throw new Error('no second wave');
    const { subject, body } = waveApprovalNotification({
      rolls: 'image eks-windows (ami-0ccc0000000000003)',
      wave,
      done: ['dev'],
      executionArn,
      consoleUrl: 'https://console',
      deadline: Date.parse('2026-11-11T19:00:00Z'),
    });
    expect(subject).toBe('[ApprovalRequested] EKS Windows promotion: wave prod');
    expect(body).toContain(
      'May wave prod of the promotion of image eks-windows (ami-0ccc0000000000003) begin?',
    );
    expect(body).toContain('- Waves dev: every rollout SUCCEEDED');
    expect(body).toContain('- Wave prod rolls prod/win-a.');
    expect(body).toContain(`npx eks-windows-patcher approve ${executionArn}`);
    expect(body).toContain(
      'Without an answer by 2026-11-11T19:00:00.000Z the promotion ends with ApprovalTimedOut',
    );
  });
});

describe('waveVerdict', () => {
  const startedAt = 0;
  const wave = { startedAt, deadline: 86_400_000 };
  const status = (executionName: string, s: string, error?: string): RolloutStatus => ({
    executionName,
    status: s,
    error,
  });

  it.each([
    ['all succeeded', [status('a', 'SUCCEEDED'), status('b', 'SUCCEEDED')], 1000, { kind: 'succeeded' }],
    [
      'one failed while another runs',
      [status('a', 'RUNNING'), status('b', 'FAILED', 'DrainTimeout')],
      1000,
      { kind: 'failed', failures: [status('b', 'FAILED', 'DrainTimeout')] },
    ],
    ['one aborted', [status('a', 'ABORTED')], 1000, { kind: 'failed', failures: [status('a', 'ABORTED')] }],
    ['one gone', [status('a', 'GONE')], 1000, { kind: 'failed', failures: [status('a', 'GONE')] }],
    ['running, first minutes', [status('a', 'RUNNING')], 60_000, { kind: 'running', seconds: 300 }],
    [
      'running for 5 hours: a tenth',
      [status('a', 'RUNNING')],
      18_000_000,
      { kind: 'running', seconds: 1800 },
    ],
    [
      'running for 4 hours: a tenth',
      [status('a', 'RUNNING')],
      14_400_000,
      { kind: 'running', seconds: 1440 },
    ],
    ['running, near the deadline', [status('a', 'RUNNING')], 86_300_000, { kind: 'running', seconds: 100 }],
    ['running past the deadline', [status('a', 'RUNNING')], 86_400_000, { kind: 'timedOut', running: ['a'] }],
  ])('%s', (_, statuses, now, expected) => {
    expect(waveVerdict(statuses, wave, now)).toEqual(expected);
  });
});

describe('nextBakeLook', () => {
  it('begins at the first look, looks again at most every bakePollSeconds, and passes once its time is up', () => {
    const first = nextBakeLook(null, 3600, 0);
    expect(first).toEqual({ done: false, seconds: 60, since: 0, until: 3_600_000 });
    expect(nextBakeLook(first, 3600, 3_590_000)).toEqual({ ...first, seconds: 10 });
    expect(nextBakeLook(first, 3600, 3_600_000)).toEqual({ ...first, done: true, seconds: 1 });
    expect(nextBakeLook(null, 0, 5)).toMatchObject({ done: true });
  });
});

describe('check-wave', () => {
  const machine = 'arn:aws:states:us-east-1:111122223333:stateMachine:rollout';
  const arnOf = (name: string) => `arn:aws:states:us-east-1:111122223333:execution:rollout:${name}`;
  const waves = assignWaves(
    [launch('dev', 'win-a'), launch('dev', 'win-b')],
    parseWaves('[{"name":"dev","clusters":["dev"]},{"name":"prod","clusters":["prod"]}]', clusters),
  ).waves;
  // prod has nothing to roll here: one wave left, so it is the last.
  const wave = waveStarted(waves, 0, 0);
  const run = (sfn: SFNClient, now: number) =>
    checkWave({ sfn, now: () => now, stateMachineArn: machine })({ wave }, lambdaContext('checkWave'));

  it('follows a rollout that continued in a new execution, and is done when the last one succeeded', async () => {
    const sfn = mockClient(SFNClient);
    sfn
      .on(DescribeExecutionCommand, { executionArn: arnOf('win-a-ami-0ccc0000000000003') })
      .resolves({ status: 'SUCCEEDED', output: '{"continuedAs":"win-a-next"}' })
      .on(DescribeExecutionCommand, { executionArn: arnOf('win-a-next') })
      .resolves({ status: 'RUNNING' })
      .on(DescribeExecutionCommand, { executionArn: arnOf('win-b-ami-0ccc0000000000003') })
      .resolves({ status: 'SUCCEEDED', output: '{}' });
    expect(await run(new SFNClient({}), 600_000)).toMatchObject({ done: false, seconds: 300 });
    sfn.on(DescribeExecutionCommand, { executionArn: arnOf('win-a-next') }).resolves({ status: 'SUCCEEDED' });
    expect(await run(new SFNClient({}), 900_000)).toMatchObject({ done: true });
    sfn.restore();
  });

  it('stops the promotion with WaveFailed naming the rollout, its error and the waves not started', async () => {
    const sfn = mockClient(SFNClient);
    const twoWaves = { ...wave, later: ['prod'] };
    sfn
      .on(DescribeExecutionCommand)
      .resolves({ status: 'SUCCEEDED', output: '{}' })
      .on(DescribeExecutionCommand, { executionArn: arnOf('win-b-ami-0ccc0000000000003') })
      .resolves({ status: 'FAILED', error: 'DrainTimeout', cause: 'pods of web stayed' });
    await expect(
      checkWave({ sfn: new SFNClient({}), now: () => 1000, stateMachineArn: machine })(
        { wave: twoWaves },
        lambdaContext('checkWave'),
      ),
    ).rejects.toMatchObject({
      name: 'WaveFailed',
      message: expect.stringMatching(
        /^Wave dev: win-b-ami-0ccc0000000000003 ended FAILED \(DrainTimeout: pods of web stayed\)\. The promotion stopped \(waves prod not started\)/,
      ),
    });
    sfn.restore();
  });

  it('counts a rollout Step Functions no longer knows as failed', async () => {
    const sfn = mockClient(SFNClient);
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'gone', $metadata: {} }));
    await expect(run(new SFNClient({}), 1000)).rejects.toMatchObject({ name: 'WaveFailed' });
    sfn.restore();
  });

  it('stops with WaveTimedOut past the wave deadline', async () => {
    const sfn = mockClient(SFNClient);
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    await expect(run(new SFNClient({}), wave.deadline)).rejects.toMatchObject({ name: 'WaveTimedOut' });
    sfn.restore();
  });
});
