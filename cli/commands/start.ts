import { readFile } from 'node:fs/promises';
import {
  type Command,
  checkInput,
  commonOptions,
  inputFromFlags,
  inputOptions,
  parseCommand,
  stringOption,
  UsageError,
} from '../options.ts';

async function readInputFile(path: string): Promise<Record<string, unknown>> {
  let document: unknown;
  try {
    document = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--input ${path}: ${(error as Error).message}`);
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new UsageError(`--input ${path}: expected a JSON object like {"clusterName": ...}`);
  }
  return document as Record<string, unknown>;
}

/** `arn:aws:states:<region>:...`: the region the state machine lives in. */
export const regionOfArn = (arn: string): string | undefined => arn.split(':')[3] || undefined;

export const start: Command = {
  name: 'start',
  summary: 'Start a rollout (a Step Functions execution).',
  details:
    "The input (flags, or --input FILE with flags overriding its fields) is checked with the workflow's schema, " +
    'then the state machine is started. Prints the execution ARN and its console link. Exit status 2 when the ' +
    'input is invalid (each bad field is named), 1 when the start failed.',
  usage: 'start --cluster NAME --node-group NAME --ami AMI_ID [options]   or   start --input FILE [options]',
  options: {
    ...inputOptions(),
    input: {
      type: 'string',
      value: 'FILE',
      description: 'Execution input as a JSON file (docs/operating.md lists the fields).',
    },
    'state-machine-arn': {
      type: 'string',
      value: 'ARN',
      description: 'The rollout state machine (default: environment variable STATE_MACHINE_ARN).',
    },
    name: {
      type: 'string',
      value: 'NAME',
      description: 'Execution name (default: one Step Functions makes up).',
    },
    ...commonOptions,
  },
  async run(argv, runtime) {
    const { values } = parseCommand(start, argv);
    const file = stringOption(values, 'input');
    const raw = { ...(file ? await readInputFile(file) : {}), ...inputFromFlags(values) };
    checkInput(raw);
    const stateMachineArn = stringOption(values, 'state-machine-arn') ?? runtime.env.STATE_MACHINE_ARN;
    if (!stateMachineArn) {
      throw new UsageError('No state machine: pass --state-machine-arn ARN or set STATE_MACHINE_ARN.');
    }
    // Credentials first: without them, the one line that says so comes before anything else loads.
    const { sfn } = await runtime.aws({
      region: stringOption(values, 'region') ?? regionOfArn(stateMachineArn),
      profile: stringOption(values, 'profile'),
    });
    const [{ StartExecutionCommand }, { consoleUrl }] = await Promise.all([
      import('@aws-sdk/client-sfn'),
      import('../../functions/domain/notification.ts'),
    ]);
    // The input goes as typed: the deployed workflow fills in its own defaults.
    const { executionArn = '', startDate } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: stringOption(values, 'name'),
        input: JSON.stringify(raw),
      }),
    );
    const url = consoleUrl(executionArn);
    runtime.stdout.write(
      values.json
        ? `${JSON.stringify({ executionArn, startDate: startDate?.toISOString() ?? null, consoleUrl: url, input: raw }, null, 2)}\n`
        : [
            `Started the rollout of ${String(raw.clusterName)}/${String(raw.nodeGroupName)} to ${String(raw.amiId)}.`,
            `Execution: ${executionArn}`,
            `Console:   ${url}`,
            `Follow it: eks-windows-patcher status ${executionArn} --watch`,
            '',
          ].join('\n'),
    );
    return 0;
  },
};
