import { kubeconfigConnector } from '../../functions/adapters/kubernetes/connect.ts';
import type { KubernetesPort } from '../../functions/adapters/kubernetes/port.ts';
import { changeLine, cordonNode, uncordonNode } from './cordon.ts';
import { parseInvocation, type Target, UsageError, usage } from './options.ts';
import { type Clock, type DrainReport, drainNode } from './run.ts';

export interface Terminal {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  clock: Clock;
}

/** Runs one command line; returns the exit status: 0 done, 1 not drained (or failed), 2 bad usage. */
export async function runCommand(argv: string[], terminal: Terminal): Promise<number> {
  try {
    const invocation = parseInvocation(argv);
    if (invocation.command === 'help') {
      terminal.stdout.write(usage);
      return 0;
    }
    const { target } = invocation;
    const kubernetes = await connect(target.kubeconfig);
    if (invocation.command === 'drain') {
      const say = target.json ? () => undefined : (line: string) => terminal.stdout.write(`${line}\n`);
      const report = await drainNode(kubernetes, invocation.settings, terminal.clock, say);
      return printReport(report, target, terminal);
    }
    const change = invocation.command === 'cordon' ? cordonNode : uncordonNode;
    const result = await change(kubernetes, target.node, target.dryRun);
    terminal.stdout.write(
      target.json
        ? `${JSON.stringify({ node: target.node, result })}\n`
        : `${changeLine(target.node, result)}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      terminal.stderr.write(`${error.message}\nRun 'npm run drain -- --help' for the options.\n`);
      return 2;
    }
    terminal.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** The kubeconfig's current context (a connector reaches it whatever the cluster name). */
async function connect(kubeconfig: string): Promise<KubernetesPort> {
  try {
    return await kubeconfigConnector(kubeconfig)('current-context');
  } catch (error) {
    throw new UsageError(`--kubeconfig ${kubeconfig}: ${(error as Error).message}`);
  }
}

const succeeded = (report: DrainReport) => report.outcome === 'drained' || report.outcome === 'dry-run';

function printReport(report: DrainReport, target: Target, terminal: Terminal): number {
  if (target.json) terminal.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (succeeded(report)) terminal.stdout.write(`${summary(report)}\n`);
  else terminal.stderr.write(`${summary(report)}\n`);
  return succeeded(report) ? 0 : 1;
}

function summary(report: DrainReport): string {
  const status = succeeded(report) ? report.outcome : `not drained (${report.outcome})`;
  const blockers = report.blockers.map(
    ({ pod, reason, pdbs }) => `  pod ${pod}: ${reason}${pdbs.length > 0 ? ` [PDB ${pdbs.join(', ')}]` : ''}`,
  );
  return [
    `node ${report.node} ${status} after ${report.seconds} s: ${report.message}`,
    ...(blockers.length > 0 ? ['Blocked by:', ...blockers] : []),
  ].join('\n');
}
