import type {
  V1Container,
  V1ContainerState,
  V1ContainerStatus,
  V1DaemonSet,
  V1Node,
  V1NodeCondition,
  V1OwnerReference,
  V1Pod,
  V1PodCondition,
  V1PodDisruptionBudget,
  V1ReplicaSet,
  V1StatefulSet,
  V1Taint,
  V1Toleration,
  V1Volume,
} from '@kubernetes/client-node';
import {
  type BareContainer,
  type BarePodRecord,
  barePodFailure,
  barePodPhase,
  defaultGracePeriodSeconds,
} from '../world/bare-pods.ts';
import { instanceTypeFacts, windowsReleaseOf } from '../world/catalog.ts';
import {
  type Cluster,
  isPodReady,
  type NodeRecord,
  type PdbRecord,
  type PodRecord,
  podLabels,
  podPhase,
  type WorkloadRecord,
} from '../world/cluster.ts';
import type { ImageRecord } from '../world/ec2.ts';
import { hashOf } from '../world/random.ts';

/**
 * The Date of the process, captured before the simulator's fake clock is installed: every object
 * rendered carries timestamps, and the fake Date's constructor is several times slower.
 */
const NativeDate = Date;

const hexCache = new Map<string, string>();
/** Stable hex digits for a seed; cached, as every list of nodes or pods renders them again. */
function hex(seed: string, length: number): string {
  const key = `${length}:${seed}`;
  let digits = hexCache.get(key);
  if (digits === undefined) {
    digits = Array.from({ length: Math.ceil(length / 8) }, (_, i) =>
      hashOf(`${seed}/${i}`).toString(16).padStart(8, '0'),
    )
      .join('')
      .slice(0, length);
    hexCache.set(key, digits);
  }
  return digits;
}

/** `v1.31.4-eks-1a2b3c4`: the kubelet an AMI ships, the same for every node booted from it. */
function kubeletVersionOf(image: ImageRecord): string {
  return `v${image.kubernetesVersion}.${2 + (hashOf(image.id) % 6)}-eks-${hex(image.name, 7)}`;
}

function nodeInfo(node: NodeRecord) {
  const { image } = node;
  const windows = image.platform === 'windows';
  const kubeletVersion = kubeletVersionOf(image);
  return {
    machineID: hex(`${node.uid}/machine`, 32),
    systemUUID: hex(`${node.instanceId}/uuid`, 32).toUpperCase(),
    bootID: hex(`${node.uid}/boot`, 32),
    kernelVersion: windows
      ? `${image.windowsBuild}.${2000 + (hashOf(image.id) % 900)}`
      : '6.1.112-122.189.amzn2023.x86_64',
    osImage: windows
      ? `Windows Server ${windowsReleaseOf(image.windowsBuild ?? '')} Datacenter`
      : 'Amazon Linux 2023.6.20241010',
    containerRuntimeVersion: 'containerd://1.7.20',
    kubeletVersion,
    kubeProxyVersion: kubeletVersion,
    operatingSystem: image.platform,
    architecture: 'amd64',
  };
}

const readyConditions: Record<NodeRecord['ready'], { reason: string; message: string }> = {
  True: { reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  False: {
    reason: 'KubeletNotReady',
    message:
      'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
  },
  Unknown: { reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' },
};

function nodeTaints(node: NodeRecord): V1Taint[] | undefined {
  const since = new NativeDate(node.readyTransitionAt);
  const taints: V1Taint[] = node.taints.map((taint) => ({ ...taint }));
  if (node.unschedulable)
    taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: since });
  if (node.ready === 'False') {
    taints.push({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule', timeAdded: since });
  }
  if (node.ready === 'Unknown') {
    taints.push(
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: since },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: since },
    );
  }
  return taints.length > 0 ? taints : undefined;
}

/**
 * The kubelet posts its node's status when it changes, else every `nodeStatusReportFrequency` (5 min
 * by default, KubeletConfiguration; liveness goes to its Lease in between): the heartbeat of a node
 * whose status did not change stays put.
 */
const statusReportMs = 300_000;

/** The rendered node by record, while neither its resourceVersion nor its heartbeat changed. */
const renderedNodes = new WeakMap<NodeRecord, { version: number; heartbeat: number; node: V1Node }>();

/** Callers share the cached object, as the API server's watch cache serves one object to every list. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const field of Object.values(value)) deepFreeze(field);
  return Object.freeze(value);
}

/** The node as the API serves it: rendered again only when its record or its heartbeat changed. */
export function renderNode(node: NodeRecord, now: number): V1Node {
  const heartbeat =
    node.ready === 'Unknown'
      ? node.readyTransitionAt
      : now - ((now - node.readyTransitionAt) % statusReportMs);
  const cached = renderedNodes.get(node);
  if (cached !== undefined && cached.version === node.resourceVersion && cached.heartbeat === heartbeat) {
    return cached.node;
  }
  const rendered = deepFreeze(renderNodeAt(node, heartbeat));
  renderedNodes.set(node, { version: node.resourceVersion, heartbeat, node: rendered });
  return rendered;
}

function renderNodeAt(node: NodeRecord, heartbeat: number): V1Node {
  const facts = instanceTypeFacts(node.instanceType);
  const memoryKi = `${(facts?.memoryGiB ?? 8) * 1024 * 1024 - 700 * 1024}Ki`;
  const resources = {
    cpu: String(facts?.vcpus ?? 2),
    memory: memoryKi,
    pods: String(node.podCapacity),
    'ephemeral-storage': node.os === 'windows' ? '52416492Ki' : '20959212Ki',
  };
  const pressure = (type: string, reason: string, message: string): V1NodeCondition => ({
    type,
    status: node.ready === 'Unknown' ? 'Unknown' : 'False',
    reason,
    message,
    lastHeartbeatTime: new NativeDate(heartbeat),
    lastTransitionTime: new NativeDate(node.createdAt),
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      uid: node.uid,
      resourceVersion: String(node.resourceVersion),
      creationTimestamp: new NativeDate(node.createdAt),
      labels: { ...node.labels },
      annotations: { ...node.annotations },
    },
    spec: {
      providerID: `aws:///${node.availabilityZone}/${node.instanceId}`,
      unschedulable: node.unschedulable ? true : undefined,
      taints: nodeTaints(node),
    },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [
        pressure('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        pressure('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        pressure('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        {
          type: 'Ready',
          status: node.ready,
          ...readyConditions[node.ready],
          lastHeartbeatTime: new NativeDate(heartbeat),
          lastTransitionTime: new NativeDate(node.readyTransitionAt),
        },
      ],
      addresses: [
        { type: 'InternalIP', address: node.privateIp },
        { type: 'InternalDNS', address: node.name },
        { type: 'Hostname', address: node.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: nodeInfo(node),
      // The kubelet reports the 50 largest images on the node.
      images: [...node.images.entries()]
        .sort(([, a], [, b]) => b - a)
        .slice(0, 50)
        .map(([image, sizeBytes]) => ({
          names: [`${image.split(':')[0]}@sha256:${hex(image, 64)}`, image],
          sizeBytes,
        })),
    },
  };
}

function ownerReferences(pod: PodRecord): V1OwnerReference[] | undefined {
  const { workload } = pod;
  const { spec } = workload;
  const owner = (kind: string, name: string, uid: string): V1OwnerReference[] => [
    { apiVersion: 'apps/v1', kind, name, uid, controller: true, blockOwnerDeletion: true },
  ];
  switch (spec.kind) {
    case 'Deployment':
      return owner('ReplicaSet', `${spec.name}-${pod.revision.hash}`, pod.revision.replicaSetUid);
    case 'StatefulSet':
    case 'DaemonSet':
      return owner(spec.kind, spec.name, workload.uid);
    case 'Pod':
      return undefined;
  }
}

/** Default tolerations (DefaultTolerationSeconds); DaemonSet pods here tolerate every taint. */
/** What the DefaultTolerationSeconds admission plugin adds to a pod that tolerates neither taint. */
const defaultTolerations: V1Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  {
    key: 'node.kubernetes.io/unreachable',
    operator: 'Exists',
    effect: 'NoExecute',
    tolerationSeconds: 300,
  },
];

function tolerations(workload: WorkloadRecord): V1Toleration[] {
  if (workload.spec.kind === 'DaemonSet') return [{ operator: 'Exists' }];
  return defaultTolerations.map((toleration) => ({ ...toleration }));
}

function containers(workload: WorkloadRecord, apiAccessVolume: string): V1Container[] {
  const { spec } = workload;
  return [
    {
      name: spec.name,
      image: spec.image,
      imagePullPolicy: 'IfNotPresent',
      resources: {},
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      volumeMounts: [
        ...(spec.emptyDir
          ? [{ name: 'scratch', mountPath: spec.os === 'windows' ? 'C:\\scratch' : '/scratch' }]
          : []),
        { name: apiAccessVolume, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
      ],
    },
  ];
}

function volumes(workload: WorkloadRecord, apiAccessVolume: string): V1Volume[] {
  return [
    ...(workload.spec.emptyDir ? [{ name: 'scratch', emptyDir: {} }] : []),
    {
      name: apiAccessVolume,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        ],
      },
    },
  ];
}

function podConditions(pod: PodRecord, cluster: Cluster, now: number): V1PodCondition[] {
  const at = (time: number | undefined) => (time === undefined ? undefined : new NativeDate(time));
  if (pod.nodeName === undefined) {
    const os = pod.workload.spec.os;
    return [
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message: `0/${cluster.nodes.size} nodes are available: no Ready, schedulable ${os} node has room for another pod.`,
        lastTransitionTime: new NativeDate(pod.createdAt),
        lastProbeTime: undefined,
      },
    ];
  }
  const ready = isPodReady(pod);
  const readyAt = ready ? pod.readySince : (pod.deletionTimestamp ?? pod.boundAt);
  const started = pod.containersStartedAt !== undefined;
  return [
    {
      type: 'PodReadyToStartContainers',
      status: started ? 'True' : 'False',
      lastTransitionTime: at(pod.containersStartedAt ?? pod.boundAt),
    },
    { type: 'Initialized', status: 'True', lastTransitionTime: at(pod.boundAt) },
    { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: at(readyAt ?? now) },
    { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: at(readyAt ?? now) },
    { type: 'PodScheduled', status: 'True', lastTransitionTime: at(pod.boundAt) },
  ];
}

/** The metadata every pod begins with, a controller's or a bare one. */
function podIdentity(pod: PodRecord | BarePodRecord) {
  return {
    name: pod.name,
    namespace: pod.namespace,
    uid: pod.uid,
    resourceVersion: String(pod.resourceVersion),
    creationTimestamp: new NativeDate(pod.createdAt),
  };
}

export function renderPod(pod: PodRecord, cluster: Cluster, now: number): V1Pod {
  const { workload } = pod;
  const { spec } = workload;
  const apiAccessVolume = `kube-api-access-${pod.uid.slice(0, 5)}`;
  const node = pod.nodeName === undefined ? undefined : cluster.nodes.get(pod.nodeName);
  const started = pod.containersStartedAt;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...podIdentity(pod),
      labels: podLabels(pod),
      ownerReferences: ownerReferences(pod),
      deletionTimestamp:
        pod.deletionTimestamp === undefined ? undefined : new NativeDate(pod.deletionTimestamp),
      deletionGracePeriodSeconds: pod.deletionGracePeriodSeconds,
      finalizers: pod.finalizers.length === 0 ? undefined : [...pod.finalizers],
    },
    spec: {
      nodeName: pod.nodeName,
      nodeSelector: { 'kubernetes.io/os': spec.os },
      affinity:
        pod.requiredNode === undefined
          ? undefined
          : {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    { matchFields: [{ key: 'metadata.name', operator: 'In', values: [pod.requiredNode] }] },
                  ],
                },
              },
            },
      containers: containers(workload, apiAccessVolume),
      volumes: volumes(workload, apiAccessVolume),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      schedulerName: 'default-scheduler',
      tolerations: tolerations(workload),
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
      hostname: spec.kind === 'StatefulSet' ? pod.name : undefined,
    },
    status: {
      phase: podPhase(pod),
      conditions: podConditions(pod, cluster, now),
      hostIP: node?.privateIp,
      podIP: pod.podIp,
      podIPs: pod.podIp === undefined ? undefined : [{ ip: pod.podIp }],
      startTime: pod.boundAt === undefined ? undefined : new NativeDate(pod.boundAt),
      qosClass: 'BestEffort',
      containerStatuses:
        pod.nodeName === undefined
          ? undefined
          : [
              {
                name: spec.name,
                image: spec.image,
                imageID: started === undefined ? '' : imageId(spec.image),
                ready: isPodReady(pod),
                started: started !== undefined,
                restartCount: 0,
                state:
                  started === undefined
                    ? { waiting: { reason: 'ContainerCreating' } }
                    : { running: { startedAt: new NativeDate(started) } },
              },
            ],
    },
  };
}

/** The digest a container runtime reports for the image it ran. */
const imageId = (image: string) => `${image.split(':')[0]}@sha256:${hex(image, 64)}`;

function bareContainerStatus(container: BareContainer): V1ContainerStatus {
  const { startedAt, finishedAt } = container;
  const at = (time: number) => new NativeDate(time);
  const state: V1ContainerState =
    finishedAt !== undefined && startedAt !== undefined
      ? {
          terminated: {
            exitCode: 0,
            reason: 'Completed',
            startedAt: at(startedAt),
            finishedAt: at(finishedAt),
          },
        }
      : startedAt !== undefined
        ? { running: { startedAt: at(startedAt) } }
        : container.pullFailed
          ? {
              waiting: {
                reason: 'ErrImagePull',
                message: `failed to pull and unpack image "${container.image}": not found`,
              },
            }
          : { waiting: { reason: 'ContainerCreating' } };
  return {
    name: container.name,
    image: container.image,
    imageID: startedAt === undefined ? '' : imageId(container.image),
    ready: startedAt !== undefined && finishedAt === undefined,
    started: startedAt !== undefined && finishedAt === undefined,
    restartCount: 0,
    state,
  };
}

/** A pod no controller owns, as its creator bound it to a node: no ownerReferences, `restartPolicy: Never`. */
export function renderBarePod(pod: BarePodRecord, cluster: Cluster): V1Pod {
  const at = (time: number | undefined) => (time === undefined ? undefined : new NativeDate(time));
  const phase = barePodPhase(pod);
  const ready =
    phase === 'Running' && pod.containers.every((container) => container.finishedAt === undefined);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...podIdentity(pod),
      labels: { ...pod.labels },
      deletionTimestamp: at(pod.deletionTimestamp),
      deletionGracePeriodSeconds: pod.deletionGracePeriodSeconds,
    },
    spec: {
      nodeName: pod.nodeName,
      containers: pod.containers.map(({ name, image, command, args }) => ({
        name,
        image,
        command,
        args,
        imagePullPolicy: 'IfNotPresent',
        resources: {},
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      })),
      restartPolicy: 'Never',
      activeDeadlineSeconds: pod.activeDeadlineSeconds,
      terminationGracePeriodSeconds: defaultGracePeriodSeconds,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      schedulerName: 'default-scheduler',
      tolerations: defaultTolerations.map((toleration) => ({ ...toleration })),
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {
      phase,
      reason: barePodFailure(pod)?.reason,
      message: barePodFailure(pod)?.message,
      conditions:
        pod.admittedAt === undefined || pod.rejection !== undefined
          ? undefined
          : [
              { type: 'Initialized', status: 'True', lastTransitionTime: at(pod.admittedAt) },
              {
                type: 'Ready',
                status: ready ? 'True' : 'False',
                reason: phase === 'Succeeded' ? 'PodCompleted' : undefined,
                lastTransitionTime: at(pod.admittedAt),
              },
              { type: 'PodScheduled', status: 'True', lastTransitionTime: at(pod.createdAt) },
            ],
      hostIP: cluster.nodes.get(pod.nodeName)?.privateIp,
      podIP: pod.podIp,
      podIPs: pod.podIp === undefined ? undefined : [{ ip: pod.podIp }],
      startTime: at(pod.admittedAt),
      qosClass: 'BestEffort',
      containerStatuses:
        pod.admittedAt === undefined || pod.rejection !== undefined
          ? undefined
          : pod.containers.map(bareContainerStatus),
    },
  };
}

export function renderPodDisruptionBudget(
  budget: PdbRecord,
  cluster: Cluster,
  now: number,
): V1PodDisruptionBudget {
  const status = cluster.budgetStatus(budget);
  const allowed = status.disruptionsAllowed > 0;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: {
      name: budget.name,
      namespace: budget.namespace,
      uid: budget.uid,
      generation: 1,
      resourceVersion: String(now),
      creationTimestamp: new NativeDate(budget.createdAt),
    },
    spec: {
      selector: { matchLabels: { ...budget.selector } },
      minAvailable: budget.spec.minAvailable,
      maxUnavailable: budget.spec.maxUnavailable,
    },
    status: {
      observedGeneration: 1,
      disruptionsAllowed: status.disruptionsAllowed,
      currentHealthy: status.currentHealthy,
      desiredHealthy: status.desiredHealthy,
      expectedPods: status.expectedPods,
      conditions: [
        {
          type: 'DisruptionAllowed',
          status: allowed ? 'True' : 'False',
          reason:
            status.syncFailure !== undefined ? 'SyncFailed' : allowed ? 'SufficientPods' : 'InsufficientPods',
          message: status.syncFailure ?? '',
          observedGeneration: 1,
          lastTransitionTime: new NativeDate(now),
        },
      ],
    },
  };
}

export function renderDaemonSet(workload: WorkloadRecord, cluster: Cluster): V1DaemonSet {
  const { spec } = workload;
  const pods = cluster.podsOf(workload).filter((pod) => pod.deletionTimestamp === undefined);
  const scheduled = pods.filter((pod) => pod.nodeName !== undefined).length;
  const ready = pods.filter(isPodReady).length;
  const desired = [...cluster.nodes.values()].filter((node) => node.os === spec.os).length;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: spec.name,
      namespace: spec.namespace,
      uid: workload.uid,
      generation: 1,
      creationTimestamp: new NativeDate(workload.createdAt),
      labels: { app: spec.name },
    },
    spec: {
      selector: { matchLabels: { app: spec.name } },
      template: {
        metadata: { labels: { app: spec.name } },
        spec: {
          nodeSelector: { 'kubernetes.io/os': spec.os },
          containers: [{ name: spec.name, image: spec.image, imagePullPolicy: 'IfNotPresent' }],
          tolerations: tolerations(workload),
          terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
        },
      },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
    },
    status: {
      currentNumberScheduled: scheduled,
      desiredNumberScheduled: desired,
      numberMisscheduled: 0,
      numberReady: ready,
      numberAvailable: ready,
      numberUnavailable: desired - ready,
      updatedNumberScheduled: scheduled,
      observedGeneration: 1,
    },
  };
}

/**
 * A Deployment's ReplicaSet of one pod template (`<deployment>-<pod-template-hash>`): the ReplicaSet
 * controller creates a pod as soon as one is deleted, so its spec.replicas is its pods not being
 * deleted; an old template's ReplicaSet without pods is reported undefined (its uid is not kept).
 * https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/
 */
export function renderReplicaSet(
  workload: WorkloadRecord,
  hash: string,
  cluster: Cluster,
): V1ReplicaSet | undefined {
  const { spec } = workload;
  const pods = cluster.podsOf(workload).filter((pod) => pod.revision.hash === hash);
  const uid = hash === workload.revisionHash ? workload.replicaSetUid : pods[0]?.revision.replicaSetUid;
  if (spec.kind !== 'Deployment' || uid === undefined) return undefined;
  const live = pods.filter((pod) => pod.deletionTimestamp === undefined);
  const ready = live.filter(isPodReady).length;
  const labels = { app: spec.name, 'pod-template-hash': hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${spec.name}-${hash}`,
      namespace: spec.namespace,
      uid,
      generation: 1,
      creationTimestamp: new NativeDate(workload.createdAt),
      labels,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: spec.name, uid: workload.uid, controller: true },
      ],
    },
    spec: { replicas: live.length, selector: { matchLabels: labels } },
    status: {
      replicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      fullyLabeledReplicas: pods.length,
      observedGeneration: 1,
    },
  };
}

/** A StatefulSet: spec.replicas is what it wants, status.readyReplicas its Ready pods. */
export function renderStatefulSet(workload: WorkloadRecord, cluster: Cluster): V1StatefulSet | undefined {
  const { spec } = workload;
  if (spec.kind !== 'StatefulSet') return undefined;
  const pods = cluster.podsOf(workload);
  const ready = pods.filter(isPodReady).length;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name: spec.name,
      namespace: spec.namespace,
      uid: workload.uid,
      generation: 1,
      creationTimestamp: new NativeDate(workload.createdAt),
      labels: { app: spec.name },
    },
    spec: {
      replicas: workload.desiredReplicas ?? 0,
      selector: { matchLabels: { app: spec.name } },
      serviceName: spec.name,
      podManagementPolicy: 'OrderedReady',
      template: { metadata: { labels: { app: spec.name } } },
    },
    status: {
      replicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      currentRevision: `${spec.name}-${workload.revisionHash}`,
      observedGeneration: 1,
    },
  };
}
