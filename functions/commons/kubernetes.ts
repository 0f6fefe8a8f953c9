import { defaultConnector } from '../adapters/kubernetes/connect.ts';
import { eksClient } from './clients.ts';
import type { KubernetesConnector } from './dependencies.ts';

let connector: KubernetesConnector | undefined;

/** The cluster connector of this container: EKS token auth, or the kubeconfig named by KUBECONFIG. */
export function kubernetesConnector(): KubernetesConnector {
  connector ??= defaultConnector(eksClient());
  return connector;
}
