import type { V1Pod } from '@kubernetes/client-node';
import {
  type DrainRules,
  deletePods,
  type EvictionRound,
  evictablePods,
  evictionRound,
  type FlagNames,
  type JudgedPod,
  judgePods,
  refusedNow,
} from '../../functions/adapters/kubernetes/drain-round.ts';
import type { EvictionOutcome, KubernetesPort } from '../../functions/adapters/kubernetes/port.ts';
import { DrainBlocked } from '../../functions/commons/errors.ts';
import type { EvictionVerdict } from '../../functions/domain/eviction.ts';
import { isTerminating, podKey } from '../../functions/domain/nodes.ts';
import { pdbName, pdbsOf } from '../../functions/domain/preflight.ts';
import { type CordonResult, changeLine, cordonNode } from './cordon.ts';

/** How often the pods a PDB refused are tried again. */
const retryIntervalMs = 5_000;
/** How often an evicted pod is looked up until it is gone, as `kubectl drain` does. */
const goneIntervalMs = 1_000;
/** The API server's default terminationGracePeriodSeconds. */
const defaultGraceSeconds = 30;

export interface DrainSettings {
  node: string;
  timeoutSeconds: number;
  force: boolean;
  overridePdbAfterTimeout: boolean;
  deleteEmptyDirData: boolean;
  gracePeriodSeconds: number | undefined;
  dryRun: boolean;
}

/** This command's flags, for the messages that suggest one. */
export const cliFlagNames: FlagNames = {
  force: '--force',
  deleteEmptyDirData: '--delete-emptydir-data',
  overridePdbAfterTimeout: '--override-pdb-after-timeout',
};

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export type PodResult = 'evicted' | 'gone' | 'refused' | 'failed' | 'deleted';

export interface PodReport {
  pod: string;
  verdict: EvictionVerdict['action'];
  reason: string;
  warning?: string;
  result?: PodResult;
  /** What the API answered, for refusals. */
  detail?: string;
}

export interface Blocker {
  pod: string;
  reason: string;
  pdbs: string[];
}

export type DrainOutcome = 'drained' | 'dry-run' | 'refused' | 'pod-failed' | 'timeout';

interface Ending {
  outcome: DrainOutcome;
  message: string;
  blockers: Blocker[];
}

export interface DrainReport extends Ending {
  node: string;
  cordon: CordonResult;
  pods: PodReport[];
  seconds: number;
}

/**
 * Cordons the node, then drains it in rounds with the workflow's rules (drain-round.ts) until no
 * evictable pod is left, a pod cannot be evicted, or the timeout runs out. `say` hears each change.
 */
export async function drainNode(
  kubernetes: KubernetesPort,
  settings: DrainSettings,
  clock: Clock,
  say: (line: string) => void,
): Promise<DrainReport> {
  const started = clock.now();
  const cordon = await cordonNode(kubernetes, settings.node, settings.dryRun);
  say(changeLine(settings.node, cordon));
  const ledger = new PodLedger(say, settings.overridePdbAfterTimeout);
  const deadline = started + settings.timeoutSeconds * 1000;
  const ending = await drainRounds({ kubernetes, settings, clock, ledger, deadline, say });
  return {
    node: settings.node,
    cordon,
    ...ending,
    pods: ledger.reports(),
    seconds: Math.round((clock.now() - started) / 1000),
  };
}

interface Drain {
  kubernetes: KubernetesPort;
  settings: DrainSettings;
  clock: Clock;
  ledger: PodLedger;
  deadline: number;
  say: (line: string) => void;
}

async function drainRounds(drain: Drain): Promise<Ending> {
  for (;;) {
    const pods = await podsToEvict(drain);
    if ('outcome' in pods) return pods;
    if (drain.settings.dryRun) return dryRun(drain, pods);
    if (pods.length === 0) return drained(drain.settings.node, drain.ledger);
    const ending = await evictAndWait(drain, pods);
    if (ending) return ending;
  }
}

/** The pods to evict this round, or the end of the drain when the rules refuse one. */
async function podsToEvict({ kubernetes, settings, ledger }: Drain): Promise<V1Pod[] | Ending> {
  const judged = await judgePods(kubernetes, [settings.node], settings);
  ledger.judged(judged);
  try {
    return evictablePods(judged, [settings.node], cliFlagNames);
  } catch (error) {
    return refusedByRules(error, judged);
  }
}

/**
 * One round of evictions; then, past the deadline, the end (or with the PDB override the deletes), the wait
 * until the evicted pods are gone, and the pause before PDB refusals are tried again.
 */
async function evictAndWait(drain: Drain, pods: V1Pod[]): Promise<Ending | undefined> {
  const { kubernetes, settings, clock, ledger, deadline } = drain;
  const round = await evictOrFail(drain, pods);
  if ('outcome' in round) return round;
  const pastDeadline = clock.now() >= deadline;
  const override = settings.overridePdbAfterTimeout;
  if (round.refused.length > 0 && pastDeadline && !override) return refusedAtDeadline(drain);
  const deleted =
    pastDeadline && override ? await forceDelete(kubernetes, round.refused, settings, ledger) : [];
  const leaving = [...round.evicted, ...pods.filter(isTerminating), ...deleted];
  const waitUntil = deleted.length > 0 ? clock.now() + graceMs(deleted, settings) : deadline;
  const remaining = await untilGone(kubernetes, leaving, waitUntil, clock);
  if (remaining.length > 0) return stillTerminating(remaining, settings);
  if (round.refused.length > deleted.length) {
    await clock.sleep(Math.max(0, Math.min(retryIntervalMs, deadline - clock.now())));
  }
  return undefined;
}

async function evictOrFail(
  { kubernetes, settings, ledger }: Drain,
  pods: V1Pod[],
): Promise<EvictionRound | Ending> {
  try {
    return await evictionRound(kubernetes, pods, { ...settings, flags: cliFlagNames }, ledger.observe);
  } catch (error) {
    if (!(error instanceof DrainBlocked)) throw error;
    return {
      outcome: 'pod-failed',
      message: error.message,
      blockers: await ledger.blockers(kubernetes, 'failed'),
    };
  }
}

async function refusedAtDeadline({ kubernetes, settings, ledger }: Drain): Promise<Ending> {
  return {
    outcome: 'timeout',
    message:
      `The ${settings.timeoutSeconds} s timeout ran out with pods their PDBs still refuse to evict; ` +
      'make the PDBs allow a disruption (are their pods healthy?), raise --timeout, or use ' +
      '--override-pdb-after-timeout to delete them at the timeout (--force does not override PDBs).',
    blockers: await ledger.blockers(kubernetes, 'refused'),
  };
}

function refusedByRules(error: unknown, judged: JudgedPod[]): Ending {
  if (!(error instanceof DrainBlocked)) throw error;
  return {
    outcome: 'refused',
    message:
      'The drain rules do not allow evicting some pods: allow bare and orphaned DaemonSet pods with --force, ' +
      'emptyDir pods with --delete-emptydir-data, or fix the pods.',
    blockers: judged.flatMap(({ pod, verdict }) =>
      verdict.action === 'blocked' ? [{ pod: podKey(pod), reason: verdict.reason, pdbs: [] }] : [],
    ),
  };
}

/**
 * Asks the API server what it would answer now (`dryRun=All` evictions: PDBs are checked, nothing
 * changes), as `kubectl drain --dry-run=server` does.
 */
async function dryRun({ kubernetes, settings, say }: Drain, pods: V1Pod[]): Promise<Ending> {
  const refused = await refusedNow(kubernetes, pods, settings.gracePeriodSeconds);
  for (const { pod, detail } of refused) say(`pod ${podKey(pod)}: would be refused now: ${detail}`);
  const budgets = refused.length > 0 ? await kubernetes.listPodDisruptionBudgets() : [];
  const allowed = pods.length - refused.length;
  return {
    outcome: 'dry-run',
    message:
      `Dry run: ${allowed} of ${pods.length} ${pods.length === 1 ? 'pod' : 'pods'} would be evicted now` +
      `${refused.length > 0 ? `, ${refused.length} refused by their PDBs` : ''} (asked the API server with dryRun=All); nothing was changed.`,
    blockers: refused.map(({ pod, detail }) => ({
      pod: podKey(pod),
      reason: detail,
      pdbs: pdbsOf(pod, budgets).map(pdbName),
    })),
  };
}

function drained(node: string, ledger: PodLedger): Ending {
  const count = (result: PodResult) => ledger.reports().filter((report) => report.result === result).length;
  return {
    outcome: 'drained',
    message: `No evictable pod is left on ${node} (${count('evicted')} evicted, ${count('deleted')} deleted).`,
    blockers: [],
  };
}

function stillTerminating(pods: V1Pod[], settings: DrainSettings): Ending {
  return {
    outcome: 'timeout',
    message: `The ${settings.timeoutSeconds} s timeout ran out while evicted pods were still terminating.`,
    blockers: pods.map((pod) => ({ pod: podKey(pod), reason: 'still terminating', pdbs: [] })),
  };
}

/** With --override-pdb-after-timeout at the deadline, as the workflow does: plain deletes of what the API still refuses. */
async function forceDelete(
  kubernetes: KubernetesPort,
  refused: V1Pod[],
  rules: DrainRules,
  ledger: PodLedger,
): Promise<V1Pod[]> {
  await deletePods(kubernetes, refused, rules.gracePeriodSeconds);
  for (const pod of refused) ledger.result(pod, 'deleted');
  return refused;
}

/** Deleted pods get their grace period (and one look-up more) to go, even past the deadline. */
function graceMs(pods: V1Pod[], rules: DrainRules): number {
  const podGrace = Math.max(
    ...pods.map((pod) => pod.spec?.terminationGracePeriodSeconds ?? defaultGraceSeconds),
  );
  return (rules.gracePeriodSeconds ?? podGrace) * 1000 + goneIntervalMs;
}

/** The pods still there at `until`; a pod is gone on 404 or when its name holds a new UID. */
async function untilGone(
  kubernetes: KubernetesPort,
  pods: V1Pod[],
  until: number,
  clock: Clock,
): Promise<V1Pod[]> {
  let waiting = pods;
  for (;;) {
    waiting = await stillThere(kubernetes, waiting);
    if (waiting.length === 0 || clock.now() >= until) return waiting;
    await clock.sleep(Math.min(goneIntervalMs, until - clock.now()));
  }
}

async function stillThere(kubernetes: KubernetesPort, pods: V1Pod[]): Promise<V1Pod[]> {
  const current = await Promise.all(
    pods.map((pod) => kubernetes.getPod(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '')),
  );
  return pods.filter((pod, i) => {
    const now = current[i];
    return now !== undefined && now.metadata?.uid === pod.metadata?.uid;
  });
}

function resultOf(outcome: EvictionOutcome, override: boolean): { result: PodResult; detail?: string } {
  switch (outcome.kind) {
    case 'evicted':
    case 'gone':
      return { result: outcome.kind };
    case 'blockedByPdb':
      return { result: 'refused', detail: outcome.message };
    case 'multiplePdbs':
      return { result: override ? 'refused' : 'failed', detail: outcome.message };
  }
}

/** Each pod's verdict and latest result, told to `say` once per change. */
class PodLedger {
  private readonly entries = new Map<string, { pod: V1Pod; report: PodReport }>();

  constructor(
    private readonly say: (line: string) => void,
    private readonly override: boolean,
  ) {}

  judged(judged: JudgedPod[]): void {
    for (const { pod, verdict } of judged) {
      const known = this.entries.get(podKey(pod));
      if (known && known.pod.metadata?.uid === pod.metadata?.uid) continue;
      const report: PodReport = { pod: podKey(pod), verdict: verdict.action, reason: verdict.reason };
      if (verdict.action === 'evict' && verdict.warning) report.warning = verdict.warning;
      this.entries.set(report.pod, { pod, report });
      this.say(verdictLine(report));
    }
  }

  readonly observe = (pod: V1Pod, outcome: EvictionOutcome): void => {
    const { result, detail } = resultOf(outcome, this.override);
    this.result(pod, result, detail);
  };

  result(pod: V1Pod, result: PodResult, detail?: string): void {
    const report = this.entries.get(podKey(pod))?.report;
    if (!report || (report.result === result && report.detail === detail)) return;
    report.result = result;
    report.detail = detail;
    this.say(resultLine(report));
  }

  reports(): PodReport[] {
    return [...this.entries.values()].map(({ report }) => report);
  }

  /** The pods with this result, each with its API answer and the PDBs that cover it. */
  async blockers(kubernetes: KubernetesPort, result: PodResult): Promise<Blocker[]> {
    const blocking = [...this.entries.values()].filter(({ report }) => report.result === result);
    const budgets = await kubernetes.listPodDisruptionBudgets();
    return blocking.map(({ pod, report }) => ({
      pod: report.pod,
      reason: report.detail ?? report.reason,
      pdbs: pdbsOf(pod, budgets).map(pdbName),
    }));
  }
}

function verdictLine(report: PodReport): string {
  const warning = report.warning ? `; ${report.warning}` : '';
  return `pod ${report.pod}: ${report.verdict} (${report.reason}${warning})`;
}

function resultLine(report: PodReport): string {
  const detail = report.detail ? `: ${report.detail}` : '';
  const retry =
    report.result === 'refused' ? ` (retried every ${retryIntervalMs / 1000} s until the timeout)` : '';
  return `pod ${report.pod}: ${report.result}${detail}${retry}`;
}
