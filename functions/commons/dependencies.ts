import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EKSClient } from '@aws-sdk/client-eks';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { KubernetesPort } from '../adapters/kubernetes/port.ts';

/** Opens the Kubernetes API of an EKS cluster by name. */
export type KubernetesConnector = (clusterName: string) => Promise<KubernetesPort>;

/**
 * Everything a handler talks to. Production handlers get real clients (clients.ts); the simulator
 * gives the same clients answered by its world. Each handler declares the subset it uses.
 */
export interface Dependencies {
  ec2: EC2Client;
  autoScaling: AutoScalingClient;
  eks: EKSClient;
  imageBuilder: ImagebuilderClient;
  ssm: SSMClient;
  sfn: SFNClient;
  sns: SNSClient;
  cloudWatch: CloudWatchClient;
  dynamoDb: DynamoDBClient;
  /** The default event bus: rollout events (adapters/events.ts). */
  eventBridge: EventBridgeClient;
  kubernetes: KubernetesConnector;
  /** Milliseconds since the epoch; the simulator's clock is virtual. */
  now: () => number;
  /** SNS topic for rollout notifications. */
  notificationTopicArn: string;
  /** DynamoDB table of the node groups' locks. */
  lockTableName: string;
}
