import { userInfo } from 'node:os';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { approvalAnswer, type Decision } from '../../functions/domain/approval.ts';
import {
  type Command,
  commonOptions,
  parseCommand,
  SetupError,
  stringOption,
  UsageError,
} from '../options.ts';
import { regionOfArn } from './start.ts';
import { history } from './status.ts';

const taskEnded = new Set([
  'TaskSucceeded',
  'TaskFailed',
  'TaskTimedOut',
  'TaskAborted',
  'TaskSubmitFailed',
  'TaskStartFailed',
]);

/**
 * The states that ask for an approval (the promotion's before a wave); a paused rollout waits on a
 * token too, which `resume` answers.
 */
const approvalStates = new Set(['RequestApproval', 'RequestCanaryApproval', 'ApproveWave']);

/**
 * The task token an approval of this execution waits on: the last `.waitForTaskToken` Task of an
 * approval state scheduled (its parameters carry the token) that has not ended. Undefined when none waits.
 */
export function pendingApprovalToken(events: readonly HistoryEvent[]): string | undefined {
  const scheduled = events.findLastIndex(
    (event, index) =>
      event.type === 'TaskScheduled' &&
      event.taskScheduledEventDetails?.resource?.endsWith('.waitForTaskToken') === true &&
      approvalStates.has(
        events.findLast((entered, at) => at < index && entered.stateEnteredEventDetails)
          ?.stateEnteredEventDetails?.name ?? '',
      ),
  );
  if (scheduled < 0 || events.slice(scheduled + 1).some((event) => taskEnded.has(event.type ?? '')))
    return undefined;
  if (events.some((event) => /^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(event.type ?? '')))
    return undefined;
  const parameters = JSON.parse(events[scheduled]?.taskScheduledEventDetails?.parameters ?? '{}') as {
    Payload?: { taskToken?: unknown };
  };
  const token = parameters.Payload?.taskToken;
  return typeof token === 'string' ? token : undefined;
}

function answerCommand(decision: Decision): Command {
  const command: Command = {
    name: decision,
    summary:
      decision === 'approve'
        ? 'Approve a rollout that waits for an approval: it goes on.'
        : 'Reject a rollout that waits for an approval: it ends with RolloutRejected and rolls back.',
    details:
      'Finds the approval the execution waits on in its history and answers its task token ' +
      `(SendTask${decision === 'approve' ? 'Success' : 'Failure'}). Exit status 1 when no approval is waiting.`,
    usage: `${decision} EXECUTION_ARN [--reason TEXT] [options]`,
    options: {
      reason: { type: 'string', value: 'TEXT', description: 'Why; kept in the execution history.' },
      ...commonOptions,
    },
    async run(argv, runtime) {
      const { values, positionals } = parseCommand(command, argv, 1);
      const [executionArn] = positionals;
      if (!executionArn) throw new UsageError('Expected the EXECUTION_ARN of the rollout.');
      const { sfn } = await runtime.aws({
        region: stringOption(values, 'region') ?? regionOfArn(executionArn),
        profile: stringOption(values, 'profile'),
      });
      const token = pendingApprovalToken(await history(sfn, executionArn));
      if (token === undefined) {
        throw new SetupError(
          `No approval is waiting in ${executionArn}: it was answered, timed out, or never asked (see status).`,
        );
      }
      const answer = approvalAnswer(
        decision,
        userInfo().username,
        runtime.now(),
        stringOption(values, 'reason'),
      );
      const { sendApprovalAnswer } = await import('../../functions/adapters/task-tokens.ts');
      await sendApprovalAnswer(sfn, token, answer);
      runtime.stdout.write(
        values.json
          ? `${JSON.stringify({ executionArn, decision })}\n`
          : `${decision === 'approve' ? 'Approved' : 'Rejected'}: ${executionArn}\n`,
      );
      return 0;
    },
  };
  return command;
}

export const approve = answerCommand('approve');
export const reject = answerCommand('reject');
