import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetExecutionHistoryCommand, type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { executionArn, History } from './history-fixture.ts';
import { testRuntime } from './runtime-fixture.ts';

const sfn = mockClient(SFNClient);
beforeEach(() => sfn.reset());

/** Answers GetExecutionHistory in pages of 10 events, as the API pages long histories. */
function serve(...histories: HistoryEvent[][]) {
  let call = 0;
  sfn.on(GetExecutionHistoryCommand).callsFake(({ nextToken }: { nextToken?: string }) => {
    const events = histories[Math.min(call, histories.length - 1)] ?? [];
    const from = Number(nextToken ?? 0);
    const next = from + 10 < events.length ? String(from + 10) : undefined;
    if (next === undefined) call += 1;
    return { events: events.slice(from, from + 10), nextToken: next };
  });
}

const succeeded = () => new History().prepared().batch(0).batch(1).succeeded().events;
const drainWaiting = () =>
  new History()
    .prepared()
    .batch(0)
    .iteration(1)
    .surged()
    .step('Cordon', 1)
    .drainRound(false, ['shop/web-2: PodDisruptionBudget shop/web allows no disruption now'])
    .step('Drained?', 0)
    .enter('WaitForDrain', 20).events;
const drainTimedOut = () =>
  new History()
    .prepared()
    .batch(0)
    .iteration(1)
    .surged()
    .step('Cordon', 1)
    .drainRound(false, ['shop/web-2: PodDisruptionBudget shop/web allows no disruption now'])
    .waitForDrain(900)
    .enter('Drain', 2)
    .failed(
      'DrainTimeout',
      'The drain of ip-10-0-1-12.ec2.internal did not finish in 900 s: shop/web-2 (PDB shop/web).',
    ).events;

const waitedThenPaused = () =>
  new History()
    .prepared()
    .batch(0)
    .iteration(1)
    .step('RenewLock', 1)
    .step('BeforeBatch', 1, {
      gate: { go: false, until: '2026-11-14T21:00:00.000Z', reason: 'WaitingForWindow' },
    })
    .step('BatchMayStart?', 0)
    .step('WaitForBatchWindow', 3600)
    .step('RenewLock', 1)
    .step('BeforeBatch', 1, { gate: { go: false, until: null, reason: 'Paused', holdSeconds: 86_400 } })
    .step('BatchMayStart?', 0)
    .enter('Paused', 1800).events;

describe('status', () => {
  it('reads every page of the history and reports a finished rollout', async () => {
    serve(succeeded());
    const { run, output } = testRuntime();
    expect(await run('status', executionArn)).toBe(0);
    expect(output.stdout).toContain('Execution run-1: SUCCEEDED');
    expect(output.stdout).toContain('Rollout of prod/win-a to ami-0ccc0000000000003');
    expect(output.stdout).toContain('Nodes replaced: 4 of 4');
    expect(output.stdout).toContain(
      'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/',
    );
    expect(sfn.commandCalls(GetExecutionHistoryCommand).length).toBeGreaterThan(3);
  });

  it('names the batch, the step and the pods a waiting drain is blocked on', async () => {
    serve(drainWaiting());
    const { run, output } = testRuntime();
    expect(await run('status', executionArn)).toBe(0);
    expect(output.stdout).toContain('Execution run-1: RUNNING');
    expect(output.stdout).toContain('Nodes replaced: 2 of 4');
    expect(output.stdout).toContain('Now batch 2 of 2: drain (state WaitForDrain)');
    expect(output.stdout).toContain('Drain waits on:\n  - shop/web-2: PodDisruptionBudget shop/web');
  });

  it('says a paused rollout is paused and how to resume it, and lists where it stood still', async () => {
    serve(waitedThenPaused());
    const { run, output } = testRuntime();
    expect(await run('status', executionArn)).toBe(0);
    expect(output.stdout).toMatch(
      new RegExp(
        `Paused since 2026-11-12T\\S+: no next batch starts until 'npx eks-windows-patcher resume ${executionArn}'`,
      ),
    );
    expect(output.stdout).toMatch(
      /Stood still:\n {2}- waited for the maintenance window: \S+ to \S+ \(1 h 00 min\)\n {2}- paused: \S+ to now/,
    );
    const { run: runJson, output: json } = testRuntime();
    expect(await runJson('status', executionArn, '--json')).toBe(0);
    expect(JSON.parse(json.stdout).controls).toMatchObject([
      { kind: 'window', batch: 2, until: '2026-11-14T21:00:00.000Z' },
      { kind: 'pause', batch: 2, end: null },
    ]);
  });

  it('prints the error and its cause when the rollout failed, and exits 1', async () => {
    serve(drainTimedOut());
    const { run, output } = testRuntime();
    expect(await run('status', executionArn)).toBe(1);
    expect(output.stdout).toContain('Execution run-1: FAILED');
    expect(output.stdout).toContain('Stopped in batch 2 of 2: drain');
    expect(output.stdout).toContain(
      'DrainTimeout: The drain of ip-10-0-1-12.ec2.internal did not finish in 900 s',
    );
  });

  it('prints the progress as JSON for scripts', async () => {
    serve(drainWaiting());
    const { run, output } = testRuntime();
    await run('status', executionArn, '--json');
    expect(JSON.parse(output.stdout)).toMatchObject({
      executionArn,
      status: 'RUNNING',
      nodesReplaced: 2,
      nodesToReplace: 4,
      batches: 2,
      currentBatch: { number: 2, step: 'drain' },
      currentState: 'WaitForDrain',
      drainBlockers: ['shop/web-2: PodDisruptionBudget shop/web allows no disruption now'],
      error: null,
    });
  });

  it('follows the execution every 10 s until it ends', async () => {
    serve(drainWaiting(), drainWaiting(), drainTimedOut());
    const sleeps: number[] = [];
    const { run, output } = testRuntime({ sleep: async (ms) => void sleeps.push(ms) });
    expect(await run('status', executionArn, '--watch')).toBe(1);
    expect(sleeps).toEqual([10_000, 10_000]);
    // Not a terminal: one line per change, then the final status.
    expect(output.stdout.match(/\[#{10}-{10}\] 2\/4 nodes · batch 2 of 2: drain/g)).toHaveLength(1);
    expect(output.stdout).toContain('drain waits on 1 pod(s)');
    expect(output.stdout).toContain('Execution run-1: FAILED');
  });

  it('redraws one live line on a terminal', async () => {
    serve(drainWaiting(), drainTimedOut());
    const { runtime, run, output } = testRuntime();
    runtime.stdout.isTTY = true;
    await run('status', executionArn, '--watch');
    expect(output.stdout.startsWith('\r\u001b[2K')).toBe(true);
    expect(output.stdout).toMatch(/\[#{10}-{10}\] 2\/4 nodes .* · 55 min /);
    expect(output.stdout).toContain('\nExecution run-1: FAILED');
  });

  it('writes the rollout report of the execution with a bar group per replaced node', async () => {
    serve(succeeded());
    const { run } = testRuntime();
    const file = join(await mkdtemp(join(tmpdir(), 'status-')), 'report.html');
    await run('status', executionArn, '--report', file);
    const html = await readFile(file, 'utf8');
    expect(html.match(/<g class="node replaced"/g)).toHaveLength(4);
    expect(html).toContain('data-node="ip-10-0-2-13.ec2.internal"');
  });

  it('follows a rollout into the execution it continued in, and exits as that one ended', async () => {
    serve(
      new History().prepared().batch(0).batch(1).succeeded({ continuedAs: 'run-2' }).events,
      drainTimedOut(),
    );
    const { run, output } = testRuntime();
    expect(await run('status', executionArn)).toBe(1);
    expect(output.stdout).toContain('Execution run-1: SUCCEEDED');
    expect(output.stdout).toContain('Continued as run-2:');
    expect(output.stdout).toContain('DrainTimeout');
    const asked = sfn.commandCalls(GetExecutionHistoryCommand).map((call) => call.args[0].input.executionArn);
    expect(asked.at(-1)).toBe(`${executionArn.slice(0, executionArn.lastIndexOf(':'))}:run-2`);
  });

  it('refuses a missing execution ARN with the usage', async () => {
    const { run, output } = testRuntime();
    expect(await run('status')).toBe(2);
    expect(output.stderr).toContain('Expected the EXECUTION_ARN');
  });
});
