import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { KubernetesPort } from '../../functions/adapters/kubernetes/port.ts';
import type { DrainReport } from '../drain/run.ts';
import {
  type Command,
  helpOption,
  type OptionSpec,
  type OptionValues,
  parseCommand,
  stringOption,
  UsageError,
} from '../options.ts';
import type { Runtime } from '../runtime.ts';

/** The workflow's default `drainTimeoutSeconds`. */
export const defaultTimeoutSeconds = 900;

const targetOptions: Record<string, OptionSpec> = {
  kubeconfig: {
    type: 'string',
    value: 'FILE',
    description: 'kubeconfig of the cluster, its current context (default: KUBECONFIG, else ~/.kube/config).',
  },
  'dry-run': { type: 'boolean', description: 'Print what would change; change nothing.' },
  json: { type: 'boolean', description: 'Print one JSON object at the end instead of lines as it goes.' },
  ...helpOption,
};

/** Like kubectl: --kubeconfig, else KUBECONFIG, else ~/.kube/config. */
export function kubeconfigPath(values: OptionValues, runtime: Pick<Runtime, 'env' | 'home'>): string {
  const flag = stringOption(values, 'kubeconfig');
  if (flag) return flag;
  const fromEnv = runtime.env.KUBECONFIG;
  if (fromEnv) {
    const files = fromEnv.split(delimiter).filter(Boolean);
    if (files.length > 1) {
      throw new UsageError(
        `KUBECONFIG names ${files.length} files; pass --kubeconfig FILE with the one to use.`,
      );
    }
    return files[0] ?? fromEnv;
  }
  const home = join(runtime.home, '.kube', 'config');
  if (!existsSync(home)) {
    throw new UsageError(`No kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or write ${home}.`);
  }
  return home;
}

/** The command line: the node and the options. */
function parseTarget(command: Command, argv: string[]) {
  const { values, positionals } = parseCommand(command, argv, 1);
  const [node] = positionals;
  if (!node) throw new UsageError(`Expected the NODE to ${command.name}.`);
  return { values, node, dryRun: values['dry-run'] === true };
}

/** The cluster of the kubeconfig's current context. */
async function connect(values: OptionValues, runtime: Runtime): Promise<KubernetesPort> {
  const kubeconfig = kubeconfigPath(values, runtime);
  const { kubeconfigConnector } = await import('../../functions/adapters/kubernetes/connect.ts');
  try {
    return await kubeconfigConnector(kubeconfig)('current-context');
  } catch (error) {
    throw new UsageError(`kubeconfig ${kubeconfig}: ${(error as Error).message}`);
  }
}

function seconds(values: OptionValues, flag: string, minimum: number): number | undefined {
  const value = stringOption(values, flag);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < minimum) {
    throw new UsageError(
      `--${flag} must be a whole number of seconds, at least ${minimum} (got "${value}").`,
    );
  }
  return Number(value);
}

const succeeded = (report: DrainReport) => report.outcome === 'drained' || report.outcome === 'dry-run';

function summary(report: DrainReport): string {
  const status = succeeded(report) ? report.outcome : `not drained (${report.outcome})`;
  const blockers = report.blockers.map(
    ({ pod, reason, pdbs }) => `  pod ${pod}: ${reason}${pdbs.length > 0 ? ` [PDB ${pdbs.join(', ')}]` : ''}`,
  );
  return [
    `node ${report.node} ${status} after ${report.seconds} s: ${report.message}`,
    ...(blockers.length > 0
      ? [report.outcome === 'dry-run' ? 'The API server would refuse now:' : 'Blocked by:', ...blockers]
      : []),
  ].join('\n');
}

export const drain: Command = {
  name: 'drain',
  summary: "Cordon a node and evict its pods with the workflow's rules.",
  details:
    'Cordons the node (annotated, so no rollback uncordons it; a node already unschedulable is left as it is), then ' +
    'evicts in rounds through the policy/v1 Eviction API: DaemonSet and mirror pods are skipped, emptyDir pods need ' +
    "--delete-emptydir-data, bare pods need --force; a PDB's refusal (429) is retried every 5 s until --timeout, " +
    'which ends the drain with the pods kept. Only --override-pdb-after-timeout deletes, at the timeout, the pods ' +
    'PDBs still refuse (and pods under several PDBs, which the API never evicts), each one reported. Exit status 0 ' +
    'when no evictable pod is left, 1 when the timeout ran out or a pod could not be evicted, 2 on bad usage.',
  usage: 'drain NODE [options]',
  options: {
    timeout: {
      type: 'string',
      value: 'S',
      description: `Drain deadline in seconds (default ${defaultTimeoutSeconds}, the workflow's).`,
    },
    force: {
      type: 'boolean',
      description:
        'Evict pods no controller recreates (bare, orphaned DaemonSet); PDBs still hold, as with kubectl drain --force.',
    },
    'override-pdb-after-timeout': {
      type: 'boolean',
      description:
        "At the timeout, delete the pods PDBs still refuse (kubectl drain --disable-eviction; EKS managed node groups' force).",
    },
    'delete-emptydir-data': {
      type: 'boolean',
      description: 'Evict pods with emptyDir volumes (their data is lost).',
    },
    'grace-period': {
      type: 'string',
      value: 'S',
      description: "Eviction grace period (default: each pod's own).",
    },
    ...targetOptions,
  },
  async run(argv, runtime) {
    const { values, node, dryRun } = parseTarget(drain, argv);
    const settings = {
      node,
      timeoutSeconds: seconds(values, 'timeout', 1) ?? defaultTimeoutSeconds,
      force: values.force === true,
      overridePdbAfterTimeout: values['override-pdb-after-timeout'] === true,
      deleteEmptyDirData: values['delete-emptydir-data'] === true,
      gracePeriodSeconds: seconds(values, 'grace-period', 0),
      dryRun,
    };
    const kubernetes = await connect(values, runtime);
    const { drainNode } = await import('../drain/run.ts');
    const say = values.json ? () => undefined : (line: string) => runtime.stdout.write(`${line}\n`);
    const report = await drainNode(kubernetes, settings, { now: runtime.now, sleep: runtime.sleep }, say);
    if (values.json) runtime.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else (succeeded(report) ? runtime.stdout : runtime.stderr).write(`${summary(report)}\n`);
    return succeeded(report) ? 0 : 1;
  },
};

function nodeChange(name: 'cordon' | 'uncordon', summary: string, details: string): Command {
  const command: Command = {
    name,
    summary,
    details,
    usage: `${name} NODE [options]`,
    options: targetOptions,
    async run(argv, runtime) {
      const { values, node, dryRun } = parseTarget(command, argv);
      const kubernetes = await connect(values, runtime);
      const { changeLine, cordonNode, uncordonNode } = await import('../drain/cordon.ts');
      const result = await (name === 'cordon' ? cordonNode : uncordonNode)(kubernetes, node, dryRun);
      runtime.stdout.write(
        values.json ? `${JSON.stringify({ node, result })}\n` : `${changeLine(node, result)}\n`,
      );
      return 0;
    },
  };
  return command;
}

export const cordon = nodeChange(
  'cordon',
  'Mark a node unschedulable, as the workflow does.',
  'The node is annotated as cordoned by hand, so no rollback uncordons it; a node already unschedulable is left as it is.',
);

export const uncordon = nodeChange(
  'uncordon',
  'Make a node schedulable again.',
  'Also removes the cordon annotation, whoever cordoned it: use it for the nodes a stopped rollout left cordoned.',
);
