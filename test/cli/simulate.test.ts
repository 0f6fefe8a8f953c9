import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testRuntime } from './runtime-fixture.ts';

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
