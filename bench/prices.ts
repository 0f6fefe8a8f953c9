/**
 * Public on-demand prices the bench states (us-east-1, as published by AWS at the time of writing):
 * - EC2 m5.xlarge with Windows Server, the bench group's instance type: $0.376 per hour
 *   (https://aws.amazon.com/ec2/pricing/on-demand/);
 * - Step Functions Standard workflows: $0.025 per 1,000 state transitions
 *   (https://aws.amazon.com/step-functions/pricing/);
 * - Lambda (x86): $0.20 per million requests and $0.0000166667 per GB-second
 *   (https://aws.amazon.com/lambda/pricing/), at the 512 MB serverless.yml gives every function.
 */
export const prices = {
  instanceHour: 0.376,
  stateTransition: 0.025 / 1000,
  lambdaRequest: 0.2 / 1_000_000,
  lambdaGbSecond: 0.0000166667,
  lambdaMemoryGb: 0.5,
} as const;

/**
 * What a rollout costs beyond running the group: the surge instances' hours, the state transitions
 * and the Lambda invocations (each `lambdaSeconds` long), in dollars rounded to the cent's tenth.
 */
export function rolloutDollars(usage: {
  surgeInstanceHours: number;
  stateTransitions: number;
  lambdaInvocations: number;
  lambdaSeconds: number;
}): number {
  const lambda =
    usage.lambdaInvocations *
    (prices.lambdaRequest + prices.lambdaMemoryGb * usage.lambdaSeconds * prices.lambdaGbSecond);
  const total =
    usage.surgeInstanceHours * prices.instanceHour + usage.stateTransitions * prices.stateTransition + lambda;
  return Math.round(total * 1000) / 1000;
}
