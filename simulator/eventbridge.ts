import type { LambdaRuntime } from './lambda.ts';
import type { ExecutionRecord, StepFunctions } from './stepfunctions.ts';
import { account, region } from './world/catalog.ts';
import type { World } from './world.ts';

/**
 * serverless.yml's ExecutionEndedRule: Step Functions execution status changes of the rollout state
 * machine with these statuses go to the clean-up function (the packaging test holds the two equal).
 */
export const executionEndedRule = {
  statuses: ['ABORTED', 'TIMED_OUT', 'FAILED'],
  functionKey: 'cleanUp',
  ruleName: 'ExecutionEndedRule',
} as const;

/** EventBridge's delay before a matched event reaches its target. */
const deliverySeconds = 1;
/**
 * Lambda retries a failed asynchronous invocation twice, one minute then two minutes later.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 */
const asyncRetrySeconds = [60, 120];

/** The event as Step Functions sends it to EventBridge. https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html */
function statusChangeEvent(world: World, execution: ExecutionRecord, stateMachineArn: string): object {
  return {
    version: '0',
    id: world.ids.uuid(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account,
    time: new Date(world.scheduler.now()).toISOString().replace(/\.\d+Z$/, 'Z'),
    region,
    resources: [execution.arn],
    detail: {
      executionArn: execution.arn,
      stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate.getTime(),
      stopDate: execution.stopDate?.getTime() ?? null,
      input: execution.input,
      output: execution.output ?? null,
      error: execution.error ?? null,
      cause: execution.cause ?? null,
      inputDetails: { included: true },
      outputDetails: execution.output === undefined ? null : { included: true },
    },
  };
}

/**
 * Delivers the rule's events to the clean-up function as EventBridge and Lambda's asynchronous
 * invocation do: after a short delay, retried twice on error. `pending` is true while a delivery or
 * its retries remain, so the run lasts until the clean-up is done.
 */
export function deliverExecutionEvents(
  world: World,
  stepFunctions: StepFunctions,
  lambda: LambdaRuntime,
  stateMachineArn: string,
): { pending: () => boolean } {
  let pending = 0;
  stepFunctions.onEnded((execution) => {
    // The rule matches the rollout state machine only (serverless.yml's EventPattern).
    if (execution.stateMachineArn !== stateMachineArn) return;
    world.invariants.executionEnded(execution.name);
    if (!(executionEndedRule.statuses as readonly string[]).includes(execution.status)) return;
    const event = statusChangeEvent(world, execution, stateMachineArn);
    const invoke = (retriesLeft: number[]) => {
      const target = {
        functionKey: executionEndedRule.functionKey,
        stateName: executionEndedRule.ruleName,
        executionName: execution.name,
      };
      lambda.invoke(target, event).then(
        () => pending--,
        () => {
          const [next, ...rest] = retriesLeft;
          if (next === undefined) pending--;
          else world.scheduler.after(next, () => invoke(rest));
        },
      );
    };
    pending++;
    world.scheduler.after(deliverySeconds, () => invoke(asyncRetrySeconds));
  });
  return { pending: () => pending > 0 };
}
