import { DescribeClusterCommand, type EKSClient } from '@aws-sdk/client-eks';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubernetesConnector } from '../../commons/dependencies.ts';
import { type KubernetesClientOptions, kubernetesClient } from './client.ts';
import { type EksTokenSource, eksTokenSource } from './eks-token.ts';
import type { KubernetesPort } from './port.ts';

export interface EksConnectorOptions {
  client?: KubernetesClientOptions;
  /** Default: signed with the EKS client's own region and credentials. */
  tokens?: EksTokenSource;
}

type Authenticator = Parameters<KubeConfig['addAuthenticator']>[0];

const eksAuthProvider = 'eks-bearer-token';

/**
 * Connects to an EKS cluster by name: endpoint and CA from `DescribeCluster`, an EKS bearer token
 * per request (renewed by the token source), one port per cluster for the life of the container.
 */
export function eksConnector(eks: EKSClient, options: EksConnectorOptions = {}): KubernetesConnector {
  const tokens =
    options.tokens ??
    eksTokenSource({ region: () => eks.config.region(), credentials: eks.config.credentials });
  return memoized(async (clusterName) => {
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: clusterName }));
    const endpoint = cluster?.endpoint;
    const caData = cluster?.certificateAuthority?.data;
    if (!endpoint || !caData) {
      throw new Error(
        `EKS cluster ${clusterName} has no API endpoint or certificate authority yet (status ${cluster?.status}); retry when it is ACTIVE.`,
      );
    }
    return kubernetesClient(eksKubeConfig(clusterName, endpoint, caData, tokens), options.client);
  });
}

/** For operators and tests: every cluster name reaches the kubeconfig's current context. */
export function kubeconfigConnector(
  path: string,
  options: KubernetesClientOptions = {},
): KubernetesConnector {
  let port: KubernetesPort | undefined;
  return async () => {
    if (!port) {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromFile(path);
      port = kubernetesClient(kubeConfig, options);
    }
    return port;
  };
}

/** `KUBECONFIG` (a single file) wins over EKS, so a step can run from an operator's machine. */
export function defaultConnector(eks: EKSClient, env: NodeJS.ProcessEnv = process.env): KubernetesConnector {
  const kubeconfig = env.KUBECONFIG;
  return kubeconfig ? kubeconfigConnector(kubeconfig) : eksConnector(eks);
}

function eksKubeConfig(
  clusterName: string,
  server: string,
  caData: string,
  tokens: EksTokenSource,
): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.addAuthenticator(bearerToken(() => tokens(clusterName)));
  kubeConfig.loadFromOptions({
    clusters: [{ name: clusterName, server, caData, skipTLSVerify: false }],
    users: [{ name: clusterName, authProvider: { name: eksAuthProvider } }],
    contexts: [{ name: clusterName, cluster: clusterName, user: clusterName }],
    currentContext: clusterName,
  });
  return kubeConfig;
}

/** Asked on every request, so a long-lived container never sends an expired token. */
function bearerToken(token: () => Promise<string>): Authenticator {
  return {
    isAuthProvider: (user) => user.authProvider?.name === eksAuthProvider,
    applyAuthentication: async (_user, requestOptions) => {
      requestOptions.headers = { ...requestOptions.headers, Authorization: `Bearer ${await token()}` };
    },
  };
}

/** A failed connection is forgotten, so the next call (a Step Functions retry) tries again. */
function memoized<T>(create: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (key) => {
    const existing = cache.get(key);
    if (existing) return existing;
    const created = create(key);
    cache.set(key, created);
    created.catch(() => cache.delete(key));
    return created;
  };
}
