import { homedir } from 'node:os';
import type { Dependencies, KubernetesConnector } from '../functions/commons/dependencies.ts';
import { SetupError } from './options.ts';

export type AwsClients = Pick<
  Dependencies,
  'ec2' | 'autoScaling' | 'eks' | 'imageBuilder' | 'sfn' | 'dynamoDb'
>;

/** Where AWS is called: `--region` and `--profile`, else the SDK's default chain. */
export interface AwsTarget {
  region?: string | undefined;
  profile?: string | undefined;
}

export interface Output {
  write(text: string): unknown;
  /** A terminal: a live line may be redrawn in place. */
  isTTY?: boolean;
}

/** What a command touches outside itself; tests replace the parts they need. */
export interface Runtime {
  stdout: Output;
  stderr: Output;
  env: Record<string, string | undefined>;
  /** The user's home directory, for ~/.kube/config. */
  home: string;
  /** Clients with credentials and region resolved, or a SetupError that says what to do. */
  aws(target: AwsTarget): Promise<AwsClients>;
  kubernetes(eks: AwsClients['eks']): KubernetesConnector;
  sleep(ms: number): Promise<void>;
  now(): number;
}

const noCredentials = (profile: string | undefined) =>
  `No AWS credentials${profile ? ` for profile ${profile}` : ''}: run 'aws configure' or 'aws sso login', ` +
  'or pass --profile NAME; to try it without an account, pass --scenario FILE (the simulator).';

/** The clients of a command; the AWS SDK is loaded only here, so help and the simulator never pay for it. */
export async function makeClients(config: Record<string, unknown>): Promise<AwsClients> {
  const [ec2, autoScaling, eks, imageBuilder, sfn, dynamoDb] = await Promise.all([
    import('@aws-sdk/client-ec2'),
    import('@aws-sdk/client-auto-scaling'),
    import('@aws-sdk/client-eks'),
    import('@aws-sdk/client-imagebuilder'),
    import('@aws-sdk/client-sfn'),
    import('@aws-sdk/client-dynamodb'),
  ]);
  return {
    ec2: new ec2.EC2Client(config),
    autoScaling: new autoScaling.AutoScalingClient(config),
    eks: new eks.EKSClient(config),
    imageBuilder: new imageBuilder.ImagebuilderClient(config),
    sfn: new sfn.SFNClient(config),
    dynamoDb: new dynamoDb.DynamoDBClient(config),
  };
}

/**
 * Credentials are resolved once, before any call, so a missing one is one line at once rather than a
 * CredentialsProviderError after every client's retries.
 */
async function awsClients({ region, profile }: AwsTarget): Promise<AwsClients> {
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  // One try of the instance metadata service: the CLI is rarely on EC2 (the SDK's default retries).
  const credentials = defaultProvider({ ...(profile ? { profile } : {}), timeout: 1000, maxRetries: 0 });
  try {
    await credentials();
  } catch {
    throw new SetupError(noCredentials(profile));
  }
  const clients = await makeClients({
    ...(region ? { region } : {}),
    ...(profile ? { profile } : {}),
    credentials,
  });
  try {
    await clients.sfn.config.region();
  } catch {
    throw new SetupError(
      'No AWS region: pass --region REGION, set AWS_REGION, or set a region in your profile.',
    );
  }
  return clients;
}

export function defaultRuntime(): Runtime {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    home: homedir(),
    aws: awsClients,
    kubernetes: (eks) => {
      let connector: Promise<KubernetesConnector> | undefined;
      return async (clusterName) => {
        connector ??= import('../functions/adapters/kubernetes/connect.ts').then((m) =>
          m.defaultConnector(eks),
        );
        return (await connector)(clusterName);
      };
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: Date.now,
  };
}
