import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testRuntime } from './runtime-fixture.ts';

// Not beside status.test.ts: its aws-sdk-client-mock would answer the simulator's own SFN client.
const scenario = (name: string) => fileURLToPath(new URL(`../simulator/scenarios/${name}`, import.meta.url));
const shared = (name: string) => fileURLToPath(new URL(`../../../shared/scenarios/${name}`, import.meta.url));

describe('status --scenario', () => {
  it('reads every execution of a re-run from the simulated Step Functions, and exits as the last one ended', async () => {
    const { run, output } = testRuntime({
      aws: () => Promise.reject(new Error('status --scenario must not call AWS')),
    });
    const file = join(await mkdtemp(join(tmpdir(), 'status-')), 'report.html');
    expect(await run('status', '--scenario', scenario('rerun-after-failure.json'), '--report', file)).toBe(0);
    const [first, second] = output.stdout.split('\n\nExecution ');
    expect(first).toMatch(/^Execution console-[\w-]+: FAILED \(ran for \d+ min \d+ s\)/);
    // Batch 2 was surged by batch 1's Cordon: its states, not a Surge, tell it started.
    expect(first).toContain('Nodes replaced: 2 of 5');
    expect(first).toContain('Stopped in batch 2 of 3: drain');
    expect(first).toMatch(/Drain was held by:\n {2}- shop\/web-[\w-]+ refused by PDB web/);
    expect(second).toMatch(/^console-[\w-]+: SUCCEEDED/);
    expect(second).toContain('Nodes replaced: 3 of 3');
    expect(output.stdout).not.toContain('Console:');
    // The report is the whole rollout's, as simulate --report draws it.
    expect(await readFile(file, 'utf8')).toContain('>1. FAILED, 2. SUCCEEDED</dd>');
  });

  it('--watch replays the execution on the simulated clock, a line per change, until it ends', async () => {
    const sleeps: number[] = [];
    const { run, output } = testRuntime({ sleep: async (ms) => void sleeps.push(ms) });
    expect(await run('status', '--scenario', shared('pdb-blocks.json'), '--watch')).toBe(1);
    // The simulated clock advances; no real sleep.
    expect(sleeps).toEqual([]);
    const lines = output.stdout.split('\n').filter((line) => line.startsWith('['));
    expect(lines[0]).toMatch(/^\[-{20}\] 0\/\? nodes · \w+ · 0 s$/);
    expect(lines).toContainEqual(
      expect.stringMatching(/batch 1 of 4: drain · \d+ min.* · drain waits on 1 pod\(s\)$/),
    );
    const minutes = lines.map((line) => Number(/· (\d+) min/.exec(line)?.[1] ?? 0));
    expect(minutes).toEqual([...minutes].sort((a, b) => a - b));
    expect(output.stdout).toMatch(/Execution console-[\w-]+: FAILED/);
    expect(output.stdout).toContain('DrainTimeout: Drain of ');
  });

  it('prints one JSON list for several executions, or names the ones it ran when asked for another', async () => {
    const json = testRuntime();
    expect(await json.run('status', '--scenario', scenario('rerun-after-failure.json'), '--json')).toBe(0);
    const summaries = JSON.parse(json.output.stdout) as { status: string; nodesReplaced: number }[];
    expect(summaries.map((s) => [s.status, s.nodesReplaced])).toEqual([
      ['FAILED', 2],
      ['SUCCEEDED', 3],
    ]);
    const unknown = testRuntime();
    expect(await unknown.run('status', '--scenario', shared('pdb-blocks.json'), 'console-nope')).toBe(2);
    expect(unknown.output.stderr).toMatch(
      /No execution console-nope in this scenario; it ran: console-[\w-]+\./,
    );
  });
});
