import type { Notification } from '../adapters/notifications.ts';
import { rolloutErrorNames, throttlingErrorNames } from '../commons/errors.ts';

export interface RolloutSummary {
  outcome: 'SUCCEEDED' | 'FAILED' | 'REFUSED';
  clusterName: string;
  nodeGroupName: string;
  amiId: string;
  executionName: string;
  consoleUrl: string;
  durationSeconds: number;
  nodesReplaced: number;
  nodesOnTarget: number;
  error?: { name: string; cause: string };
  actions?: string[];
  warnings?: string[];
  /** Pods the PDB override deleted at a drain deadline. */
  podsDeleted?: string[];
}

const formatDuration = (seconds: number) => {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : `${m} min ${Math.round(seconds % 60)} s`;
};

const section = (title: string, lines: string[] | undefined) =>
  lines && lines.length > 0 ? [``, `${title}:`, ...lines.map((line) => `- ${line}`)] : [];

/** The message an operator reads in e-mail or chat: the outcome first, then counts, then what to do. */
export function rolloutNotification(summary: RolloutSummary): Notification {
  const target = `${summary.clusterName}/${summary.nodeGroupName}`;
  const subject = `[${summary.outcome}] EKS Windows rollout ${target} to ${summary.amiId}${summary.error ? `: ${summary.error.name}` : ''}`;
  const body = [
    `Rollout of node group ${target} to ${summary.amiId}: ${summary.outcome}.`,
    ...(summary.error ? [``, `${summary.error.name}: ${summary.error.cause}`] : []),
    ``,
    `Nodes replaced: ${summary.nodesReplaced}; already on the AMI: ${summary.nodesOnTarget}.`,
    `Duration: ${formatDuration(summary.durationSeconds)}.`,
    ...section('Pods deleted at the drain deadline (overridePdbAfterTimeout)', summary.podsDeleted),
    ...section('Done on failure', summary.actions),
    ...section('Warnings', summary.warnings),
    ``,
    `Execution ${summary.executionName}: ${summary.consoleUrl}`,
  ].join('\n');
  return {
    subject,
    body,
    attributes: {
      outcome: summary.outcome,
      cluster: summary.clusterName,
      nodeGroup: summary.nodeGroupName,
      ...(summary.error ? { error: summary.error.name } : {}),
    },
  };
}

/** A rollout that is waiting (for its maintenance window, an approval, a resume): what, until when, and where. */
export function waitingNotification(wait: {
  clusterName: string;
  nodeGroupName: string;
  amiId: string;
  executionName: string;
  consoleUrl: string;
  /** `WaitingForWindow`, ... */
  reason: string;
  lines: string[];
}): Notification {
  const target = `${wait.clusterName}/${wait.nodeGroupName}`;
  return {
    subject: `[${wait.reason}] EKS Windows rollout ${target} to ${wait.amiId}`,
    body: [...wait.lines, ``, `Execution ${wait.executionName}: ${wait.consoleUrl}`].join('\n'),
    attributes: { outcome: wait.reason, cluster: wait.clusterName, nodeGroup: wait.nodeGroupName },
  };
}

/** The Step Functions console page of an execution. */
export function consoleUrl(executionArn: string): string {
  const region = executionArn.split(':')[3] ?? 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/**
 * The error a Task state caught, as name and sentence. Lambda reports a thrown error's Cause as JSON
 * with `errorMessage`; other failures carry plain text.
 */
export function caughtError(error: { Error?: string; Cause?: string } | undefined): {
  name: string;
  cause: string;
} {
  const name = error?.Error ?? 'UnknownError';
  const raw = error?.Cause ?? '';
  try {
    const parsed = JSON.parse(raw) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return { name, cause: parsed.errorMessage };
  } catch {
    // not JSON: the cause is already a sentence
  }
  return { name, cause: raw || `${name} (no cause given)` };
}

const documented = new Set<string>(rolloutErrorNames);
const throttling = new Set<string>(throttlingErrorNames);

/**
 * The error an execution ends with: a documented name stays; an API that kept throttling after the
 * retries becomes `ApiThrottled`, anything else `UnexpectedError`, the original name in the cause.
 */
export function executionError(error: { name: string; cause: string }): { name: string; cause: string } {
  if (documented.has(error.name)) return error;
  if (throttling.has(error.name)) {
    return {
      name: 'ApiThrottled',
      cause: `The API kept refusing after the step's retries (${error.name}: ${error.cause}) Run the rollout again later: it resumes where it stopped.`,
    };
  }
  return {
    name: 'UnexpectedError',
    cause: `A step failed unexpectedly (${error.name}: ${error.cause}) See the failed step in the execution's history and its Lambda logs; run the rollout again once fixed.`,
  };
}
