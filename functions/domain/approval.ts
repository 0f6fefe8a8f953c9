import type { Notification } from '../adapters/notifications.ts';
import { rolloutRejected } from '../commons/errors.ts';

export type Decision = 'approve' | 'reject';

/** What an answer sends to the approval's task token: SendTaskSuccess output, or SendTaskFailure error and cause. */
export type ApprovalAnswer =
  | { decision: 'approve'; output: string }
  | { decision: 'reject'; error: typeof rolloutRejected; cause: string };

/** The answer of `who` (an IAM identity, or a name) at `at`, with an optional reason. */
export function approvalAnswer(decision: Decision, who: string, at: number, reason?: string): ApprovalAnswer {
  const when = new Date(at).toISOString();
  if (decision === 'approve') {
    return {
      decision,
      output: JSON.stringify({ approved: true, by: who, at: when, reason: reason ?? null }),
    };
  }
  return {
    decision,
    error: rolloutRejected,
    cause: `Rejected by ${who} at ${when}${reason ? `: ${reason}` : ''}. It stops there (a rollout rolls back what it changed; a promotion starts no further wave); start it again when ready.`,
  };
}

/** The exact commands that answer an approval of this execution. */
export function answerCommands(executionArn: string): string[] {
  return [
    `npx eks-windows-patcher approve ${executionArn}`,
    `npx eks-windows-patcher reject ${executionArn} --reason "what is wrong"`,
  ];
}

export interface ApprovalRequest {
  clusterName: string;
  nodeGroupName: string;
  amiId: string;
  executionArn: string;
  consoleUrl: string;
  /** Before any change, or after the canary. */
  moment: 'beforeFirstBatch' | 'afterCanary';
  /** What is known so far: the plan, or how the canary went. */
  facts: string[];
  /** Epoch milliseconds after which the rollout ends with ApprovalTimedOut. */
  deadline: number;
}

/** The message that asks a person: what is asked, what is known, how to answer, until when. */
export function approvalNotification(request: ApprovalRequest): Notification {
  const target = `${request.clusterName}/${request.nodeGroupName}`;
  const question =
    request.moment === 'beforeFirstBatch'
      ? `May the rollout of ${target} to ${request.amiId} begin?`
      : `The canary of the rollout of ${target} to ${request.amiId} has baked. May the rest follow?`;
  return {
    subject: `[ApprovalRequested] EKS Windows rollout ${target} to ${request.amiId}`,
    body: [
      question,
      ``,
      ...request.facts.map((fact) => `- ${fact}`),
      ``,
      `Answer with one of:`,
      ...answerCommands(request.executionArn).map((command) => `  ${command}`),
      ``,
      `Without an answer by ${new Date(request.deadline).toISOString()} the rollout ends with ApprovalTimedOut` +
        (request.moment === 'beforeFirstBatch' ? ' (nothing changed).' : ' and the canary is rolled back.'),
      `Execution: ${request.consoleUrl}`,
    ].join('\n'),
    attributes: {
      outcome: 'ApprovalRequested',
      cluster: request.clusterName,
      nodeGroup: request.nodeGroupName,
    },
  };
}
