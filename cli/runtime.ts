import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { SFNClient } from '@aws-sdk/client-sfn';
import { defaultConnector } from '../functions/adapters/kubernetes/connect.ts';
import type { Dependencies, KubernetesConnector } from '../functions/commons/dependencies.ts';

export type AwsClients = Pick<Dependencies, 'ec2' | 'autoScaling' | 'eks' | 'imageBuilder' | 'sfn'>;

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
  /** Clients on the default credential chain; `region` overrides the default region. */
  aws(region: string | undefined): AwsClients;
  kubernetes(eks: AwsClients['eks']): KubernetesConnector;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export function defaultRuntime(): Runtime {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    aws: (region) => {
      const config = region ? { region } : {};
      return {
        ec2: new EC2Client(config),
        autoScaling: new AutoScalingClient(config),
        eks: new EKSClient(config),
        imageBuilder: new ImagebuilderClient(config),
        sfn: new SFNClient(config),
      };
    },
    kubernetes: (eks) => defaultConnector(eks),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: Date.now,
  };
}
