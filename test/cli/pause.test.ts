import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeNodegroupCommand, EKSClient } from '@aws-sdk/client-eks';
import { DescribeExecutionCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { lockTableOf } from '../../cli/commands/pause.ts';
import { autoScalingGroup } from '../support/objects.ts';
import { executionArn, executionInput } from './history-fixture.ts';
import { testRuntime } from './runtime-fixture.ts';

const sfn = mockClient(SFNClient);
const eks = mockClient(EKSClient);
const autoScaling = mockClient(AutoScalingClient);
const dynamoDb = mockClient(DynamoDBClient);
const groupArn = 'arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:u-1:autoScalingGroupName/win-a';
const conditionFailed = Object.assign(new Error('The conditional request failed'), {
  name: 'ConditionalCheckFailedException',
});

beforeEach(() => {
  for (const client of [sfn, eks, autoScaling, dynamoDb]) client.reset();
  sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING', input: JSON.stringify(executionInput) });
  eks
    .on(DescribeNodegroupCommand)
    .rejects(Object.assign(new Error('No node group found'), { name: 'ResourceNotFoundException' }));
  autoScaling
    .on(DescribeAutoScalingGroupsCommand)
    .resolves({ AutoScalingGroups: [autoScalingGroup(groupArn, 'eu-west-1a')] });
});

describe('pause and resume', () => {
  it('marks the rollout paused in its group item of the lock table, only for the execution holding it', async () => {
    dynamoDb.on(UpdateItemCommand).resolves({});
    const { run, output } = testRuntime();
    expect(await run('pause', executionArn, '--reason', 'incident INC-42')).toBe(0);
    const [call] = dynamoDb.commandCalls(UpdateItemCommand);
    expect(call?.args[0].input).toMatchObject({
      TableName: 'eks-windows-patcher-prod-locks',
      Key: { groupId: { S: groupArn } },
      ConditionExpression: '#holder = :holder AND attribute_not_exists(pausedAt)',
      ExpressionAttributeValues: { ':holder': { S: executionArn }, ':reason': { S: 'incident INC-42' } },
    });
    expect(output.stdout).toContain(`Paused: ${executionArn}`);
  });

  it('refuses, changing nothing, when another execution holds the lock or it is already paused', async () => {
    dynamoDb.on(UpdateItemCommand).rejects(conditionFailed);
    dynamoDb
      .on(GetItemCommand)
      .resolvesOnce({
        Item: { groupId: { S: groupArn }, holder: { S: 'other' }, holderName: { S: 'run-2' } },
      })
      .resolves({
        Item: {
          groupId: { S: groupArn },
          holder: { S: executionArn },
          holderName: { S: 'run-1' },
          pausedAt: { N: String(Date.UTC(2026, 10, 12, 19, 30)) },
          pausedBy: { S: 'alice' },
        },
      });
    const { run, output } = testRuntime();
    expect(await run('pause', executionArn)).toBe(1);
    expect(output.stderr).toContain(
      'does not hold the lock of node group win-a of cluster prod (execution run-2 holds it)',
    );
    expect(await run('pause', executionArn)).toBe(1);
    expect(output.stderr).toContain('already paused, since 2026-11-12T19:30:00.000Z by alice');
  });

  it('resumes: lifts the pause and answers the token the waiting execution stored, a stale one included', async () => {
    dynamoDb.on(UpdateItemCommand).resolves({ Attributes: { pauseToken: { S: 'token-7' } } });
    sfn
      .on(SendTaskSuccessCommand)
      .resolvesOnce({})
      .rejects(Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' }));
    const { run, output } = testRuntime();
    expect(await run('resume', executionArn)).toBe(0);
    const [update] = dynamoDb.commandCalls(UpdateItemCommand);
    expect(update?.args[0].input).toMatchObject({
      UpdateExpression: 'REMOVE pausedAt, pausedBy, pauseReason, pauseToken',
      ReturnValues: 'ALL_OLD',
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.taskToken).toBe('token-7');
    expect(output.stdout).toContain(`Resumed: ${executionArn}`);
    // The execution stopped waiting on that token (it looks again by itself, and finds no pause).
    expect(await run('resume', executionArn)).toBe(0);
  });

  it('says so when the rollout is not paused, or has ended', async () => {
    dynamoDb.on(UpdateItemCommand).rejects(conditionFailed);
    dynamoDb.on(GetItemCommand).resolves({
      Item: { groupId: { S: groupArn }, holder: { S: executionArn }, holderName: { S: 'run-1' } },
    });
    const { run, output } = testRuntime();
    expect(await run('resume', executionArn)).toBe(1);
    expect(output.stderr).toContain('is not paused: nothing to resume');
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', input: '{}' });
    expect(await run('pause', executionArn)).toBe(1);
    expect(output.stderr).toContain('is SUCCEEDED: nothing to pause or resume');
    expect(dynamoDb.commandCalls(UpdateItemCommand)).toHaveLength(1);
  });

  it('finds the lock table next to the state machine, or as named', () => {
    expect(lockTableOf(executionArn, undefined)).toBe('eks-windows-patcher-prod-locks');
    expect(lockTableOf(executionArn, 'my-locks')).toBe('my-locks');
    expect(() => lockTableOf('arn:aws:states:r:1:execution:custom:run', undefined)).toThrow('--lock-table');
  });
});
