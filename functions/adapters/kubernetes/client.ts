import { setTimeout as wait } from 'node:timers/promises';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
  type V1Eviction,
  type V1ListMeta,
  type V1Status,
} from '@kubernetes/client-node';
import { KubernetesThrottled } from '../../commons/errors.ts';
import type { EvictionOutcome, KubernetesPort, ListPodsOptions } from './port.ts';

/** Bounded so a Lambda never sleeps long: past the budget the state machine retries `KubernetesThrottled`. */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxTotalDelayMs: number;
}

export interface KubernetesClientOptions {
  pageSize?: number;
  retry?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
}

const defaultRetry: RetryPolicy = { maxAttempts: 4, baseDelayMs: 200, maxTotalDelayMs: 3_000 };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The Kubernetes port on `@kubernetes/client-node`, for any cluster a KubeConfig reaches. */
export function kubernetesClient(
  kubeConfig: KubeConfig,
  options: KubernetesClientOptions = {},
): KubernetesPort {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const policy = kubeConfig.makeApiClient(PolicyV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const limit = options.pageSize ?? 500;
  const server = kubeConfig.getCurrentCluster()?.server ?? '(no server in the kubeconfig)';
  const call = retrying({ ...defaultRetry, ...options.retry }, options.sleep ?? ((ms) => wait(ms)), server);

  const listPods = (namespace: string | undefined, options: ListPodsOptions = {}) => {
    const { labelSelector, fieldSelector } = options;
    const pageOf = (size: number) => (page: string | undefined) =>
      call(`list pods in ${namespace ?? 'all namespaces'}`, () =>
        namespace === undefined
          ? core.listPodForAllNamespaces({ labelSelector, fieldSelector, limit: size, _continue: page })
          : core.listNamespacedPod({ namespace, labelSelector, fieldSelector, limit: size, _continue: page }),
      );
    return options.limit === undefined
      ? allPages(pageOf(limit))
      : pageOf(options.limit)(undefined).then((page) => page.items);
  };

  return {
    listNodes: (labelSelector) =>
      allPages((page) => call('list nodes', () => core.listNode({ labelSelector, limit, _continue: page }))),

    getNode: (name) => call(`get node ${name}`, () => unlessNotFound(() => core.readNode({ name }))),

    listPodsOnNode: (nodeName) => listPods(undefined, { fieldSelector: `spec.nodeName=${nodeName}` }),

    listPods,

    getPod: (namespace, name) =>
      call(`get pod ${namespace}/${name}`, () =>
        unlessNotFound(() => core.readNamespacedPod({ namespace, name })),
      ),

    createPod: (namespace, pod) =>
      call(`create pod ${namespace}/${pod.metadata?.name ?? ''}`, () =>
        createdUnlessExists(() => core.createNamespacedPod({ namespace, body: pod })),
      ),

    patchNode: (name, { unschedulable, annotations, labels, taints }) =>
      call(`patch node ${name}`, () =>
        core.patchNode(
          { name, body: { spec: { unschedulable, taints }, metadata: { annotations, labels } } },
          mergePatch,
        ),
      ),

    evictPod: (namespace, name, gracePeriodSeconds, dryRun) =>
      call(`evict pod ${namespace}/${name}`, async (): Promise<EvictionOutcome> => {
        try {
          await core.createNamespacedPodEviction({
            namespace,
            name,
            body: eviction(namespace, name, gracePeriodSeconds),
            dryRun: dryRun ? 'All' : undefined,
          });
          return { kind: 'evicted' };
        } catch (error) {
          const refusal = evictionRefusal(error);
          if (refusal) return refusal;
          throw error;
        }
      }),

    deletePod: async (namespace, name, gracePeriodSeconds) => {
      const deleted = await call(`delete pod ${namespace}/${name}`, () =>
        unlessNotFound(() => core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds })),
      );
      return deleted !== undefined;
    },

    listPodDisruptionBudgets: (namespace) =>
      allPages((page) =>
        call(`list PodDisruptionBudgets in ${namespace ?? 'all namespaces'}`, () =>
          namespace === undefined
            ? policy.listPodDisruptionBudgetForAllNamespaces({ limit, _continue: page })
            : policy.listNamespacedPodDisruptionBudget({ namespace, limit, _continue: page }),
        ),
      ),

    getController: (namespace, kind, name) =>
      call(`get ${kind} ${namespace}/${name}`, () =>
        unlessNotFound(() =>
          kind === 'ReplicaSet'
            ? apps.readNamespacedReplicaSet({ namespace, name })
            : apps.readNamespacedStatefulSet({ namespace, name }),
        ),
      ),

    daemonSetExists: async (namespace, name) => {
      const daemonSet = await call(`get DaemonSet ${namespace}/${name}`, () =>
        unlessNotFound(() => apps.readNamespacedDaemonSet({ namespace, name })),
      );
      return daemonSet !== undefined;
    },
  };
}

function eviction(namespace: string, name: string, gracePeriodSeconds: number | undefined): V1Eviction {
  return {
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { namespace, name },
    deleteOptions: gracePeriodSeconds === undefined ? undefined : { gracePeriodSeconds },
  };
}

async function allPages<T>(
  fetchPage: (continueToken: string | undefined) => Promise<{ items: T[]; metadata?: V1ListMeta }>,
): Promise<T[]> {
  const items: T[] = [];
  let continueToken: string | undefined;
  do {
    const page = await fetchPage(continueToken);
    items.push(...page.items);
    continueToken = page.metadata?._continue || undefined;
  } while (continueToken);
  return items;
}

/** true once created; false when the API answers 409 AlreadyExists (an earlier try created it). */
async function createdUnlessExists(request: () => Promise<unknown>): Promise<boolean> {
  try {
    await request();
    return true;
  } catch (error) {
    if (apiFailure(error)?.code === 409) return false;
    throw error;
  }
}

async function unlessNotFound<T>(request: () => Promise<T>): Promise<T | undefined> {
  try {
    return await request();
  } catch (error) {
    if (apiFailure(error)?.code === 404) return undefined;
    throw error;
  }
}

/** The Eviction API's refusals are answers, not errors (see the port's `EvictionOutcome`). */
function evictionRefusal(error: unknown): EvictionOutcome | undefined {
  const failure = apiFailure(error);
  if (failure?.code === 404) return { kind: 'gone' };
  if (failure?.code === 429 && isDisruptionBudgetRefusal(failure.status)) {
    const causes = disruptionBudgetCauses(failure.status);
    return {
      kind: 'blockedByPdb',
      message: causes.length > 0 ? causes.join('; ') : statusMessage(failure.status),
      pdbNames: causes.flatMap((cause) => /The disruption budget (\S+)/.exec(cause)?.[1] ?? []),
    };
  }
  if (failure?.code === 500 && isMultiplePdbRefusal(failure.status)) {
    return {
      kind: 'multiplePdbs',
      message: failure.status.details?.causes?.[0]?.message ?? statusMessage(failure.status),
    };
  }
  return undefined;
}

function isDisruptionBudgetRefusal(status: V1Status): boolean {
  return (
    disruptionBudgetCauses(status).length > 0 ||
    statusMessage(status).includes("Cannot evict pod as it would violate the pod's disruption budget")
  );
}

function disruptionBudgetCauses(status: V1Status): string[] {
  return (status.details?.causes ?? []).flatMap((cause) =>
    cause.reason === 'DisruptionBudget' && cause.message ? [cause.message] : [],
  );
}

function isMultiplePdbRefusal(status: V1Status): boolean {
  const messages = [status.message, ...(status.details?.causes ?? []).map((cause) => cause.message)];
  return messages.some((message) => message?.includes('more than one PodDisruptionBudget'));
}

interface ApiFailure {
  code: number;
  status: V1Status;
  headers: Record<string, string>;
}

function apiFailure(error: unknown): ApiFailure | undefined {
  if (!(error instanceof ApiException)) return undefined;
  return { code: error.code, status: parseStatus(error.body), headers: error.headers ?? {} };
}

function parseStatus(body: unknown): V1Status {
  if (typeof body !== 'string') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as V1Status) : {};
  } catch {
    return { message: body };
  }
}

function statusMessage(status: V1Status): string {
  return status.message ?? status.reason ?? 'no message';
}

function retrying(policy: RetryPolicy, sleep: (ms: number) => Promise<void>, server: string) {
  return async function call<T>(action: string, request: () => Promise<T>): Promise<T> {
    let slept = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await request();
      } catch (error) {
        if (!isThrottling(error)) throw explain(action, error, server);
        const delay = Math.max(retryAfterMs(error), policy.baseDelayMs * 2 ** (attempt - 1));
        if (attempt >= policy.maxAttempts || slept + delay > policy.maxTotalDelayMs) {
          throw new KubernetesThrottled(
            `The Kubernetes API did not accept "${action}" after ${attempt} attempts (429, 5xx or connection reset); the step will be retried.`,
            { cause: error },
          );
        }
        await sleep(delay);
        slept += delay;
      }
    }
  };
}

/** 429 here never carries a disruption budget cause: evictions answer those before retrying. */
function isThrottling(error: unknown): boolean {
  const failure = apiFailure(error);
  if (failure) return failure.code === 429 || failure.code >= 500;
  return isConnectionReset(error);
}

const transientNetworkCodes = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

function isConnectionReset(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && transientNetworkCodes.has(code)) return true;
  }
  return false;
}

function retryAfterMs(error: unknown): number {
  const seconds = Number(apiFailure(error)?.headers['retry-after']);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1_000 : 0;
}

/**
 * The client's own message dumps headers and body, or says only "fetch failed"; an operator needs
 * the API's URL, the call, and the server's sentence or the system error.
 */
function explain(action: string, error: unknown, server: string): unknown {
  const failure = apiFailure(error);
  if (!failure) {
    const system = systemError(error);
    if (!system) return error;
    return new Error(
      `Cannot reach the Kubernetes API at ${server} to ${action}: ${system}. ` +
        'Check the endpoint, the network path to it (VPC, security groups, proxy) and that the API server is up.',
      { cause: error },
    );
  }
  if (failure.code === 401) {
    return new Error(
      `The Kubernetes API at ${server} answered 401 Unauthorized to "${action}": the token was refused: check the access entry or kubeconfig user.`,
      { cause: error },
    );
  }
  const reason = failure.status.reason ? ` ${failure.status.reason}` : '';
  return new Error(
    `Kubernetes API at ${server} refused to ${action}: ${failure.code}${reason}: ${statusMessage(failure.status)}`,
    { cause: error },
  );
}

/** The first system error (`ECONNREFUSED connect ECONNREFUSED 127.0.0.1:6443`) in the cause chain. */
function systemError(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return `${code} (${current.message})`;
  }
  return undefined;
}
