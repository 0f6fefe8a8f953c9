import { parseArgs } from 'node:util';
import type { FlagNames } from '../../functions/adapters/kubernetes/drain-round.ts';

/** A bad command line: the message names the flag; the exit status is 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const commands = ['drain', 'cordon', 'uncordon'] as const;
export type CommandName = (typeof commands)[number];

export interface Target {
  kubeconfig: string;
  node: string;
  dryRun: boolean;
  json: boolean;
}

export interface DrainSettings {
  node: string;
  timeoutSeconds: number;
  force: boolean;
  overridePdbAfterTimeout: boolean;
  deleteEmptyDirData: boolean;
  gracePeriodSeconds: number | undefined;
  dryRun: boolean;
}

export type Invocation =
  | { command: 'help' }
  | { command: 'drain'; target: Target; settings: DrainSettings }
  | { command: 'cordon' | 'uncordon'; target: Target };

/** This command's flags, for the messages that suggest one. */
export const cliFlagNames: FlagNames = {
  force: '--force',
  deleteEmptyDirData: '--delete-emptydir-data',
  overridePdbAfterTimeout: '--override-pdb-after-timeout',
};

/** The workflow's default `drainTimeoutSeconds`. */
export const defaultTimeoutSeconds = 900;

export const usage = `Usage:
  npm run drain -- --kubeconfig FILE --node NAME [--timeout S] [--force] [--override-pdb-after-timeout]
                   [--delete-emptydir-data] [--grace-period S] [--dry-run] [--json]
  npm run cordon -- --kubeconfig FILE --node NAME [--dry-run] [--json]
  npm run uncordon -- --kubeconfig FILE --node NAME [--dry-run] [--json]

The rollout's cordon and drain, by hand, with the workflow's rules: cordon (annotated, skipped when
the node is already unschedulable), then rounds of policy/v1 evictions: DaemonSet and mirror pods are
skipped, emptyDir pods need --delete-emptydir-data, bare pods need --force; a PDB's refusal (429) is
retried every 5 s until the timeout, which ends the drain (exit 1) with the pods kept. Only
--override-pdb-after-timeout deletes, at the timeout, the pods PDBs still refuse (and pods under several
PDBs, which the API never evicts), each one reported. uncordon also removes the cordon annotation.

Options:
  --kubeconfig FILE        kubeconfig of the cluster (its current context)
  --node NAME              the node
  --timeout S              drain deadline in seconds (default ${defaultTimeoutSeconds}, the workflow's)
  --force                  evict pods no controller recreates (bare, orphaned DaemonSet); PDBs still
                           hold, as with kubectl drain --force
  --override-pdb-after-timeout
                           at the timeout, delete the pods PDBs still refuse (kubectl drain
                           --disable-eviction; EKS managed node groups' force)
  --delete-emptydir-data   evict pods with emptyDir volumes (their data is lost)
  --grace-period S         eviction grace period (default: each pod's own)
  --dry-run                print the verdicts and what the PDBs would refuse now; change nothing
  --json                   print one JSON object at the end instead of lines as it goes

Exit status: 0 no evictable pod is left (or the dry run found none blocked), 1 the timeout ran out or
a pod could not be evicted, 2 bad usage.
`;

const targetOptions = {
  kubeconfig: { type: 'string' },
  node: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const drainOptions = {
  ...targetOptions,
  timeout: { type: 'string' },
  force: { type: 'boolean', default: false },
  'override-pdb-after-timeout': { type: 'boolean', default: false },
  'delete-emptydir-data': { type: 'boolean', default: false },
  'grace-period': { type: 'string' },
} as const;

/** `[drain|cordon|uncordon] --flags...`; drain when no command is named. */
export function parseInvocation(argv: string[]): Invocation {
  const [first, ...rest] = argv;
  const named = commands.find((command) => command === first);
  const command = named ?? 'drain';
  const args = named ? rest : argv;
  if (command !== 'drain') {
    const { values } = strictParse(args, targetOptions);
    return values.help ? { command: 'help' } : { command, target: target(values) };
  }
  const { values } = strictParse(args, drainOptions);
  if (values.help) return { command: 'help' };
  const settings: DrainSettings = {
    node: required(values.node, '--node NAME', 'the node to drain'),
    timeoutSeconds: seconds(values.timeout, '--timeout', 1) ?? defaultTimeoutSeconds,
    force: values.force,
    overridePdbAfterTimeout: values['override-pdb-after-timeout'],
    deleteEmptyDirData: values['delete-emptydir-data'],
    gracePeriodSeconds: seconds(values['grace-period'], '--grace-period', 0),
    dryRun: values['dry-run'],
  };
  return { command, target: target(values), settings };
}

function strictParse<Options extends typeof targetOptions>(args: string[], options: Options) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function target(values: { kubeconfig?: string; node?: string; 'dry-run': boolean; json: boolean }): Target {
  return {
    kubeconfig: required(values.kubeconfig, '--kubeconfig FILE', 'the kubeconfig of the cluster'),
    node: required(values.node, '--node NAME', 'the node'),
    dryRun: values['dry-run'],
    json: values.json,
  };
}

function required(value: string | undefined, flag: string, what: string): string {
  if (!value) throw new UsageError(`${flag} is required: ${what}.`);
  return value;
}

function seconds(value: string | undefined, flag: string, minimum: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < minimum) {
    throw new UsageError(`${flag} must be a whole number of seconds, at least ${minimum} (got "${value}").`);
  }
  return Number(value);
}
