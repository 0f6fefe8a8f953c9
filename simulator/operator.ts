import type { SFNClient } from '@aws-sdk/client-sfn';
import { sendApprovalAnswer } from '../functions/adapters/task-tokens.ts';
import { approvalAnswer } from '../functions/domain/approval.ts';
import type { Scenario } from './scenario.ts';
import type { TaskTokens } from './stepfunctions.ts';
import type { World } from './world.ts';

const operatorName = 'simulated operator';

/**
 * The person of the scenario: answers each approval the rollout asks for, in order (`approvals`),
 * `afterSeconds` after it asked, through SendTaskSuccess / SendTaskFailure with the CLI's answer; no
 * entry left, nobody answers. The timeline shows each request and answer with the wall-clock time.
 */
export function simulatedOperator(
  scenario: Pick<Scenario, 'approvals'>,
  world: World,
  taskTokens: TaskTokens,
  sfn: SFNClient,
): void {
  const answers = [...scenario.approvals];
  const at = () => new Date(world.scheduler.now()).toISOString();
  taskTokens.onToken = (token, executionName) => {
    world.timeline.record('ApprovalRequested', { execution: executionName, at: at() });
    const next = answers.shift();
    if (next === undefined) return;
    world.scheduler.after(next.afterSeconds, () => {
      const answer = approvalAnswer(next.decision, operatorName, world.scheduler.now());
      world.timeline.record('ApprovalReceived', {
        execution: executionName,
        decision: next.decision,
        at: at(),
      });
      // A late answer (the approval timed out) is refused as AWS refuses it; the rollout already went on.
      sendApprovalAnswer(sfn, token, answer).catch((error: Error) =>
        world.timeline.record('ApprovalRefused', { execution: executionName, error: error.name }),
      );
    });
  };
}
