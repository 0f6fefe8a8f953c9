import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';

/**
 * One client per service, created on first use and kept for the life of the container. Each
 * handler imports only the factories it calls, so its bundle carries only those clients. Not wrapped
 * by the Powertools Tracer: its X-Ray SDK adds ~110 KB to every bundle (`npm run bench`); Lambda's
 * active tracing still records each invocation.
 */
const once = <T extends object>(create: () => T): (() => T) => {
  let client: T | undefined;
  return () => {
    client ??= create();
    return client;
  };
};

export const ec2Client = /* @__PURE__ */ once(() => new EC2Client({}));
export const autoScalingClient = /* @__PURE__ */ once(() => new AutoScalingClient({}));
export const eksClient = /* @__PURE__ */ once(() => new EKSClient({}));
export const imageBuilderClient = /* @__PURE__ */ once(() => new ImagebuilderClient({}));
export const ssmClient = /* @__PURE__ */ once(() => new SSMClient({}));
export const sfnClient = /* @__PURE__ */ once(() => new SFNClient({}));
export const snsClient = /* @__PURE__ */ once(() => new SNSClient({}));
export const cloudWatchClient = /* @__PURE__ */ once(() => new CloudWatchClient({}));
export const dynamoDbClient = /* @__PURE__ */ once(() => new DynamoDBClient({}));
export const eventBridgeClient = /* @__PURE__ */ once(() => new EventBridgeClient({}));
