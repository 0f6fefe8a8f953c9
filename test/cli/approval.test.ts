import {
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { pendingApprovalToken } from '../../cli/commands/approval.ts';
import { executionArn } from './history-fixture.ts';
import { testRuntime } from './runtime-fixture.ts';

const sfn = mockClient(SFNClient);
beforeEach(() => sfn.reset());

const event = (id: number, type: string, details: Partial<HistoryEvent> = {}): HistoryEvent =>
  ({ id, type, timestamp: new Date(Date.UTC(2026, 10, 12, 19, 5, id)), ...details }) as HistoryEvent;
const waiting = (token: string): HistoryEvent[] => [
  event(1, 'ExecutionStarted'),
  event(2, 'TaskStateEntered', { stateEnteredEventDetails: { name: 'RequestApproval' } }),
  event(3, 'TaskScheduled', {
    taskScheduledEventDetails: {
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      region: 'eu-west-1',
      parameters: JSON.stringify({ FunctionName: 'arn:aws:lambda:…', Payload: { taskToken: token } }),
    },
  }),
  event(4, 'TaskStarted'),
];

describe('approve and reject', () => {
  it('finds the token of the approval still waiting, and none once it was answered or the execution ended', () => {
    expect(pendingApprovalToken(waiting('token-1'))).toBe('token-1');
    expect(pendingApprovalToken([...waiting('token-1'), event(5, 'TaskSucceeded')])).toBeUndefined();
    expect(pendingApprovalToken([...waiting('token-1'), event(5, 'ExecutionAborted')])).toBeUndefined();
    expect(pendingApprovalToken(waiting('token-1').slice(0, 2))).toBeUndefined();
    // A paused rollout waits on a token too: resume answers that one, not approve.
    const paused = waiting('token-1').map((e) =>
      e.stateEnteredEventDetails ? { ...e, stateEnteredEventDetails: { name: 'Paused' } } : e,
    );
    expect(pendingApprovalToken(paused)).toBeUndefined();
  });

  it('approves with SendTaskSuccess on the waiting token', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: waiting('token-1') });
    sfn.on(SendTaskSuccessCommand).resolves({});
    const { run, output } = testRuntime();
    expect(await run('approve', executionArn, '--reason', 'canary looks good')).toBe(0);
    const [call] = sfn.commandCalls(SendTaskSuccessCommand);
    expect(call?.args[0].input.taskToken).toBe('token-1');
    expect(JSON.parse(call?.args[0].input.output ?? '{}')).toMatchObject({
      approved: true,
      reason: 'canary looks good',
    });
    expect(output.stdout).toContain(`Approved: ${executionArn}`);
  });

  it('rejects with SendTaskFailure: the rollout ends with RolloutRejected', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: waiting('token-2') });
    sfn.on(SendTaskFailureCommand).resolves({});
    const { run } = testRuntime();
    expect(await run('reject', executionArn, '--reason', '5xx on the canary')).toBe(0);
    const [call] = sfn.commandCalls(SendTaskFailureCommand);
    expect(call?.args[0].input).toMatchObject({ taskToken: 'token-2', error: 'RolloutRejected' });
    expect(call?.args[0].input.cause).toContain('5xx on the canary');
  });

  it('says so, and answers nothing, when no approval is waiting', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [...waiting('token-3'), event(5, 'TaskFailed')] });
    const { run, output } = testRuntime();
    expect(await run('approve', executionArn)).toBe(1);
    expect(output.stderr).toContain('No approval is waiting');
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toEqual([]);
  });
});
