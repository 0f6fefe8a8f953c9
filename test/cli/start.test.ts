import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { testClients, testRuntime } from './runtime-fixture.ts';

const sfn = mockClient(SFNClient);
const stateMachineArn = 'arn:aws:states:eu-west-1:111122223333:stateMachine:eks-windows-patcher-prod-rollout';
const executionArn =
  'arn:aws:states:eu-west-1:111122223333:execution:eks-windows-patcher-prod-rollout:patch-nov';
const required = ['--cluster', 'prod', '--node-group', 'win-a', '--ami', 'ami-0ccc0000000000003'];

beforeEach(() => {
  sfn.reset();
  sfn
    .on(StartExecutionCommand)
    .resolves({ executionArn, startDate: new Date(Date.UTC(2026, 10, 12, 19, 5)) });
});

const inputFile = async (document: unknown) => {
  const file = join(await mkdtemp(join(tmpdir(), 'start-')), 'input.json');
  await writeFile(file, JSON.stringify(document));
  return file;
};

describe('start', () => {
  it('starts the state machine with the input as typed and prints the ARN and the console link', async () => {
    const { run, output } = testRuntime({ env: { STATE_MACHINE_ARN: stateMachineArn } });
    expect(await run('start', ...required, '--max-unavailable', '2', '--force', '--name', 'patch-nov')).toBe(
      0,
    );
    const call = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(call).toMatchObject({ stateMachineArn, name: 'patch-nov' });
    expect(JSON.parse(call?.input ?? '')).toEqual({
      clusterName: 'prod',
      nodeGroupName: 'win-a',
      amiId: 'ami-0ccc0000000000003',
      maxUnavailable: 2,
      force: true,
    });
    expect(output.stdout).toContain(`Execution: ${executionArn}`);
    expect(output.stdout).toContain(
      `Console:   https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${executionArn}`,
    );
  });

  it('reads --input FILE, lets flags override its fields, and prints JSON', async () => {
    const file = await inputFile({
      clusterName: 'prod',
      nodeGroupName: 'win-a',
      amiId: 'ami-0ccc0000000000003',
      dryRun: true,
    });
    const { run, output } = testRuntime();
    await run(
      'start',
      '--input',
      file,
      '--ami',
      'ami-0ddd0000000000004',
      '--state-machine-arn',
      stateMachineArn,
      '--json',
    );
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '')).toMatchObject({
      amiId: 'ami-0ddd0000000000004',
      dryRun: true,
    });
    expect(JSON.parse(output.stdout)).toMatchObject({
      executionArn,
      startDate: '2026-11-12T19:05:00.000Z',
      consoleUrl: expect.stringContaining(executionArn),
    });
  });

  it('names every bad field, flag or file, and exits 2 without starting anything', async () => {
    const file = await inputFile({
      clusterName: 'prod',
      nodeGroupName: 'win-a',
      amiId: 'ami-xyz',
      dryrun: true,
    });
    const { run, output } = testRuntime({ env: { STATE_MACHINE_ARN: stateMachineArn } });
    expect(await run('start', '--input', file, '--drain-timeout-seconds', '10')).toBe(2);
    expect(output.stderr).toContain('Invalid rollout input:');
    expect(output.stderr).toContain('--ami (amiId): must be an AMI id like ami-0123456789abcdef0');
    expect(output.stderr).toContain('--drain-timeout-seconds (drainTimeoutSeconds): must be at least 60');
    expect(output.stderr).toContain('dryrun: not an input field');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses an --input file that is not a JSON object', async () => {
    const file = await inputFile(['prod']);
    const { run, output } = testRuntime({ env: { STATE_MACHINE_ARN: stateMachineArn } });
    expect(await run('start', '--input', file)).toBe(2);
    expect(output.stderr).toContain('expected a JSON object');
  });

  it('needs the state machine, from --state-machine-arn or STATE_MACHINE_ARN', async () => {
    const { run, output } = testRuntime();
    expect(await run('start', ...required)).toBe(2);
    expect(output.stderr).toContain('pass --state-machine-arn ARN or set STATE_MACHINE_ARN');
  });

  it("talks to the state machine's region unless --region says otherwise", async () => {
    const regions: (string | undefined)[] = [];
    const { run } = testRuntime({
      env: { STATE_MACHINE_ARN: stateMachineArn },
      aws: ({ region }) => {
        regions.push(region);
        return testClients(region);
      },
    });
    await run('start', ...required);
    await run('start', ...required, '--region', 'us-west-2');
    expect(regions).toEqual(['eu-west-1', 'us-west-2']);
  });

  it('prints the error Step Functions answered and exits 1', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(
        Object.assign(new Error('Execution Already Exists: patch-nov'), { name: 'ExecutionAlreadyExists' }),
      );
    const { run, output } = testRuntime({ env: { STATE_MACHINE_ARN: stateMachineArn } });
    expect(await run('start', ...required, '--name', 'patch-nov')).toBe(1);
    expect(output.stderr).toBe('ExecutionAlreadyExists: Execution Already Exists: patch-nov\n');
  });
});
