import { readFileSync } from 'node:fs';
import { approve, reject } from './commands/approval.ts';
import { cordon, drain, uncordon } from './commands/drain.ts';
import { pause, resume } from './commands/pause.ts';
import { plan } from './commands/plan.ts';
import { report } from './commands/report.ts';
import { simulate } from './commands/simulate.ts';
import { start } from './commands/start.ts';
import { status } from './commands/status.ts';
import { type Command, helpText, SetupError, UsageError } from './options.ts';
import type { Runtime } from './runtime.ts';

export const tool = 'eks-windows-patcher';

// Each command loads what it needs when it runs: help and --version load none of it, and nothing the
// simulator sets up (its process.env) reaches a command that talks to AWS.
const commands: Command[] = [
  plan,
  start,
  status,
  approve,
  reject,
  pause,
  resume,
  report,
  simulate,
  drain,
  cordon,
  uncordon,
];

export const version = (): string =>
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;

export function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    `Usage: ${tool} <command> [options]`,
    '',
    'Plan, start and follow rollouts of new Windows AMIs to EKS node groups, or rehearse one on the simulator.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `Run '${tool} <command> --help' for its options, '${tool} --version' for the version.`,
    'AWS credentials come from --profile or the default chain (environment, profile, SSO, instance',
    'role); the Kubernetes API from EKS, or a kubeconfig.',
    '',
  ].join('\n');
}

function describeError(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  while (current instanceof Error && lines.length < 5) {
    lines.push(`${lines.length === 0 ? '' : 'caused by '}${current.name}: ${current.message}`);
    current = current.cause;
  }
  return lines.length > 0 ? lines.join('\n') : String(error);
}

/** Runs one command line; returns the exit status (0 done, 1 failed or refused, 2 bad usage). */
export async function main(argv: string[], runtime: Runtime): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? runtime.stderr : runtime.stdout).write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    runtime.stdout.write(`${tool} ${version()}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    runtime.stderr.write(`Unknown command: ${name}\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    runtime.stdout.write(helpText(tool, command));
    return 0;
  }
  try {
    return await command.run(rest, runtime);
  } catch (error) {
    // Scripts that asked for JSON get JSON on stdout, whatever went wrong.
    if (rest.includes('--json')) {
      const usage = error instanceof UsageError;
      const errorName = usage ? 'UsageError' : error instanceof Error ? error.name : 'Error';
      const message =
        error instanceof Error && !usage && !(error instanceof SetupError)
          ? describeError(error)
          : (error as Error).message;
      runtime.stdout.write(`${JSON.stringify({ error: { name: errorName, message } }, null, 2)}\n`);
      return usage ? 2 : 1;
    }
    if (error instanceof SetupError) {
      runtime.stderr.write(`${error.message}\n`);
      return 1;
    }
    if (error instanceof UsageError) {
      runtime.stderr.write(`${error.message}\nRun '${tool} ${name} --help' for the options.\n`);
      return 2;
    }
    runtime.stderr.write(`${describeError(error)}\n`);
    return 1;
  }
}
