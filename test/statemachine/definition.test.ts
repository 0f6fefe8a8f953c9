import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { batchesPerExecution } from '../../functions/domain/plan.ts';
import { nodesGone } from '../../functions/domain/polling.ts';
import { promotionBudgetSeconds } from '../../functions/domain/waves.ts';

const require = createRequire(import.meta.url);
const { loadDefinition, localFunctionArn, functionKeyOfArn } = require('../../statemachine/definition.cjs');

type State = Record<string, unknown> & { Type: string };
const definition = loadDefinition(localFunctionArn) as { States: Record<string, State> };
const mapState = definition.States.ReplaceBatches as State & {
  ItemProcessor: { States: Record<string, State> };
};
const allStates: [string, State][] = [
  ...Object.entries(definition.States),
  ...Object.entries(mapState.ItemProcessor.States),
];
const tasks = allStates.filter(([, state]) => state.Type === 'Task');
const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

describe('statemachine/rollout.asl.json', () => {
  it('is valid Amazon States Language', () => {
    const { isValid, errorsText } = aslValidator(definition);
    expect(errorsText()).toBe('');
    expect(isValid).toBe(true);
  });

  it.each(tasks)('%s runs a handler that exists', (_, state) => {
    // A lambda:invoke integration (.waitForTaskToken) names its function in Parameters.FunctionName.
    const integration = String(state.Resource).startsWith('arn:aws:states:::lambda:invoke');
    const parameters = state.Parameters as { FunctionName?: string } | undefined;
    const key = functionKeyOfArn((integration ? parameters?.FunctionName : state.Resource) as string);
    expect(existsSync(new URL(`../../functions/${kebab(key)}.ts`, import.meta.url))).toBe(true);
  });

  it.each(tasks)('%s retries throttling and transient Lambda errors with backoff', (_, state) => {
    const retry = state.Retry as { ErrorEquals: string[]; BackoffRate: number }[];
    const errors = retry.flatMap((r) => r.ErrorEquals);
    expect(errors).toEqual(
      expect.arrayContaining(['ThrottlingException', 'KubernetesThrottled', 'Lambda.ServiceException']),
    );
    expect(retry.every((r) => r.BackoffRate >= 2)).toBe(true);
    expect(errors).not.toContain('States.ALL');
    // A person's answer may take as long as its timeout: that timeout is the approval's, never retried.
    if (state.TimeoutSecondsPath !== undefined) expect(errors).not.toContain('States.Timeout');
  });

  it('sends every failure before the first change to the refusal, and after it to the rollback', () => {
    const next = (name: string) =>
      (definition.States[name]?.Catch as { Next: string }[] | undefined)?.[0]?.Next;
    expect(['AcquireLock', 'VerifyAmi', 'Plan'].map(next)).toEqual([
      'RefuseRollout',
      'RefuseRollout',
      'RefuseRollout',
    ]);
    expect(next('ValidateInput')).toBe('InputRefused');
    expect(['PrepareLaunchTemplate', 'ReplaceBatches'].map(next)).toEqual(['Rollback', 'Rollback']);
  });

  it('fails with a name even when the rollback, the last step or the refusal notice itself fails', () => {
    const caughtBy = (name: string) =>
      (definition.States[name]?.Catch as { ErrorEquals: string[]; Next: string }[] | undefined)?.[0];
    for (const [task, pass] of [
      ['Rollback', 'RollbackIncomplete'],
      ['Finish', 'FinishIncomplete'],
      ['RefuseRollout', 'RefusalUnannounced'],
    ]) {
      expect(caughtBy(task ?? '')).toMatchObject({ ErrorEquals: ['States.ALL'], Next: pass });
      expect(definition.States[pass ?? '']).toMatchObject({
        Type: 'Pass',
        Next: pass === 'FinishIncomplete' ? 'ReleaseLock' : 'RolloutFailed',
      });
    }
  });

  it('gives the lock up when Finish failed, so the clean-up never rolls a finished rollout back', () => {
    expect(definition.States.ReleaseLock).toMatchObject({
      Type: 'Task',
      Parameters: { 'lock.$': '$.lock', release: true },
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'RolloutFailed' }],
      Next: 'RolloutFailed',
    });
  });

  it('holds the lock past every wait for a window', () => {
    const held = (states: Record<string, { Next?: string; Parameters?: unknown }>, wait: string) =>
      Object.values(states).find((state) => state.Next === wait);
    const mapStates = mapState.ItemProcessor.States;
    for (const [states, wait] of [
      [definition.States, 'WaitForWindow'],
      [mapStates, 'WaitForBatchWindow'],
    ] as const) {
      expect(held(states as Record<string, { Next?: string }>, wait)).toMatchObject({
        Type: 'Task',
        Parameters: { 'lock.$': '$.lock', 'until.$': '$.gate.until' },
      });
    }
  });

  it('leaves "ResultPath": "$" implicit (aws-local-stepfunctions 3 would store the result under a key "$")', () => {
    expect(JSON.stringify(definition)).not.toContain('"ResultPath":"$"');
  });

  it('fails with the original error name and cause', () => {
    expect(definition.States.RolloutFailed).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.failure.name',
      CausePath: '$.failure.cause',
    });
  });

  it('waits in Wait states, never in a Lambda, and replaces one batch at a time', () => {
    const waits = allStates.filter(([, state]) => state.Type === 'Wait');
    expect(waits.map(([name]) => name).sort()).toEqual([
      'WaitForBake',
      'WaitForBatchWindow',
      'WaitForDrain',
      'WaitForFastLaunch',
      'WaitForManagedUpdate',
      'WaitForReplacements',
      'WaitForRevert',
      'WaitForTermination',
      'WaitForWindow',
      'WaitForZones',
    ]);
    // A maintenance window is waited for until a moment, Fast Launch until the next look (capped at its
    // deadline); every other wait paces its polling rounds.
    const untilMoment: Record<string, string> = {
      WaitForWindow: '$.gate.until',
      WaitForBatchWindow: '$.gate.until',
      WaitForFastLaunch: '$.verified.fastLaunch.until',
    };
    expect(
      waits.every(([name, state]) =>
        name in untilMoment
          ? state.TimestampPath === untilMoment[name]
          : typeof state.SecondsPath === 'string',
      ),
    ).toBe(true);
    expect(mapState.MaxConcurrency).toBe(1);
  });
});

describe('the execution timeout', () => {
  it('outlasts the longest execution the deadlines allow, so a timeout never skips the rollback', () => {
    const timeoutSeconds = (definition as unknown as { TimeoutSeconds: number }).TimeoutSeconds;
    for (const deadlines of [
      { readyTimeoutSeconds: 1_800, drainTimeoutSeconds: 900 },
      { readyTimeoutSeconds: 7_200, drainTimeoutSeconds: 86_400 },
    ]) {
      const batches = batchesPerExecution(deadlines);
      const longest =
        batches * (deadlines.readyTimeoutSeconds + deadlines.drainTimeoutSeconds) + nodesGone.timeoutSeconds;
      expect(longest).toBeLessThan(timeoutSeconds);
    }
  });

  it('fits a JavaScript timer, as the local engine arms one for it (at most 2^31 - 1 ms)', () => {
    const timeoutSeconds = (definition as unknown as { TimeoutSeconds: number }).TimeoutSeconds;
    expect(timeoutSeconds * 1000).toBeLessThanOrEqual(2 ** 31 - 1);
  });
});

describe('statemachine/promotion.asl.json (waves)', () => {
  const promotion = loadDefinition(
    localFunctionArn,
    new URL('../../statemachine/promotion.asl.json', import.meta.url).pathname,
  ) as { States: Record<string, State>; TimeoutSeconds: number };
  const promotionTasks = Object.entries(promotion.States).filter(([, state]) => state.Type === 'Task');

  it('is valid Amazon States Language', () => {
    const { isValid, errorsText } = aslValidator(promotion);
    expect(errorsText()).toBe('');
    expect(isValid).toBe(true);
  });

  it.each(promotionTasks)('%s runs a handler that exists and retries throttling with backoff', (_, state) => {
    const parameters = state.Parameters as { FunctionName?: string };
    const key = functionKeyOfArn(parameters.FunctionName ?? (state.Resource as string));
    expect(existsSync(new URL(`../../functions/${kebab(key)}.ts`, import.meta.url))).toBe(true);
    const retry = state.Retry as { ErrorEquals: string[]; BackoffRate: number }[];
    expect(retry.flatMap((r) => r.ErrorEquals)).toEqual(
      expect.arrayContaining(['ThrottlingException', 'Lambda.ServiceException']),
    );
    expect(retry.every((r) => r.BackoffRate >= 2)).toBe(true);
    if (state.TimeoutSecondsPath !== undefined)
      expect(retry.flatMap((r) => r.ErrorEquals)).not.toContain('States.Timeout');
  });

  it('asks a person before a wave that wants it, and names the timeout ApprovalTimedOut', () => {
    const approve = promotion.States.ApproveWave as State & { Catch: { Next: string }[] };
    expect(approve.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(approve.TimeoutSecondsPath).toBe('$.cursor.approvalTimeoutSeconds');
    expect(promotion.States[approve.Catch[0]?.Next ?? '']).toMatchObject({
      Type: 'Fail',
      Error: 'ApprovalTimedOut',
    });
  });

  it('waits in Wait states only, and outlasts every wave deadline and bake the parameter allows', () => {
    const waits = Object.values(promotion.States).filter((state) => state.Type === 'Wait');
    expect(waits.map((state) => state.SecondsPath)).toEqual(['$.wave.seconds', '$.wave.bake.seconds']);
    expect(promotionBudgetSeconds).toBeLessThan(promotion.TimeoutSeconds);
  });
});
