import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testRuntime } from './runtime-fixture.ts';

const scenario = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const stepLines = (stdout: string) => stdout.split('\n').filter((line) => line.startsWith('[+'));

describe('simulate', () => {
  it('runs the built-in scenario like npm run simulate, and writes the JSON and HTML reports', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simulate-'));
    const { run, output } = testRuntime();
    const status = await run(
      'simulate',
      '--out',
      join(dir, 'report.json'),
      '--report',
      join(dir, 'report.html'),
    );
    expect(status).toBe(0);
    expect(output.stdout).toMatch(/^Scenario: /);
    expect(output.stdout).toMatch(/\[\+00:00:00\] Execution .* started/);
    expect(output.stdout).toContain('Status:      SUCCEEDED');
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    const terminated = report.instances.filter((i: { state: string }) => i.state === 'terminated');
    expect(html.match(/<g class="node replaced"/g)).toHaveLength(terminated.length);
  });

  it('tells the rollout in sentences, with a header per batch of the plan, and nothing after the final status', async () => {
    const { run, output } = testRuntime();
    expect(await run('simulate')).toBe(0);
    const headers = output.stdout.split('\n').filter((line) => line.startsWith('Batch '));
    expect(headers).toEqual([
      expect.stringMatching(/^Batch 1 of 3: ip-[\d-]+\.ec2\.internal, ip-[\d-]+\.ec2\.internal$/),
      expect.stringMatching(/^Batch 2 of 3: /),
      expect.stringMatching(/^Batch 3 of 3: ip-[\d-]+\.ec2\.internal$/),
    ]);
    expect(output.stdout).toMatch(
      /Plan: 5 nodes to replace \(0 already on the AMI\), in 3 batches of at most 2/,
    );
    expect(output.stdout).toMatch(/^ +Warning: maxSize is raised/m);
    expect(output.stdout).not.toMatch(/\w+=\[\d+\]/);
    expect(stepLines(output.stdout).at(-1)).toMatch(/Execution \S+ SUCCEEDED\.$/);
  });

  it("shows a dry run's batches and node names", async () => {
    const { run, output } = testRuntime();
    expect(await run('simulate', '--scenario', scenario('../../../shared/scenarios/dry-run.json'))).toBe(0);
    expect(output.stdout).toMatch(/^ +batch 1: ip-10-0-12-7\.ec2\.internal$/m);
    expect(output.stdout).toMatch(/^ +batch 4: ip-[\d-]+\.ec2\.internal$/m);
    expect(output.stdout).not.toContain('\nBatch 1');
  });

  it('tells a failure by its cause, and ends on the execution that ended last', async () => {
    const { run, output } = testRuntime();
    const status = await run(
      'simulate',
      '--scenario',
      scenario('../simulator/scenarios/rerun-after-failure.json'),
    );
    expect(output.stdout).toMatch(/Drain failed: DrainTimeout: .*refused by PDB/);
    expect(output.stdout).toMatch(/Rollback done: uncordoned /);
    expect(output.stdout).toContain('Status:      SUCCEEDED (the execution that ended last)');
    expect(output.stdout).toMatch(/Executions: +\S+ FAILED \(DrainTimeout\)\n +\S+ SUCCEEDED/);
    expect(status).toBe(0);
  });

  it('prints only how it ended with --quiet', async () => {
    const { run, output } = testRuntime();
    expect(await run('simulate', '--quiet')).toBe(0);
    expect(stepLines(output.stdout)).toEqual([]);
    expect(output.stdout).toContain('Status:      SUCCEEDED');
  });

  it('prints only the report with --json', async () => {
    const { run, output } = testRuntime();
    await run('simulate', '--json');
    expect(JSON.parse(output.stdout)).toMatchObject({
      status: 'SUCCEEDED',
      invariants: { pdbViolations: 0 },
    });
  });

  it('names the bad fields of a scenario and exits 2', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'simulate-')), 'bad.json');
    await writeFile(file, JSON.stringify({ description: 'bad', nodeGroups: [] }));
    const { run, output } = testRuntime();
    expect(await run('simulate', '--scenario', file)).toBe(2);
    expect(output.stderr).toContain('nodeGroups: expected at least 1 entries');
  });
});
