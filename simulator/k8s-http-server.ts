import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  V1DaemonSet,
  V1Node,
  V1ObjectMeta,
  V1Pod,
  V1PodDisruptionBudget,
} from '@kubernetes/client-node';
import type { EvictionOutcome, KubernetesPort } from '../functions/adapters/kubernetes/port.ts';
import { ApiRefusal } from './kubernetes/refusal.ts';
import type { Taint } from './world/cluster.ts';

/** What the test server serves: the port's calls plus the DaemonSet lookup `kubectl drain` makes. */
export interface ClusterBackend extends KubernetesPort {
  getDaemonSet(namespace: string, name: string): Promise<V1DaemonSet | undefined>;
}

export interface KubernetesTestServerOptions {
  /** Default 0: any free port. */
  port?: number;
  /** PEM key pair: serve HTTPS (the kubeconfig then trusts `cert`) instead of plain HTTP. */
  tls?: { key: string; cert: string };
  /**
   * Which bearer tokens are let in. Default: over TLS, only the static token of the kubeconfig; over
   * plain HTTP everyone, like the API server's old insecure port, because kubectl sends no credentials
   * over plain HTTP.
   */
  acceptToken?: (token: string) => boolean;
  /** Milliseconds since the epoch, for the AGE column; the simulator's clock is virtual. */
  now?: () => number;
}

export interface KubernetesTestServer {
  url: string;
  kubeconfigPath: string;
  close(): Promise<void>;
}

/**
 * A Kubernetes API server on loopback, over real HTTP, with the real server's JSON shapes, content
 * types and status codes, for the calls of the Kubernetes port and of `kubectl get/cordon/drain`.
 */
export async function startKubernetesTestServer(
  backend: ClusterBackend,
  options: KubernetesTestServerOptions = {},
): Promise<KubernetesTestServer> {
  const token = randomUUID();
  const acceptToken =
    options.acceptToken ?? (options.tls ? (candidate: string) => candidate === token : undefined);
  const handler = requestHandler(routes(backend, options.now ?? Date.now), acceptToken);
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  // A port in use is an 'error' event, not a throw: reject, so the caller can say it in one line.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const directory = await mkdtemp(join(tmpdir(), 'k8s-test-server-'));
  const kubeconfigPath = join(directory, 'kubeconfig');
  await writeFile(kubeconfigPath, kubeconfig(url, token, options.tls?.cert));
  return {
    url,
    kubeconfigPath,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function kubeconfig(server: string, token: string, caCert: string | undefined): string {
  const trust = caCert
    ? { 'certificate-authority-data': Buffer.from(caCert).toString('base64') }
    : { 'insecure-skip-tls-verify': true };
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'simulated', cluster: { server, ...trust } }],
    users: [{ name: 'simulated', user: { token } }],
    contexts: [
      { name: 'simulated', context: { cluster: 'simulated', user: 'simulated', namespace: 'default' } },
    ],
    'current-context': 'simulated',
  });
}

// ---- HTTP plumbing ----

interface Reply {
  code: number;
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

interface Call {
  params: Record<string, string>;
  query: URLSearchParams;
  accept: string;
  contentType: string;
  body: () => Promise<unknown>;
}

type Handler = (call: Call) => Promise<Reply>;

interface Route {
  pattern: RegExp;
  methods: Partial<Record<string, Handler>>;
}

/** `/api/v1/nodes/:name` → a regular expression with named groups. */
function path(template: string): RegExp {
  return new RegExp(`^${template.replace(/:(\w+)/g, '(?<$1>[^/]+)')}/?$`);
}

const publicPaths = new Set(['/version']);

type TokenCheck = ((token: string) => boolean) | undefined;

function requestHandler(table: Route[], acceptToken: TokenCheck) {
  return (request: IncomingMessage, response: ServerResponse) => {
    handle(table, acceptToken, request)
      .catch(backendFailure)
      .then((reply) => send(response, reply));
  };
}

async function handle(table: Route[], acceptToken: TokenCheck, request: IncomingMessage): Promise<Reply> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (acceptToken && !publicPaths.has(url.pathname) && !authenticated(request, acceptToken)) {
    return failure(401, 'Unauthorized', 'Unauthorized');
  }
  for (const route of table) {
    const match = route.pattern.exec(url.pathname);
    if (!match) continue;
    const handler = route.methods[request.method ?? 'GET'];
    if (!handler) {
      return failure(
        405,
        'MethodNotAllowed',
        'the server does not allow this method on the requested resource',
      );
    }
    if (url.searchParams.get('watch') === 'true') {
      return failure(405, 'MethodNotAllowed', 'this test server does not serve watches');
    }
    return handler({
      params: decodeParams(match.groups ?? {}),
      query: url.searchParams,
      accept: request.headers.accept ?? '',
      contentType: (request.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '',
      body: () => readJson(request),
    });
  }
  return failure(404, 'NotFound', 'the server could not find the requested resource');
}

function authenticated(request: IncomingMessage, acceptToken: (token: string) => boolean): boolean {
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  return bearer !== undefined && acceptToken(bearer);
}

function decodeParams(groups: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(groups).map(([key, value]) => [key, decodeURIComponent(value)]));
}

class BadRequest extends Error {}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest('the request body is not valid JSON');
  }
}

/** Backend errors surface as the real server would answer them. */
function backendFailure(error: unknown): Reply {
  if (error instanceof BadRequest) return failure(400, 'BadRequest', error.message);
  if (error instanceof ApiRefusal) {
    const { code, reason, message, details } = error.status;
    return failure(code, reason, message, details);
  }
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === 'KubernetesThrottled') {
    return failure(
      429,
      'TooManyRequests',
      'Too many requests, please try again later.',
      { retryAfterSeconds: 1 },
      { 'Retry-After': '1' },
    );
  }
  return failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

function send(response: ServerResponse, reply: Reply): void {
  const body = JSON.stringify(reply.body);
  response.writeHead(reply.code, {
    'Content-Type': reply.contentType ?? 'application/json',
    'Cache-Control': 'no-cache, private',
    'Content-Length': Buffer.byteLength(body),
    ...reply.headers,
  });
  response.end(body);
}

function failure(
  code: number,
  reason: string,
  message: string,
  details?: object,
  headers?: Record<string, string>,
): Reply {
  return {
    code,
    headers,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      details,
      code,
    },
  };
}

function success(code: number): Reply {
  return { code, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code } };
}

function notFound(plural: string, name: string): Reply {
  return failure(404, 'NotFound', `${plural} "${name}" not found`, { name, kind: plural });
}

// ---- Routes ----

function routes(backend: ClusterBackend, now: () => number): Route[] {
  const serve = objectServer(now);
  const reply = async (body: unknown): Promise<Reply> => ({ code: 200, body });
  return [
    { pattern: path('/version'), methods: { GET: () => reply(versionInfo) } },
    { pattern: path('/api'), methods: { GET: () => reply(apiVersions) } },
    { pattern: path('/api/v1'), methods: { GET: () => reply(resourceList('v1', coreResources)) } },
    { pattern: path('/apis'), methods: { GET: () => reply(apiGroupList) } },
    ...apiGroups.flatMap(({ name, resources }) => [
      { pattern: path(`/apis/${name}`), methods: { GET: () => reply(apiGroup(name)) } },
      {
        pattern: path(`/apis/${name}/v1`),
        methods: { GET: () => reply(resourceList(`${name}/v1`, resources)) },
      },
    ]),
    {
      pattern: path('/api/v1/nodes'),
      methods: {
        GET: async (call) => {
          if (call.query.get('fieldSelector')) {
            return failure(400, 'BadRequest', 'this test server selects nodes by label only');
          }
          return serve.list(
            call,
            'Node',
            await backend.listNodes(call.query.get('labelSelector') || undefined),
          );
        },
      },
    },
    {
      pattern: path('/api/v1/nodes/:name'),
      methods: {
        GET: async (call) => serve.one(call, 'Node', await backend.getNode(call.params.name ?? '')),
        PATCH: (call) => patchNode(backend, serve, call),
      },
    },
    { pattern: path('/api/v1/pods'), methods: { GET: (call) => listPods(backend, serve, call) } },
    {
      pattern: path('/api/v1/namespaces/:namespace/pods'),
      methods: {
        GET: (call) => listPods(backend, serve, call),
        POST: (call) => createPod(backend, serve, call),
      },
    },
    {
      pattern: path('/api/v1/namespaces/:namespace/pods/:name'),
      methods: {
        GET: async (call) =>
          serve.one(call, 'Pod', await backend.getPod(call.params.namespace ?? '', call.params.name ?? '')),
        DELETE: (call) => deletePod(backend, serve, call),
      },
    },
    {
      pattern: path('/api/v1/namespaces/:namespace/pods/:name/eviction'),
      methods: { POST: (call) => evictPod(backend, call) },
    },
    {
      pattern: path('/apis/policy/v1/poddisruptionbudgets'),
      methods: {
        GET: async (call) =>
          serve.list(call, 'PodDisruptionBudget', await backend.listPodDisruptionBudgets()),
      },
    },
    {
      pattern: path('/apis/policy/v1/namespaces/:namespace/poddisruptionbudgets'),
      methods: {
        GET: async (call) =>
          serve.list(
            call,
            'PodDisruptionBudget',
            await backend.listPodDisruptionBudgets(call.params.namespace),
          ),
      },
    },
    ...(['ReplicaSet', 'StatefulSet'] as const).map((kind) => ({
      pattern: path(`/apis/apps/v1/namespaces/:namespace/${kinds[kind].plural}/:name`),
      methods: {
        GET: async (call: Call) =>
          serve.one(
            call,
            kind,
            await backend.getController(call.params.namespace ?? '', kind, call.params.name ?? ''),
          ),
      },
    })),
    {
      pattern: path('/apis/apps/v1/namespaces/:namespace/daemonsets/:name'),
      methods: {
        GET: async (call) =>
          serve.one(
            call,
            'DaemonSet',
            await backend.getDaemonSet(call.params.namespace ?? '', call.params.name ?? ''),
          ),
      },
    },
  ];
}

async function listPods(backend: ClusterBackend, serve: ObjectServer, call: Call): Promise<Reply> {
  const namespace = call.params.namespace;
  const labelSelector = call.query.get('labelSelector') || undefined;
  const fieldSelector = call.query.get('fieldSelector') || undefined;
  const nodeName = /^spec\.nodeName==?([^,]+)$/.exec(fieldSelector ?? '')?.[1];
  const pods =
    nodeName && !labelSelector
      ? (await backend.listPodsOnNode(nodeName)).filter(
          (pod) => namespace === undefined || pod.metadata?.namespace === namespace,
        )
      : await backend.listPods(namespace, { labelSelector, fieldSelector });
  return serve.list(call, 'Pod', pods);
}

const patchContentTypes = new Set(['application/merge-patch+json', 'application/strategic-merge-patch+json']);

async function patchNode(backend: ClusterBackend, serve: ObjectServer, call: Call): Promise<Reply> {
  if (!patchContentTypes.has(call.contentType)) {
    return failure(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${[...patchContentTypes].join(', ')}`,
    );
  }
  const patch = nodePatch(await call.body());
  if (typeof patch === 'string') return failure(422, 'Invalid', patch);
  const name = call.params.name ?? '';
  if (!(await backend.getNode(name))) return notFound('nodes', name);
  return serve.one(call, 'Node', await backend.patchNode(name, patch), { tableAllowed: false });
}

/** What the rollout patches, plus `spec.taints` (a list: the patch replaces it whole). */
type NodePatch = Parameters<KubernetesPort['patchNode']>[1] & { taints?: Taint[] };

const taintEffects: readonly string[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function isTaint(value: unknown): value is Taint {
  return (
    isRecord(value) &&
    onlyKeys(value, ['key', 'value', 'effect', 'timeAdded']) &&
    typeof value.key === 'string' &&
    (value.value === undefined || typeof value.value === 'string') &&
    typeof value.effect === 'string' &&
    taintEffects.includes(value.effect)
  );
}

/** Only what cordon and the rollout's annotations change; `null` removes, as in a merge patch. */
function nodePatch(body: unknown): NodePatch | string {
  const unsupported =
    'this test server patches only spec.unschedulable, spec.taints, metadata.annotations and metadata.labels of a node';
  if (!isRecord(body) || !onlyKeys(body, ['spec', 'metadata'])) return unsupported;
  const { spec = {}, metadata = {} } = body;
  if (!isRecord(spec) || !onlyKeys(spec, ['unschedulable', 'taints'])) return unsupported;
  if (!isRecord(metadata) || !onlyKeys(metadata, ['annotations', 'labels'])) return unsupported;
  const patch: NodePatch = {};
  if (spec.unschedulable !== undefined) {
    if (spec.unschedulable !== null && typeof spec.unschedulable !== 'boolean') {
      return 'spec.unschedulable must be a boolean';
    }
    patch.unschedulable = spec.unschedulable === true;
  }
  if (spec.taints !== undefined) {
    if (spec.taints !== null && !(Array.isArray(spec.taints) && spec.taints.every(isTaint))) {
      return `spec.taints must be a list of {key, value, effect} with effect one of ${taintEffects.join(', ')}`;
    }
    patch.taints = (spec.taints ?? []).map(({ key, value, effect }) => ({ key, value, effect }));
  }
  for (const field of ['annotations', 'labels'] as const) {
    const values = metadata[field];
    if (values === undefined) continue;
    if (!isRecord(values) || !Object.values(values).every((v) => v === null || typeof v === 'string')) {
      return `metadata.${field} must map names to strings (or null to remove one)`;
    }
    patch[field] = values as Record<string, string | null>;
  }
  return patch;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(record: Record<string, unknown>, allowed: string[]): boolean {
  return Object.keys(record).every((key) => allowed.includes(key));
}

/** 201 with the pod as created; 409 when the name is taken; the backend's refusals as it words them. */
async function createPod(backend: ClusterBackend, serve: ObjectServer, call: Call): Promise<Reply> {
  const namespace = call.params.namespace ?? '';
  const pod = await call.body();
  if (!isRecord(pod) || (pod.kind !== undefined && pod.kind !== 'Pod')) {
    return failure(400, 'BadRequest', 'the body must be a v1 Pod');
  }
  const name = isRecord(pod.metadata) && typeof pod.metadata.name === 'string' ? pod.metadata.name : '';
  if (!(await backend.createPod(namespace, pod as V1Pod))) {
    return failure(409, 'AlreadyExists', `pods "${name}" already exists`, { name, kind: 'pods' });
  }
  const created = await serve.one(call, 'Pod', await backend.getPod(namespace, name), {
    tableAllowed: false,
  });
  return { ...created, code: created.code === 200 ? 201 : created.code };
}

async function deletePod(backend: ClusterBackend, serve: ObjectServer, call: Call): Promise<Reply> {
  const namespace = call.params.namespace ?? '';
  const name = call.params.name ?? '';
  const options = await call.body();
  const fromBody = isRecord(options) ? options.gracePeriodSeconds : undefined;
  const fromQuery = call.query.get('gracePeriodSeconds');
  const gracePeriodSeconds =
    fromQuery !== null ? Number(fromQuery) : typeof fromBody === 'number' ? fromBody : undefined;
  const pod = await backend.getPod(namespace, name);
  if (!pod || !(await backend.deletePod(namespace, name, gracePeriodSeconds))) return notFound('pods', name);
  return serve.one(call, 'Pod', pod, { tableAllowed: false });
}

async function evictPod(backend: ClusterBackend, call: Call): Promise<Reply> {
  const namespace = call.params.namespace ?? '';
  const name = call.params.name ?? '';
  const eviction = await call.body();
  if (!isRecord(eviction) || eviction.kind !== 'Eviction') {
    return failure(400, 'BadRequest', 'the body must be a policy/v1 Eviction');
  }
  const metadata = isRecord(eviction.metadata) ? eviction.metadata : {};
  if (metadata.name !== undefined && metadata.name !== name) {
    return failure(400, 'BadRequest', 'name in URL does not match name in Eviction object');
  }
  const deleteOptions = isRecord(eviction.deleteOptions) ? eviction.deleteOptions : {};
  const grace =
    typeof deleteOptions.gracePeriodSeconds === 'number' ? deleteOptions.gracePeriodSeconds : undefined;
  // The query's dryRun or the Eviction's deleteOptions.dryRun; "All" is the only value the API accepts.
  const dryRuns = [
    ...call.query.getAll('dryRun'),
    ...(Array.isArray(deleteOptions.dryRun) ? deleteOptions.dryRun.map(String) : []),
  ];
  const unsupported = dryRuns.find((value) => value !== 'All');
  if (unsupported !== undefined) {
    return failure(400, 'BadRequest', `dryRun: Unsupported value: "${unsupported}": supported values: "All"`);
  }
  return evictionReply(await backend.evictPod(namespace, name, grace, dryRuns.length > 0), name);
}

function evictionReply(outcome: EvictionOutcome, name: string): Reply {
  switch (outcome.kind) {
    case 'evicted':
      return success(201);
    case 'gone':
      return notFound('pods', name);
    case 'blockedByPdb':
      return failure(
        429,
        'TooManyRequests',
        "Cannot evict pod as it would violate the pod's disruption budget.",
        {
          causes: disruptionBudgetCauses(outcome),
        },
      );
    case 'multiplePdbs':
      return failure(
        500,
        'InternalError',
        'Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
        { causes: [{ message: outcome.message }] },
      );
  }
}

/** One cause per budget, worded like the real server so clients can read the budget's name. */
function disruptionBudgetCauses({ message, pdbNames }: { message: string; pdbNames: string[] }) {
  if (pdbNames.length === 0) return [{ reason: 'DisruptionBudget', message }];
  return pdbNames.map((name) => ({
    reason: 'DisruptionBudget',
    message: message.includes(`disruption budget ${name}`)
      ? message
      : `The disruption budget ${name} does not allow this disruption now: ${message}`,
  }));
}

// ---- Objects, lists and tables ----

type Kind = 'Node' | 'Pod' | 'PodDisruptionBudget' | 'DaemonSet' | 'ReplicaSet' | 'StatefulSet';
type KubernetesObject = { metadata?: V1ObjectMeta };

interface KindInfo {
  apiVersion: string;
  plural: string;
  table?: TableLayout;
}

interface ObjectServer {
  one(
    call: Call,
    kind: Kind,
    object: KubernetesObject | undefined,
    options?: { tableAllowed: boolean },
  ): Promise<Reply>;
  list(call: Call, kind: Kind, objects: KubernetesObject[]): Promise<Reply>;
}

function objectServer(now: () => number): ObjectServer {
  const wantsTable = (call: Call) => call.accept.includes('as=Table');
  return {
    async one(call, kind, object, { tableAllowed } = { tableAllowed: true }) {
      const { apiVersion, plural } = kinds[kind];
      if (!object) return notFound(plural, call.params.name ?? '');
      if (tableAllowed && wantsTable(call)) return tableReply(call, kind, [object], undefined, now());
      return { code: 200, body: { kind, apiVersion, ...serialize(object) } };
    },
    async list(call, kind, objects) {
      const page = paginate(objects, call.query);
      if (typeof page === 'string') return failure(400, 'BadRequest', page);
      if (wantsTable(call)) return tableReply(call, kind, page.items, page.continueToken, now());
      return {
        code: 200,
        body: {
          kind: `${kind}List`,
          apiVersion: kinds[kind].apiVersion,
          metadata: { resourceVersion, continue: page.continueToken, remainingItemCount: page.remaining },
          items: page.items.map((item) => serialize(item)),
        },
      };
    },
  };
}

const resourceVersion = '1';

/**
 * The wire form. The models of these kinds use the JSON field names; only timestamps differ: the API
 * server writes RFC 3339 without fractions.
 */
function serialize(object: KubernetesObject): Record<string, unknown> {
  return wholeSecondDates(object) as Record<string, unknown>;
}

function wholeSecondDates(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (Array.isArray(value)) return value.map(wholeSecondDates);
  if (isRecord(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wholeSecondDates(v)]));
  return value;
}

interface Page {
  items: KubernetesObject[];
  continueToken?: string;
  remaining?: number;
}

/** Ordered by namespace/name like etcd keys; the continue token is the last key served. */
function paginate(objects: KubernetesObject[], query: URLSearchParams): Page | string {
  const sorted = objects.map((object) => ({ key: objectKey(object), object })).sort(byKey);
  const after = query.get('continue') ? decodeContinue(query.get('continue') ?? '') : '';
  if (after === undefined) return 'continue key is not valid';
  const rest = sorted.filter(({ key }) => key > after);
  const limit = Number(query.get('limit') ?? 0);
  if (!(limit > 0) || rest.length <= limit) return { items: rest.map(({ object }) => object) };
  const page = rest.slice(0, limit);
  const last = page[page.length - 1]?.key ?? '';
  return {
    items: page.map(({ object }) => object),
    continueToken: Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', start: last })).toString('base64'),
    remaining: rest.length - limit,
  };
}

function objectKey(object: KubernetesObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

function byKey(a: { key: string }, b: { key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function decodeContinue(token: string): string | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    return isRecord(decoded) && typeof decoded.start === 'string' ? decoded.start : undefined;
  } catch {
    return undefined;
  }
}

interface Column {
  name: string;
  type: 'string' | 'integer';
  format?: 'name';
  priority?: number;
  cell: (object: never, now: number) => string | number;
}
type TableLayout = Column[];

function tableReply(
  call: Call,
  kind: Kind,
  objects: KubernetesObject[],
  continueToken: string | undefined,
  now: number,
): Reply {
  const columns = kinds[kind].table ?? defaultTable;
  const includeObject = call.query.get('includeObject') ?? 'Metadata';
  return {
    code: 200,
    contentType: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    body: {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion, continue: continueToken },
      columnDefinitions: columns.map(({ name, type, format, priority }) => ({
        name,
        type,
        format: format ?? '',
        description: name,
        priority: priority ?? 0,
      })),
      rows: objects.map((object) => ({
        cells: columns.map((column) => column.cell(object as never, now)),
        object: rowObject(kind, object, includeObject),
      })),
    },
  };
}

function rowObject(kind: Kind, object: KubernetesObject, includeObject: string): unknown {
  const serialized = serialize(object);
  if (includeObject === 'None') return undefined;
  if (includeObject === 'Object') return { kind, apiVersion: kinds[kind].apiVersion, ...serialized };
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: serialized.metadata };
}

const none = '<none>';

function age(metadata: V1ObjectMeta | undefined, now: number): string {
  const created = metadata?.creationTimestamp;
  if (!created) return none;
  const seconds = Math.max(0, Math.floor((now - new Date(created).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 180 * 60) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

const nameColumn: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  cell: (o: KubernetesObject) => o.metadata?.name ?? '',
};
const ageColumn: Column = {
  name: 'Age',
  type: 'string',
  cell: (o: KubernetesObject, now) => age(o.metadata, now),
};
const defaultTable: TableLayout = [nameColumn, ageColumn];

function nodeStatus(node: V1Node): string {
  const ready = node.status?.conditions?.find((condition) => condition.type === 'Ready')?.status;
  const state = ready === 'True' ? 'Ready' : ready === 'False' ? 'NotReady' : 'Unknown';
  return node.spec?.unschedulable ? `${state},SchedulingDisabled` : state;
}

function nodeRoles(node: V1Node): string {
  const labels = node.metadata?.labels ?? {};
  const roles = Object.keys(labels).flatMap(
    (label) => /^node-role\.kubernetes\.io\/(.+)$/.exec(label)?.[1] ?? [],
  );
  const legacy = labels['kubernetes.io/role'];
  return [...roles, ...(legacy ? [legacy] : [])].join(',') || none;
}

function nodeAddress(node: V1Node, type: string): string {
  return node.status?.addresses?.find((address) => address.type === type)?.address ?? none;
}

const nodeTable: TableLayout = [
  nameColumn,
  { name: 'Status', type: 'string', cell: nodeStatus },
  { name: 'Roles', type: 'string', cell: nodeRoles },
  ageColumn,
  { name: 'Version', type: 'string', cell: (node: V1Node) => node.status?.nodeInfo?.kubeletVersion ?? '' },
  {
    name: 'Internal-IP',
    type: 'string',
    priority: 1,
    cell: (node: V1Node) => nodeAddress(node, 'InternalIP'),
  },
  {
    name: 'External-IP',
    type: 'string',
    priority: 1,
    cell: (node: V1Node) => nodeAddress(node, 'ExternalIP'),
  },
  {
    name: 'OS-Image',
    type: 'string',
    priority: 1,
    cell: (node: V1Node) => node.status?.nodeInfo?.osImage ?? none,
  },
  {
    name: 'Kernel-Version',
    type: 'string',
    priority: 1,
    cell: (node: V1Node) => node.status?.nodeInfo?.kernelVersion ?? none,
  },
  {
    name: 'Container-Runtime',
    type: 'string',
    priority: 1,
    cell: (node: V1Node) => node.status?.nodeInfo?.containerRuntimeVersion ?? none,
  },
];

function podReady(pod: V1Pod): string {
  const ready = pod.status?.containerStatuses?.filter((container) => container.ready).length ?? 0;
  return `${ready}/${pod.spec?.containers.length ?? 0}`;
}

function podStatus(pod: V1Pod): string {
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  const waiting = pod.status?.containerStatuses?.find((container) => container.state?.waiting)?.state
    ?.waiting;
  return pod.status?.reason ?? waiting?.reason ?? pod.status?.phase ?? 'Unknown';
}

const podTable: TableLayout = [
  nameColumn,
  { name: 'Ready', type: 'string', cell: podReady },
  { name: 'Status', type: 'string', cell: podStatus },
  {
    name: 'Restarts',
    type: 'integer',
    cell: (pod: V1Pod) => (pod.status?.containerStatuses ?? []).reduce((sum, c) => sum + c.restartCount, 0),
  },
  ageColumn,
  { name: 'IP', type: 'string', priority: 1, cell: (pod: V1Pod) => pod.status?.podIP ?? none },
  { name: 'Node', type: 'string', priority: 1, cell: (pod: V1Pod) => pod.spec?.nodeName ?? none },
  {
    name: 'Nominated Node',
    type: 'string',
    priority: 1,
    cell: (pod: V1Pod) => pod.status?.nominatedNodeName ?? none,
  },
  { name: 'Readiness Gates', type: 'string', priority: 1, cell: () => none },
];

const pdbTable: TableLayout = [
  nameColumn,
  {
    name: 'Min Available',
    type: 'string',
    cell: (pdb: V1PodDisruptionBudget) => String(pdb.spec?.minAvailable ?? 'N/A'),
  },
  {
    name: 'Max Unavailable',
    type: 'string',
    cell: (pdb: V1PodDisruptionBudget) => String(pdb.spec?.maxUnavailable ?? 'N/A'),
  },
  {
    name: 'Allowed Disruptions',
    type: 'integer',
    cell: (pdb: V1PodDisruptionBudget) => pdb.status?.disruptionsAllowed ?? 0,
  },
  ageColumn,
];

const kinds: Record<Kind, KindInfo> = {
  Node: { apiVersion: 'v1', plural: 'nodes', table: nodeTable },
  Pod: { apiVersion: 'v1', plural: 'pods', table: podTable },
  PodDisruptionBudget: { apiVersion: 'policy/v1', plural: 'poddisruptionbudgets', table: pdbTable },
  DaemonSet: { apiVersion: 'apps/v1', plural: 'daemonsets' },
  ReplicaSet: { apiVersion: 'apps/v1', plural: 'replicasets' },
  StatefulSet: { apiVersion: 'apps/v1', plural: 'statefulsets' },
};

// ---- Discovery ----

const versionInfo = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0-simulated',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-08-13T00:00:00Z',
  goVersion: 'go1.22.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const apiVersions = {
  kind: 'APIVersions',
  versions: ['v1'],
  serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
};

const coreResources = [
  {
    name: 'nodes',
    singularName: 'node',
    namespaced: false,
    kind: 'Node',
    verbs: ['get', 'list', 'patch'],
    shortNames: ['no'],
  },
  {
    name: 'pods',
    singularName: 'pod',
    namespaced: true,
    kind: 'Pod',
    verbs: ['create', 'delete', 'get', 'list'],
    shortNames: ['po'],
    categories: ['all'],
  },
  {
    name: 'pods/eviction',
    singularName: '',
    namespaced: true,
    group: 'policy',
    version: 'v1',
    kind: 'Eviction',
    verbs: ['create'],
  },
];

const apiGroups = [
  {
    name: 'apps',
    resources: [
      {
        name: 'daemonsets',
        singularName: 'daemonset',
        namespaced: true,
        kind: 'DaemonSet',
        verbs: ['get'],
        shortNames: ['ds'],
      },
      {
        name: 'replicasets',
        singularName: 'replicaset',
        namespaced: true,
        kind: 'ReplicaSet',
        verbs: ['get'],
        shortNames: ['rs'],
      },
      {
        name: 'statefulsets',
        singularName: 'statefulset',
        namespaced: true,
        kind: 'StatefulSet',
        verbs: ['get'],
        shortNames: ['sts'],
      },
    ],
  },
  {
    name: 'policy',
    resources: [
      {
        name: 'poddisruptionbudgets',
        singularName: 'poddisruptionbudget',
        namespaced: true,
        kind: 'PodDisruptionBudget',
        verbs: ['list'],
        shortNames: ['pdb'],
      },
    ],
  },
];

function apiGroup(name: string) {
  const version = { groupVersion: `${name}/v1`, version: 'v1' };
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions: [version], preferredVersion: version };
}

const apiGroupList = {
  kind: 'APIGroupList',
  apiVersion: 'v1',
  groups: apiGroups.map(({ name }) => {
    const { kind: _kind, apiVersion: _apiVersion, ...group } = apiGroup(name);
    return group;
  }),
};

function resourceList(groupVersion: string, resources: object[]) {
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}
