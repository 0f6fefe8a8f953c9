import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ApprovalAnswer } from '../domain/approval.ts';

/** Answers the approval waiting on `token`: the Task succeeds with the output, or fails with RolloutRejected. */
export async function sendApprovalAnswer(
  sfn: SFNClient,
  token: string,
  answer: ApprovalAnswer,
): Promise<void> {
  if (answer.decision === 'approve') {
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: answer.output }));
  } else {
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: token, error: answer.error, cause: answer.cause }),
    );
  }
}
