import type {
  DescribeExecutionCommandInput,
  DescribeExecutionCommandOutput,
  ListExecutionsCommandInput,
  ListExecutionsCommandOutput,
  SendTaskFailureCommandInput,
  SendTaskFailureCommandOutput,
  SendTaskSuccessCommandInput,
  SendTaskSuccessCommandOutput,
  StartExecutionCommandInput,
  StartExecutionCommandOutput,
  StopExecutionCommandInput,
  StopExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { type StepFunctions, stateMachineArn } from '../stepfunctions.ts';
import { type Answer, modelledParameters, type Operations, page } from './operations.ts';

export function stepFunctionsOperations(
  stepFunctions: StepFunctions,
  now: () => Date,
  listLagSeconds: () => number,
): Operations {
  return {
    SendTaskSuccess(input: SendTaskSuccessCommandInput): Answer<SendTaskSuccessCommandOutput> {
      modelledParameters('states:SendTaskSuccess', input, ['taskToken', 'output']);
      stepFunctions.taskTokens.succeed(input.taskToken, input.output);
      return {};
    },

    SendTaskFailure(input: SendTaskFailureCommandInput): Answer<SendTaskFailureCommandOutput> {
      modelledParameters('states:SendTaskFailure', input, ['taskToken', 'error', 'cause']);
      stepFunctions.taskTokens.fail(input.taskToken, input.error, input.cause);
      return {};
    },

    StartExecution(input: StartExecutionCommandInput): Answer<StartExecutionCommandOutput> {
      modelledParameters('states:StartExecution', input, ['stateMachineArn', 'name', 'input']);
      const execution = stepFunctions.start(input.stateMachineArn, input.name, input.input);
      return { executionArn: execution.arn, startDate: execution.startDate };
    },

    ListExecutions(input: ListExecutionsCommandInput): Answer<ListExecutionsCommandOutput> {
      modelledParameters('states:ListExecutions', input, [
        'stateMachineArn',
        'statusFilter',
        'maxResults',
        'nextToken',
      ]);
      const { items, nextToken } = page(
        stepFunctions.list(input.stateMachineArn, input.statusFilter, listLagSeconds()),
        { maxResults: input.maxResults || undefined, nextToken: input.nextToken },
        'InvalidToken',
        100,
      );
      return {
        executions: items.map((execution) => ({
          executionArn: execution.arn,
          stateMachineArn,
          name: execution.name,
          status: execution.status,
          startDate: execution.startDate,
          stopDate: execution.stopDate,
        })),
        nextToken,
      };
    },

    DescribeExecution(input: DescribeExecutionCommandInput): Answer<DescribeExecutionCommandOutput> {
      modelledParameters('states:DescribeExecution', input, ['executionArn']);
      const execution = stepFunctions.describe(input.executionArn);
      return {
        executionArn: execution.arn,
        stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: execution.startDate,
        stopDate: execution.stopDate,
        input: execution.input,
        inputDetails: { included: true },
        output: execution.output,
        outputDetails: execution.output === undefined ? undefined : { included: true },
        error: execution.error,
        cause: execution.cause,
      };
    },

    StopExecution(input: StopExecutionCommandInput): Answer<StopExecutionCommandOutput> {
      modelledParameters('states:StopExecution', input, ['executionArn', 'error', 'cause']);
      const execution = stepFunctions.describe(input.executionArn);
      if (execution.status === 'RUNNING') execution.stop(input.error, input.cause);
      return { stopDate: execution.stopDate ?? now() };
    },
  };
}
