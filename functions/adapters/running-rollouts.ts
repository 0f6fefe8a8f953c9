import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';

/** `arn:aws:states:r:a:execution:Machine:name` → `arn:aws:states:r:a:stateMachine:Machine` */
export function stateMachineArnOf(executionArn: string): string {
  const parts = executionArn.split(':');
  return [...parts.slice(0, 5), 'stateMachine', parts[6] ?? ''].join(':');
}

/** RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED; `GONE` when Step Functions no longer knows it. */
export async function executionStatus(sfn: SFNClient, executionArn: string): Promise<string> {
  try {
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return status ?? 'GONE';
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') return 'GONE';
    throw error;
  }
}
