import { pauseRollout, resumeRollout } from '../functions/adapters/pause.ts';
import { sendApprovalAnswer } from '../functions/adapters/task-tokens.ts';
import { approvalAnswer } from '../functions/domain/approval.ts';
import type { SimulatedAwsClients } from './aws.ts';
import type { Scenario } from './scenario.ts';
import type { StepFunctions, TaskTokens } from './stepfunctions.ts';
import { lockTable } from './world/catalog.ts';
import type { World } from './world.ts';

const operatorName = 'simulated operator';

/**
 * The person of the scenario: answers each approval the rollout asks for, in order (`approvals`),
 * `afterSeconds` after it asked, through SendTaskSuccess / SendTaskFailure with the CLI's answer; no
 * entry left, nobody answers. Pauses the running rollouts and resumes them (`pauses`) as the CLI's
 * `pause` and `resume` do. The timeline shows each request, answer, pause and resume with the
 * wall-clock time.
 */
export function simulatedOperator(
  scenario: Pick<Scenario, 'approvals' | 'pauses'>,
  world: World,
  taskTokens: TaskTokens,
  stepFunctions: Pick<StepFunctions, 'executions'>,
  clients: SimulatedAwsClients,
): void {
  const answers = [...scenario.approvals];
  const at = () => new Date(world.scheduler.now()).toISOString();
  taskTokens.onToken = (token, executionName, functionKey) => {
    if (functionKey !== 'requestApproval' && functionKey !== 'requestWaveApproval') return;
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
      sendApprovalAnswer(clients.sfn, token, answer).catch((error: Error) =>
        world.timeline.record('ApprovalRefused', { execution: executionName, error: error.name }),
      );
    });
  };
  const refused = (event: string, execution: string) => (error: Error | string) =>
    world.timeline.record(event, {
      execution,
      message: typeof error === 'string' ? error : `${error.name}: ${error.message}`,
    });
  for (const pause of scenario.pauses) {
    const paused: { arn: string; name: string }[] = [];
    world.scheduler.after(pause.afterSeconds, () => {
      const running = stepFunctions.executions.filter((execution) => execution.status === 'RUNNING');
      for (const { arn, name } of running) {
        const by = { at: world.scheduler.now(), by: operatorName, reason: '' };
        void pauseRollout(clients, lockTable.name, arn, by).then(
          (outcome) => {
            if (!outcome.done) return refused('PauseRefused', name)(outcome.message);
            paused.push({ arn, name });
            world.timeline.record('Paused', { execution: name, at: at() });
          },
          refused('PauseRefused', name),
        );
      }
    });
    const resumeAfter = pause.resumeAfterSeconds;
    if (resumeAfter === null) continue;
    world.scheduler.after(resumeAfter, () => {
      for (const { arn, name } of paused.splice(0)) {
        void resumeRollout(clients, lockTable.name, arn, operatorName).then(
          (outcome) => {
            if (!outcome.done) return refused('ResumeRefused', name)(outcome.message);
            world.timeline.record('Resumed', { execution: name, at: at() });
          },
          refused('ResumeRefused', name),
        );
      }
    });
  }
}
