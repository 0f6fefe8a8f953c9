import type {
  DescribeExecutionCommandInput,
  DescribeExecutionCommandOutput,
  GetExecutionHistoryCommandInput,
  GetExecutionHistoryCommandOutput,
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
import type { StepFunctions } from '../stepfunctions.ts';
import { AwsApiError } from '../world/errors.ts';
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
          stateMachineArn: execution.stateMachineArn,
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
      // As it stood at `now`: a replay of a finished simulation asks about earlier moments.
      if ((execution.stopDate?.getTime() ?? Number.POSITIVE_INFINITY) > now().getTime()) {
        return {
          executionArn: execution.arn,
          stateMachineArn: execution.stateMachineArn,
          name: execution.name,
          status: 'RUNNING',
          startDate: execution.startDate,
          input: execution.input,
          inputDetails: { included: true },
        };
      }
      return {
        executionArn: execution.arn,
        stateMachineArn: execution.stateMachineArn,
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

    /**
     * Oldest first unless reverseOrder, at most 1000 a page (100 by default), the events recorded up
     * to now. docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html
     */
    GetExecutionHistory(input: GetExecutionHistoryCommandInput): Answer<GetExecutionHistoryCommandOutput> {
      modelledParameters('states:GetExecutionHistory', input, [
        'executionArn',
        'maxResults',
        'reverseOrder',
        'nextToken',
      ]);
      const execution = stepFunctions.describe(input.executionArn);
      if (input.maxResults !== undefined && (input.maxResults < 0 || input.maxResults > 1000)) {
        throw new AwsApiError(
          'ValidationException',
          `1 validation error detected: Value '${input.maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`,
        );
      }
      const events = execution.history.events(now().getTime());
      const { items, nextToken } = page(
        input.reverseOrder ? events.reverse() : events,
        { maxResults: input.maxResults || undefined, nextToken: input.nextToken },
        'InvalidToken',
        100,
      );
      return { events: items, nextToken };
    },

    StopExecution(input: StopExecutionCommandInput): Answer<StopExecutionCommandOutput> {
      modelledParameters('states:StopExecution', input, ['executionArn', 'error', 'cause']);
      const execution = stepFunctions.describe(input.executionArn);
      if (execution.status === 'RUNNING') execution.stop(input.error, input.cause);
      return { stopDate: execution.stopDate ?? now() };
    },
  };
}
