import type { Context } from 'aws-lambda';
import { localFunctionArn } from './definition.ts';

/** The context a handler gets when it runs in this process (simulator, CLI, tests), as Lambda shapes it. */
export function lambdaContext(
  functionKey: string,
  requestId = '00000000-0000-4000-8000-000000000000',
): Context {
  const functionName = `eks-windows-patcher-${functionKey}`;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(functionKey),
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/11/12/[$LATEST]${requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
