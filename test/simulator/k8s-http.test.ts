import { execFile, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../simulator/runner.ts';
import { loadScenario } from '../../simulator/scenario.ts';

const sharedDirectory = new URL('../../../shared/scenarios/', import.meta.url);
const scenarioFiles = [
  new URL('../../simulator/scenarios/default.json', import.meta.url),
  ...readdirSync(fileURLToPath(sharedDirectory))
    .filter((file) => file.endsWith('.json'))
    .map((file) => new URL(file, sharedDirectory)),
];
const repository = fileURLToPath(new URL('../../', import.meta.url));

describe('the workflow over real HTTP (--k8s-http)', () => {
  it.each(scenarioFiles.map((file) => [file.pathname.split('/').pop(), file] as const))(
    '%s ends as it does in-process',
    async (_, file) => {
      const scenario = await loadScenario(file);
      const inProcess = await simulate(scenario);
      const overHttp = await simulate(scenario, { k8sHttp: true });
      // Timings may differ: over HTTP the client absorbs a Kubernetes 429 with its own short retries.
      const outcome = (report: typeof inProcess) => ({
        status: report.status,
        error: report.error?.name,
        invariants: report.invariants,
        runningAmis: report.instances
          .filter((i) => i.state === 'running')
          .map((i) => `${i.nodeGroup} ${i.amiId}`)
          .sort(),
      });
      expect(outcome(overHttp)).toEqual(outcome(inProcess));
    },
  );
});

describe('npm run k8s-test-server', () => {
  it('serves a scenario cluster that npm run drain can drain', async () => {
    const server = spawn(
      'npm',
      [
        'run',
        '--silent',
        'k8s-test-server',
        '--',
        '--scenario',
        fileURLToPath(new URL('basic.json', sharedDirectory)),
      ],
      {
        cwd: repository,
        detached: true,
      },
    );
    try {
      const kubeconfig = await new Promise<string>((resolve, reject) => {
        let output = '';
        server.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /kubeconfig: (\S+)/.exec(output);
          if (match?.[1]) resolve(match[1]);
        });
        server.on('exit', (code) => reject(new Error(`k8s-test-server exited ${code}: ${output}`)));
      });
      const run = promisify(execFile);
      const nodes = await run(
        'kubectl',
        ['--kubeconfig', kubeconfig, 'get', 'nodes', '-l', 'kubernetes.io/os=windows', '-o', 'name'],
        {
          cwd: repository,
        },
      ).catch(() => undefined);
      const node = nodes?.stdout.split('\n')[0]?.replace('node/', '') ?? 'ip-10-0-12-7.ec2.internal';
      const drained = await run(
        'npm',
        ['run', '--silent', 'drain', '--', node, '--kubeconfig', kubeconfig, '--timeout', '120', '--json'],
        {
          cwd: repository,
        },
      );
      expect(JSON.parse(drained.stdout)).toMatchObject({ node, outcome: 'drained' });
    } finally {
      if (server.pid) process.kill(-server.pid, 'SIGTERM');
    }
  });
});
