import type { Context } from 'aws-lambda';

/** The handlers run in this process, not in Lambda; Powertools only reads these fields. */
export const localContext: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'eks-windows-patcher-cli',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:eks-windows-patcher-cli',
  memoryLimitInMB: '0',
  awsRequestId: 'local',
  logGroupName: 'local',
  logStreamName: 'local',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};
