import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { readExecution } from '../../report/history.ts';
import { stepFunctionsAt } from '../../simulator/aws.ts';
import { simulate } from '../../simulator/runner.ts';
import { loadScenario } from '../../simulator/scenario.ts';
import type { StepFunctions } from '../../simulator/stepfunctions.ts';
import type { World } from '../../simulator/world.ts';

const shared = (name: string) => new URL(`../../../shared/scenarios/${name}`, import.meta.url);

/** The scenario run, and its Step Functions read as at a moment the test moves. */
async function replay(name: string) {
  let world: World | undefined;
  let stepFunctions: StepFunctions | undefined;
  const report = await simulate(await loadScenario(shared(name)), {
    onWorld: (w) => {
      world = w;
    },
    onStepFunctions: (s) => {
      stepFunctions = s;
    },
  });
  if (!world || !stepFunctions) throw new Error('not started');
  const clock = { now: world.scheduler.now() };
  const sfn = stepFunctionsAt(world, stepFunctions, () => new Date(clock.now));
  const [execution] = stepFunctions.executions;
  if (!execution) throw new Error('no execution');
  return { report, sfn, clock, execution };
}

async function allPages(sfn: SFNClient, executionArn: string, maxResults?: number, reverseOrder?: boolean) {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults, reverseOrder, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

describe('GetExecutionHistory of the simulated Step Functions', () => {
  it('serves as many events as the execution counts against the history limit, in pages, either order', async () => {
    const { report, sfn, execution } = await replay('pdb-blocks.json');
    const events = await allPages(sfn, execution.arn, 40);
    expect(events.length).toBe(report.executionStats[0]?.historyEvents);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]?.type).toBe('ExecutionStarted');
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: 'DrainTimeout' },
    });
    expect((await allPages(sfn, execution.arn, 1000, true)).map((e) => e.id)).toEqual(
      events.map((e) => e.id).reverse(),
    );
    // The status command reads it as it reads AWS: the plan's batches, the failure and the rollback.
    const run = readExecution(events);
    expect(run).toMatchObject({ status: 'FAILED', error: { name: 'DrainTimeout' } });
    expect(run.plan?.batches).toHaveLength(4);
    expect(run.failedAt).toBeDefined();
    expect(run.rollbackAt).toBeGreaterThanOrEqual(run.failedAt ?? Number.POSITIVE_INFINITY);
    await expect(
      sfn.send(new GetExecutionHistoryCommand({ executionArn: execution.arn, maxResults: 1001 })),
    ).rejects.toThrow(/maxResults/);
  });

  it('answers as the service stood at the moment asked: a running execution and the events so far', async () => {
    const { sfn, clock, execution } = await replay('basic.json');
    const end = clock.now;
    clock.now = execution.startDate.getTime() + 10 * 60 * 1000;
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: execution.arn }));
    expect(described.status).toBe('RUNNING');
    expect(described).not.toHaveProperty('stopDate');
    expect(described).not.toHaveProperty('output');
    const soFar = await allPages(sfn, execution.arn);
    expect(soFar.every((e) => (e.timestamp?.getTime() ?? 0) <= clock.now)).toBe(true);
    expect(readExecution(soFar).status).toBe('RUNNING');
    clock.now = end;
    const all = await allPages(sfn, execution.arn);
    expect(all.length).toBeGreaterThan(soFar.length);
    expect(all.slice(0, soFar.length)).toEqual(soFar);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: execution.arn }))).status).toBe(
      'SUCCEEDED',
    );
  });
});
