import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const region = 'eu-west-1';
const stateMachineArn = 'arn:aws:states:eu-west-1:444455556666:stateMachine:eks-windows-patcher-prod-rollout';

interface Call {
  host: string;
  target: string;
  body: string;
}

// The real SDK clients resolve endpoints and sign as in production; only their sockets come here.
const calls: Call[] = [];
const server = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    calls.push({ host: String(req.headers.host), target: String(req.headers['x-amz-target'] ?? ''), body });
    if (req.headers['x-amz-target'] === 'AWSStepFunctions.StartExecution') {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(
        JSON.stringify({
          executionArn: `${stateMachineArn.replace('stateMachine', 'execution')}:x`,
          startDate: 1,
        }),
      );
    } else {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ __type: 'AccessDeniedException', message: 'recorded by the test' }));
    }
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const redirect = (options: https.RequestOptions, callback?: (res: IncomingMessage) => void) =>
    httpRequest({ ...options, host: '127.0.0.1', port, agent: undefined }, callback);
  vi.spyOn(https, 'request').mockImplementation(redirect as typeof https.request);
  // What an operator's shell holds; set before the CLI is loaded, as it would be.
  vi.stubEnv('AWS_REGION', region);
  vi.stubEnv('STATE_MACHINE_ARN', stateMachineArn);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDOPERATOR');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
});

afterAll(() => {
  server.close();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

/** The CLI as `bin.js` runs it: its default runtime, loaded only now, after the environment is set. */
async function cli(...argv: string[]) {
  const [{ main }, { defaultRuntime }] = await Promise.all([
    import('../../cli/main.ts'),
    import('../../cli/runtime.ts'),
  ]);
  const output = { stdout: '', stderr: '' };
  const runtime = {
    ...defaultRuntime(),
    stdout: { write: (text: string) => (output.stdout += text) },
    stderr: { write: (text: string) => (output.stderr += text) },
  };
  return { code: await main(argv, runtime), output };
}

const rollout = ['--cluster', 'prod', '--node-group', 'win-a', '--ami', 'ami-0ccc0000000000003'];

describe('a command that talks to AWS', () => {
  it('plans in the region of AWS_REGION', async () => {
    calls.length = 0;
    const { code, output } = await cli('plan', ...rollout);
    expect(code).toBe(1);
    expect(output.stderr).toContain('recorded by the test');
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call.host).toMatch(/^[a-z0-9]+\.eu-west-1\.amazonaws\.com$/);
    expect(process.env.AWS_REGION).toBe(region);
  });

  it('starts the state machine of STATE_MACHINE_ARN, at its regional endpoint', async () => {
    calls.length = 0;
    const { code } = await cli('start', ...rollout);
    expect(code).toBe(0);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.host).toBe('states.eu-west-1.amazonaws.com');
    expect(JSON.parse(calls[0]?.body ?? '{}')).toMatchObject({ stateMachineArn });
  });
});
