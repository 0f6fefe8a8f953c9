import { DescribeExecutionCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';

export interface RunningExecution {
  executionArn: string;
  name: string;
  startDate: number;
  input: unknown;
}

/** `arn:aws:states:r:a:execution:Machine:name` → `arn:aws:states:r:a:stateMachine:Machine` */
export function stateMachineArnOf(executionArn: string): string {
  const parts = executionArn.split(':');
  return [...parts.slice(0, 5), 'stateMachine', parts[6] ?? ''].join(':');
}

/** Every RUNNING execution of the state machine, with its input. */
export async function runningExecutions(
  sfn: SFNClient,
  stateMachineArn: string,
): Promise<RunningExecution[]> {
  const running: RunningExecution[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 100, nextToken }),
    );
    for (const execution of page.executions ?? []) {
      const described = await sfn.send(
        new DescribeExecutionCommand({ executionArn: execution.executionArn }),
      );
      running.push({
        executionArn: execution.executionArn ?? '',
        name: execution.name ?? '',
        startDate: execution.startDate?.getTime() ?? 0,
        input: JSON.parse(described.input ?? 'null'),
      });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return running;
}
