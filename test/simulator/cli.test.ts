import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scenarioDocument } from './world-fixture.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const shared = (name: string) => fileURLToPath(new URL(`../../../shared/scenarios/${name}`, import.meta.url));

/** Runs the command as a person would: without the test runner's Powertools settings. */
function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('POWERTOOLS_')),
  );
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['run', '--silent', 'simulate', '--', ...args],
      { cwd: root, env },
      (error, stdout, stderr) => {
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

describe.concurrent('npm run simulate', () => {
  it('exits 2 naming the field of a bad scenario, with no report', async () => {
    const document = scenarioDocument();
    document.faults.push({ kind: 'throttle', api: 'ec2:DescribeImages', times: 'twice' });
    const file = join(await mkdtemp(join(tmpdir(), 'scenario-')), 'bad.json');
    await writeFile(file, JSON.stringify(document));
    const result = await run('--scenario', file);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain('faults[0].times: expected a number');
  });

  it('exits 2 on bad usage', async () => {
    const result = await run('--scenarios', 'x.json');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--scenarios'");
    expect(result.stderr).toContain("Run 'eks-windows-patcher simulate --help' for the options.");
  });

  it('prints only the report with --json, and exits 1 when the rollout did not succeed', async () => {
    const result = await run('--scenario', shared('build-mismatch.json'), '--json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      status: 'FAILED',
      error: { name: 'WindowsBuildMismatch' },
    });
  });

  it('rehearses the default scenario with the HTML report, and nothing on stderr (no Powertools warning)', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'report-')), 'report.html');
    const result = await run('--quiet', '--report', file);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('Status:      SUCCEEDED');
    expect(result.stdout).not.toMatch(/^\[\+/m);
    expect(await readFile(file, 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('prints each step stamped with simulated time, then a summary, and exits 0 on success', async () => {
    const result = await run('--scenario', shared('dry-run.json'));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^\[\+00:00:0\d\] Plan: 4 nodes to replace \(0 already on the AMI\), in 4 batches/m,
    );
    expect(result.stdout).toContain('Status:      SUCCEEDED');
  });
});
