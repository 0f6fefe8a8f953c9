import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall-clock milliseconds. */
  ms: number;
}

/** The installed command, as a person runs it: only the variables given, none of the test runner's. */
function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout, stderr) =>
        resolve({
          code: typeof error?.code === 'number' ? error.code : 0,
          stdout,
          stderr,
          ms: performance.now() - started,
        }),
    );
  });
}

/** CPU seconds (user + system) the command used, from bash's `times`: what it costs on an idle machine. */
function cpuSeconds(args: string[], env?: Record<string, string>): Promise<number> {
  const command = `${[process.execPath, bin, ...args].map((a) => `'${a}'`).join(' ')} >/dev/null 2>&1; times`;
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', command],
      env ? { env: { PATH: process.env.PATH ?? '', ...env } } : {},
      (error, stdout) => {
        if (error) return reject(error);
        // The second line holds the children's user and system time, e.g. `0m0.254s 0m0.199s`.
        const [user = 0, system = 0] = [
          ...(stdout.trim().split('\n')[1] ?? '').matchAll(/(\d+)m([\d.]+)s/g),
        ].map((m) => Number(m[1]) * 60 + Number(m[2]));
        resolve(user + system);
      },
    );
  });
}

describe('eks-windows-patcher, the installed command', () => {
  it.each([
    [['--help']],
    [['plan', '--help']],
    [['start', '--help']],
    [['drain', '--help']],
    [['--version']],
  ])('%j answers in under a second, without loading the commands', async (args) => {
    const result = await run(args);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).not.toBe('');
    // The machine running the tests may be shared: its CPU time is what a person waits on an idle one.
    expect(await cpuSeconds(args)).toBeLessThan(1);
  });

  it('prints its version', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    expect((await run(['--version'])).stdout).toBe(`eks-windows-patcher ${version}\n`);
  });

  it('says in one line what to do when there are no AWS credentials, at once', async () => {
    const home = await mkdtemp(join(tmpdir(), 'home-'));
    // An instance metadata service that never answers, as a laptop's network treats its address.
    const silent = createServer(() => undefined).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const env = {
      HOME: home,
      AWS_REGION: 'eu-west-1',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
    };
    const args = ['plan', '--cluster', 'prod', '--node-group', 'win-a', '--ami', 'ami-0ccc0000000000003'];
    try {
      const result = await run(args, env);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        "No AWS credentials: run 'aws configure' or 'aws sso login', or pass --profile NAME; to try it without an account, pass --scenario FILE (the simulator).\n",
      );
      expect(result.stdout).toBe('');
      // One try of the metadata service (1 s for its token, 1 s for the role) and nothing loaded after:
      // it took 4 s of CPU and 15 s or more under load while the handlers loaded beside the check.
      expect(result.ms).toBeLessThan(10_000);
      expect(await cpuSeconds(args, env)).toBeLessThan(1.5);
    } finally {
      silent.close();
    }
  });

  it('names the profile that has no credentials', async () => {
    const home = await mkdtemp(join(tmpdir(), 'home-'));
    const result = await run(
      ['status', 'arn:aws:states:eu-west-1:444455556666:execution:m:e', '--profile', 'prod'],
      {
        HOME: home,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^No AWS credentials for profile prod: .*\n$/);
  });
});
