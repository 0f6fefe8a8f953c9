import type { RolloutInput } from '../functions/commons/rollout-input.ts';
import type { Plan, Verified } from '../functions/commons/state.ts';
import { consoleUrl } from '../functions/domain/notification.ts';
import { formatDuration } from '../report/duration.ts';
import { currentBatch, type ExecutionRun, lastStep, nodesReplaced } from '../report/history.ts';
import { targetOf, titleOf } from '../report/timeline.ts';

const list = (title: string, lines: string[]) =>
  lines.length > 0 ? ['', `${title}:`, ...lines.map((line) => `  - ${line}`)] : [];

export function formatPlan(input: RolloutInput, verified: Verified, plan: Plan): string {
  const { group, ami } = verified;
  const width = Math.max(...verified.checks.map((c) => c.check.length));
  const batches = plan.batches.length;
  return [
    `Plan: ${input.clusterName}/${input.nodeGroupName} to ${ami.amiId} (${ami.name})`,
    `Auto Scaling group ${group.asgName}: ${group.desired} instances (min ${group.minSize}, max ${group.maxSize}), ` +
      `Windows ${group.windowsBuild || 'unknown'}, launch template ${group.launchTemplateId} version ${group.launchTemplateVersion}`,
    '',
    'AMI checks:',
    ...verified.checks.map((c) => `  ${c.ok ? '✓' : '✗'} ${c.check.padEnd(width)}  ${c.detail}`),
    '',
    batches === 0
      ? `Nothing to replace: all ${plan.nodesOnTarget} nodes already run ${ami.amiId}.`
      : `${plan.nodesToReplace} nodes to replace (${plan.nodesOnTarget} already on the AMI), ` +
        `in ${batches} batch${batches === 1 ? '' : 'es'} of at most ${input.maxUnavailable}:`,
    ...plan.batches.map(
      (batch) =>
        `  batch ${batch.index + 1}: ${batch.nodes.map((n) => `${n.nodeName || '(no node)'} (${n.instanceId})`).join(', ')}`,
    ),
    ...list(
      plan.refused
        ? 'Blockers (the rollout would be refused with DrainBlocked)'
        : 'Blockers (with overridePdbAfterTimeout these pods are deleted at the drain deadline)',
      plan.blockers,
    ),
    ...list('Warnings', plan.warnings),
    '',
    `Estimated duration: ${formatDuration(plan.estimatedSeconds)}.`,
    '',
  ].join('\n');
}

const executionName = (executionArn: string) => executionArn.slice(executionArn.lastIndexOf(':') + 1);

export function progressBar(done: number, total: number, width = 20): string {
  const filled = total > 0 ? Math.round((Math.min(done, total) / total) * width) : 0;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** Where the execution stands, as data for `--json`. */
export function statusSummary(executionArn: string, run: ExecutionRun) {
  const batch = currentBatch(run);
  return {
    executionArn,
    status: run.status,
    input: run.input,
    startedAt: run.startedAt === undefined ? null : new Date(run.startedAt).toISOString(),
    stoppedAt: run.stoppedAt === undefined ? null : new Date(run.stoppedAt).toISOString(),
    nodesReplaced: nodesReplaced(run),
    nodesToReplace: run.plan?.nodesToReplace ?? null,
    batches: run.plan?.batches.length ?? null,
    currentBatch: batch ? { number: batch.index + 1, step: lastStep(batch) ?? null } : null,
    currentState: run.currentState ?? null,
    drainBlockers: batch && lastStep(batch) === 'drain' && !batch.drained ? batch.drainBlockers : [],
    error: run.error ?? null,
    consoleUrl: consoleUrl(executionArn),
  };
}

const stepLabel = (summary: ReturnType<typeof statusSummary>) =>
  summary.currentBatch
    ? `batch ${summary.currentBatch.number} of ${summary.batches ?? '?'}: ${summary.currentBatch.step ?? 'starting'}`
    : (summary.currentState ?? 'starting');

/** The live line while following an execution; with `now`, the time it has run. */
export function progressLine(executionArn: string, run: ExecutionRun, now?: number): string {
  const summary = statusSummary(executionArn, run);
  const total = summary.nodesToReplace ?? 0;
  const elapsed =
    run.startedAt === undefined || now === undefined
      ? ''
      : ` · ${formatDuration((now - run.startedAt) / 1000)}`;
  const blocked =
    summary.drainBlockers.length > 0 ? ` · drain waits on ${summary.drainBlockers.length} pod(s)` : '';
  return `${progressBar(summary.nodesReplaced, total)} ${summary.nodesReplaced}/${summary.nodesToReplace ?? '?'} nodes · ${stepLabel(summary)}${elapsed}${blocked}`;
}

/** `console: false` for a simulated execution, which has no page in the console. */
export function formatStatus(
  executionArn: string,
  run: ExecutionRun,
  now: number,
  { console = true } = {},
): string {
  const summary = statusSummary(executionArn, run);
  const started = run.startedAt ?? now;
  const timing =
    run.stoppedAt === undefined
      ? `running for ${formatDuration((now - started) / 1000)}`
      : `ran for ${formatDuration((run.stoppedAt - started) / 1000)}`;
  const total = summary.nodesToReplace;
  return [
    `Execution ${executionName(executionArn)}: ${run.status} (${timing})`,
    titleOf(targetOf(run.input)),
    total === null
      ? 'Nodes replaced: not planned yet'
      : `Nodes replaced: ${summary.nodesReplaced} of ${total} ${progressBar(summary.nodesReplaced, total)}`,
    ...(run.status === 'RUNNING'
      ? [`Now ${stepLabel(summary)} (state ${summary.currentState ?? '-'})`]
      : summary.currentBatch
        ? [`Stopped in ${stepLabel(summary)}`]
        : []),
    ...list(run.status === 'RUNNING' ? 'Drain waits on' : 'Drain was held by', summary.drainBlockers),
    ...(run.error ? ['', `${run.error.name}: ${run.error.cause}`] : []),
    ...(console ? ['', `Console: ${summary.consoleUrl}`] : []),
    '',
  ].join('\n');
}
