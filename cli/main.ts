import { plan } from './commands/plan.ts';
import { simulate } from './commands/simulate.ts';
import { start } from './commands/start.ts';
import { status } from './commands/status.ts';
import { type Command, helpText, UsageError } from './options.ts';
import type { Runtime } from './runtime.ts';

export const tool = 'eks-windows-patcher';

const commands: Command[] = [plan, start, status, simulate];

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
    `Run '${tool} <command> --help' for its options. AWS credentials come from the default chain`,
    '(environment, profile, SSO, instance role); the Kubernetes API from EKS, or KUBECONFIG when set.',
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
    if (error instanceof UsageError) {
      runtime.stderr.write(`${error.message}\nRun '${tool} ${name} --help' for the options.\n`);
      return 2;
    }
    runtime.stderr.write(`${describeError(error)}\n`);
    return 1;
  }
}
