import * as autoScalingSdk from '@aws-sdk/client-auto-scaling';
import * as cloudWatchSdk from '@aws-sdk/client-cloudwatch';
import * as dynamoDbSdk from '@aws-sdk/client-dynamodb';
import * as ec2Sdk from '@aws-sdk/client-ec2';
import * as eksSdk from '@aws-sdk/client-eks';
import * as eventBridgeSdk from '@aws-sdk/client-eventbridge';
import * as imageBuilderSdk from '@aws-sdk/client-imagebuilder';
import * as sfnSdk from '@aws-sdk/client-sfn';
import * as snsSdk from '@aws-sdk/client-sns';
import * as ssmSdk from '@aws-sdk/client-ssm';
import * as stsSdk from '@aws-sdk/client-sts';
import { autoScalingOperations } from './aws/autoscaling.ts';
import { cloudWatchOperations } from './aws/cloudwatch.ts';
import { dynamoDbOperations } from './aws/dynamodb.ts';
import { ec2Operations } from './aws/ec2.ts';
import { eksOperations } from './aws/eks.ts';
import { eventBridgeOperations } from './aws/events.ts';
import { imageBuilderOperations } from './aws/imagebuilder.ts';
import type { Operations } from './aws/operations.ts';
import { snsOperations } from './aws/sns.ts';
import { ssmOperations } from './aws/ssm.ts';
import { stepFunctionsOperations } from './aws/stepfunctions.ts';
import { stsOperations } from './aws/sts.ts';
import type { StepFunctions } from './stepfunctions.ts';
import { region } from './world/catalog.ts';
import { AwsApiError, SimulatorGap } from './world/errors.ts';
import type { World } from './world.ts';

type ServiceExceptionClass = typeof ec2Sdk.EC2ServiceException;

interface Service {
  /** The IAM prefix that names the service's operations: `ec2:DescribeImages`. */
  prefix: string;
  /** The client package, for its modelled exception classes. */
  sdk: Record<string, unknown>;
  baseException: ServiceExceptionClass;
  /** What the service answers when it throttles: the error name the SDK gives it, and the HTTP status. */
  throttling: { code: string; status: number; message: string };
}

const services = {
  ec2: {
    prefix: 'ec2',
    sdk: ec2Sdk,
    baseException: ec2Sdk.EC2ServiceException,
    throttling: { code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.' },
  },
  autoScaling: {
    prefix: 'autoscaling',
    sdk: autoScalingSdk,
    baseException: autoScalingSdk.AutoScalingServiceException,
    throttling: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  },
  eks: {
    prefix: 'eks',
    sdk: eksSdk,
    baseException: eksSdk.EKSServiceException,
    throttling: { code: 'ThrottlingException', status: 429, message: 'Rate exceeded' },
  },
  imageBuilder: {
    prefix: 'imagebuilder',
    sdk: imageBuilderSdk,
    baseException: imageBuilderSdk.ImagebuilderServiceException,
    throttling: { code: 'CallRateLimitExceededException', status: 429, message: 'Rate exceeded' },
  },
  ssm: {
    prefix: 'ssm',
    sdk: ssmSdk,
    baseException: ssmSdk.SSMServiceException,
    throttling: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  },
  sfn: {
    prefix: 'states',
    sdk: sfnSdk,
    baseException: sfnSdk.SFNServiceException,
    throttling: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  },
  sns: {
    prefix: 'sns',
    sdk: snsSdk,
    baseException: snsSdk.SNSServiceException,
    throttling: { code: 'ThrottledException', status: 400, message: 'Rate exceeded' },
  },
  cloudWatch: {
    prefix: 'cloudwatch',
    sdk: cloudWatchSdk,
    baseException: cloudWatchSdk.CloudWatchServiceException,
    throttling: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  },
  dynamoDb: {
    prefix: 'dynamodb',
    sdk: dynamoDbSdk,
    baseException: dynamoDbSdk.DynamoDBServiceException,
    // On-demand tables throttle with ThrottlingException (400).
    throttling: {
      code: 'ThrottlingException',
      status: 400,
      message: 'Throughput exceeds the current capacity of your table or index.',
    },
  },
  eventBridge: {
    prefix: 'events',
    sdk: eventBridgeSdk,
    baseException: eventBridgeSdk.EventBridgeServiceException,
    throttling: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  },
  sts: {
    prefix: 'sts',
    sdk: stsSdk,
    baseException: stsSdk.STSServiceException,
    throttling: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  },
} satisfies Record<string, Service>;

/** The error the SDK would throw for this code: the modelled exception class when there is one. */
function sdkError(service: Service, code: string, message: string, status: number, requestId: string): Error {
  const $metadata = { httpStatusCode: status, requestId, attempts: 1, totalRetryDelay: 0 };
  const modelled = service.sdk[code];
  if (typeof modelled === 'function' && modelled.prototype instanceof service.baseException) {
    const Exception = modelled as new (options: { message: string; $metadata: typeof $metadata }) => Error;
    return new Exception({ message, $metadata });
  }
  return new service.baseException({
    name: code,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata,
    message,
  });
}

/** What the SDK clients need of `middlewareStack` to be answered by the world. */
interface AnswerableClient {
  middlewareStack: {
    add(
      middleware: (
        next: unknown,
        context: { commandName?: string },
      ) => (args: { input: object }) => Promise<{ output: object; response: unknown }>,
      options: { step: 'initialize'; name: string; priority: 'high' },
    ): void;
  };
}

/**
 * Answers every call of `client` from the world, before the SDK serializes anything: the answer has
 * the real response shape; errors are thrown as the SDK throws them; throttle faults refuse calls.
 * An operation the world does not model fails loudly (SimulatorGap) and is recorded.
 */
function answerFromWorld(
  client: AnswerableClient,
  service: Service,
  operations: Operations,
  world: World,
): void {
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      const api = `${service.prefix}:${operation}`;
      const requestId = world.ids.uuid();
      const answer = operations[operation] as ((input: object) => object) | undefined;
      try {
        if (answer === undefined) throw new SimulatorGap(api);
        world.metrics.apiCalled(api);
        if (world.faults.throttles(api)) {
          world.timeline.record('Throttled', { api });
          const { code, message, status } = service.throttling;
          throw new AwsApiError(code, message, status);
        }
        const output = answer(args.input);
        return {
          output: {
            ...output,
            $metadata: { httpStatusCode: 200, requestId, attempts: 1, totalRetryDelay: 0 },
          },
          response: {},
        };
      } catch (error) {
        if (error instanceof SimulatorGap) world.simulatorGaps.push(error.what);
        if (!(error instanceof AwsApiError)) throw error;
        throw sdkError(service, error.code, error.message, error.httpStatusCode, requestId);
      }
    },
    { step: 'initialize', name: 'simulatedWorld', priority: 'high' },
  );
}

export interface SimulatedAwsClients {
  ec2: ec2Sdk.EC2Client;
  autoScaling: autoScalingSdk.AutoScalingClient;
  eks: eksSdk.EKSClient;
  imageBuilder: imageBuilderSdk.ImagebuilderClient;
  ssm: ssmSdk.SSMClient;
  sfn: sfnSdk.SFNClient;
  sns: snsSdk.SNSClient;
  cloudWatch: cloudWatchSdk.CloudWatchClient;
  dynamoDb: dynamoDbSdk.DynamoDBClient;
  eventBridge: eventBridgeSdk.EventBridgeClient;
  sts: stsSdk.STSClient;
}

type ServiceKey = keyof typeof services;

function operationTables(
  world: World,
  stepFunctions: StepFunctions,
  notificationTopicArn: string,
): Record<ServiceKey, Operations> {
  return {
    ec2: ec2Operations(world),
    autoScaling: autoScalingOperations(world),
    eks: eksOperations(world),
    imageBuilder: imageBuilderOperations(world),
    ssm: ssmOperations(world),
    sfn: stepFunctionsOperations(
      stepFunctions,
      () => new Date(world.scheduler.now()),
      () => world.faults.listExecutionsLagSeconds,
    ),
    sns: snsOperations(world, notificationTopicArn),
    cloudWatch: cloudWatchOperations(world),
    dynamoDb: dynamoDbOperations(world),
    eventBridge: eventBridgeOperations(world),
    sts: stsOperations(),
  };
}

// Never used (nothing is signed or sent), but the clients resolve them when built.
const config = { region, credentials: { accessKeyId: 'ASIASIMULATED', secretAccessKey: 'simulated' } };

/** Real SDK v3 clients whose every call is answered by the world (and by the simulated Step Functions). */
export function simulatedAwsClients(
  world: World,
  stepFunctions: StepFunctions,
  notificationTopicArn: string,
): SimulatedAwsClients {
  const clients: SimulatedAwsClients = {
    ec2: new ec2Sdk.EC2Client(config),
    autoScaling: new autoScalingSdk.AutoScalingClient(config),
    eks: new eksSdk.EKSClient(config),
    imageBuilder: new imageBuilderSdk.ImagebuilderClient(config),
    ssm: new ssmSdk.SSMClient(config),
    sfn: new sfnSdk.SFNClient(config),
    sns: new snsSdk.SNSClient(config),
    cloudWatch: new cloudWatchSdk.CloudWatchClient(config),
    dynamoDb: new dynamoDbSdk.DynamoDBClient(config),
    eventBridge: new eventBridgeSdk.EventBridgeClient(config),
    sts: new stsSdk.STSClient(config),
  };
  const tables = operationTables(world, stepFunctions, notificationTopicArn);
  for (const key of Object.keys(services) as ServiceKey[]) {
    answerFromWorld(clients[key], services[key], tables[key], world);
  }
  return clients;
}

/**
 * A Step Functions client that answers as the simulated service did at `at()`: the executions'
 * histories up to then, RUNNING until they ended. A finished simulation replayed, as `status --watch`
 * would have seen it.
 */
export function stepFunctionsAt(
  world: World,
  stepFunctions: StepFunctions,
  at: () => Date,
): sfnSdk.SFNClient {
  const client = new sfnSdk.SFNClient(config);
  answerFromWorld(
    client,
    services.sfn,
    stepFunctionsOperations(stepFunctions, at, () => 0),
    world,
  );
  return client;
}

/** The AWS operations among `apis` (`ec2:CreateLaunchTemplateVersion`) that the simulator does not answer. */
export function unmodelledApis(
  world: World,
  stepFunctions: StepFunctions,
  apis: readonly string[],
): string[] {
  const tables = operationTables(world, stepFunctions, '');
  const byPrefix = new Map(
    (Object.keys(services) as ServiceKey[]).map((key) => [services[key].prefix, tables[key]] as const),
  );
  return apis.filter((api) => {
    const [prefix = '', operation = ''] = api.split(':');
    return prefix !== 'k8s' && !(operation in (byPrefix.get(prefix) ?? {}));
  });
}
