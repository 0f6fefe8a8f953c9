import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { waveConfigSchema } from '../functions/domain/waves.ts';
import { scalingProcesses } from './world/autoscaling.ts';
import { defaultInstanceType, podCapacityOf, windowsBuildOfName } from './world/catalog.ts';
import { simulationStart } from './world/clock.ts';

/** A scenario file that cannot be simulated; `problems` name each bad field by its JSON path. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Scenario ${source} is invalid:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  }
}

const amiId = z
  .string()
  .regex(/^ami-([0-9a-f]{8}|[0-9a-f]{17})$/, 'expected an AMI id like ami-0123456789abcdef0');
const windowsBuild = z.string().regex(/^10\.0\.\d{5}$/, 'expected a Windows build like 10.0.20348');
const kubernetesVersion = z.string().regex(/^1\.\d{1,2}$/, 'expected a Kubernetes minor version like 1.31');
const availabilityZone = z
  .string()
  .regex(/^us-east-1[a-f]$/, 'expected an availability zone of us-east-1, like us-east-1a');
const countOrPercent = z.union([z.int().min(0), z.string().regex(/^\d{1,3}%$/)], {
  error: 'expected a count or a percent string like "25%"',
});
const seconds = z.number().min(0);
const positiveSeconds = z.number().positive();

const instanceType = z
  .string()
  .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'expected an instance type like m5.large');

const clusterSchema = z.strictObject({
  name: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'expected an EKS cluster name'),
  kubernetesVersion,
  /** The Kubernetes cluster-autoscaler runs on the groups tagged for it (`clusterAutoscaler`). */
  autoscaler: z
    .strictObject({
      // Its `--scale-down-unneeded-time`, 10 minutes by default.
      scaleDownUnneededSeconds: positiveSeconds.default(600),
    })
    .optional(),
});

const nodeGroupSchema = z.strictObject({
  name: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9\-_.]{0,62}$/, 'expected a node group name'),
  os: z.enum(['windows', 'linux']),
  management: z.enum(['self-managed', 'managed']),
  amiId,
  windowsBuild: windowsBuild.optional(),
  instances: z.int().min(0),
  minSize: z.int().min(0),
  maxSize: z.int().min(0),
  availabilityZones: z.array(availabilityZone).min(1),
  podsPerNode: z.int().min(1).optional(),
  nodesAlreadyOnTarget: z.int().min(0).default(0),
  instanceType: instanceType.optional(),
  tags: z.record(z.string(), z.string()).default({}),
  asgName: z
    .string()
    .regex(/^[\w\-.:/]{1,255}$/, 'expected an Auto Scaling group name (letters, digits, -_.:/)')
    .optional(),
  launchTemplate: z
    .strictObject({
      reference: z.enum(['number', '$Latest', '$Default']).default('number'),
      imageIdFromSsm: z
        .string()
        .regex(/^\/[\w.\-/]{1,1010}$/, 'expected an SSM parameter name like /platform/windows/ami')
        .optional(),
      earlierVersions: z
        .array(
          z.strictObject({
            amiId,
            instanceType: instanceType.optional(),
            userData: z.string().optional(),
          }),
        )
        .default([]),
    })
    .optional(),
  launchConfiguration: z.boolean().default(false),
  mixedInstances: z.strictObject({ instanceTypes: z.array(instanceType).min(1) }).optional(),
  suspendedProcesses: z.array(z.enum(scalingProcesses)).default([]),
  instanceRefreshInProgress: z.boolean().default(false),
  /** A warm pool of stopped instances (simulator/world/warm-pool.ts). */
  warmPool: z.strictObject({ minSize: z.int().min(0) }).optional(),
  /** The group carries the cluster-autoscaler's auto-discovery tags. */
  clusterAutoscaler: z.boolean().default(false),
  lifecycleHooks: z
    .array(
      z.strictObject({
        transition: z.enum(['launching', 'terminating']),
        completeAfterSeconds: z.int().min(0),
      }),
    )
    .default([]),
});

/** DescribeFastLaunchImages' states: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFastLaunchImagesSuccessItem.html */
export const fastLaunchStates = [
  'enabling',
  'enabling-failed',
  'enabled',
  'enabled-failed',
  'disabling',
  'disabling-failed',
] as const;

const amiSchema = z.strictObject({
  id: amiId,
  name: z.string().min(3).max(128),
  platform: z.enum(['windows', 'linux']),
  state: z.enum([
    'available',
    'pending',
    'failed',
    'deregistered',
    'invalid',
    'transient',
    'error',
    'disabled',
  ]),
  windowsBuild: windowsBuild.optional(),
  kubernetesVersion: kubernetesVersion.optional(),
  architecture: z.enum(['x86_64', 'arm64']).default('x86_64'),
  cachedImages: z.array(z.string().min(1)).default([]),
  /** EC2 Fast Launch of this AMI (world/fast-launch.ts); absent: not configured, every launch boots the slow way. */
  fastLaunch: z
    .strictObject({
      state: z.enum(fastLaunchStates),
      /** `enabling` turns `enabled` (its snapshots made) this long after the start. */
      enabledAfterSeconds: positiveSeconds.default(1_800),
      /** Pre-provisioned snapshots EC2 keeps on hand (SnapshotConfiguration.TargetResourceCount). */
      targetResourceCount: z.int().min(1).max(10_000).default(5),
      /** Snapshots on hand at the start; by default all of them when enabled, none otherwise. */
      snapshots: z.int().min(0).optional(),
      /** How many snapshots EC2 makes at once (MaxParallelLaunches, at least 6 as EC2 requires). */
      maxParallelLaunches: z.int().min(6).default(6),
      /** Seconds EC2 takes to make one replacement snapshot (a launch, sysprep, snapshot). */
      replenishSeconds: positiveSeconds.default(900),
      /** Boot time of a launch from a snapshot, in percent of timing.instanceBootSeconds ("up to 65% faster"). */
      bootPercent: z.number().min(1).max(100).default(35),
    })
    .refine((fast) => fast.snapshots === undefined || fast.snapshots <= fast.targetResourceCount, {
      message: 'must be at most targetResourceCount (EC2 keeps no more on hand)',
      path: ['snapshots'],
    })
    .optional(),
});

const workloadBase = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/, 'expected a Kubernetes object name'),
  namespace: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'expected a Kubernetes namespace')
    .default('default'),
  os: z.enum(['windows', 'linux']),
  image: z.string().min(1),
  imageSizeGiB: z.number().positive().optional(),
  pdb: z
    .strictObject({ minAvailable: countOrPercent.optional(), maxUnavailable: countOrPercent.optional() })
    .refine((pdb) => (pdb.minAvailable === undefined) !== (pdb.maxUnavailable === undefined), {
      error: 'expected exactly one of minAvailable or maxUnavailable',
    })
    .optional(),
  terminationGracePeriodSeconds: z.int().min(0).default(30),
  startupSeconds: seconds.optional(),
  emptyDir: z.boolean().default(false),
});

const workloadSchema = z.discriminatedUnion('kind', [
  workloadBase.extend({ kind: z.literal('Deployment'), replicas: z.int().min(0) }),
  workloadBase.extend({ kind: z.literal('StatefulSet'), replicas: z.int().min(0) }),
  workloadBase.extend({ kind: z.literal('DaemonSet') }),
  workloadBase.extend({ kind: z.literal('Pod'), replicas: z.int().min(1).default(1) }),
]);

/** Steps that run once per batch, inside the Map: the ones a fault's `batch` can aim at. */
const batchSteps = ['surge', 'checkReplacements', 'cordon', 'drain', 'terminate'] as const;

/** Every Task's handler, in the order an execution meets them. */
const handlerCrashSteps = [
  'validateInput',
  'acquireLock',
  'verifyAmi',
  'plan',
  'prepareLaunchTemplate',
  ...batchSteps,
  'finish',
  'rollback',
  'notifyRefusal',
] as const;

/** Where in the rollout a fault is armed: when that batch starts (an index from 0, or first/middle/last). */
const batchPoint = z.union([z.enum(['first', 'middle', 'last']), z.int().min(0)], {
  error: 'expected "first", "middle", "last" or a batch index (0 is the first)',
});
export type BatchPoint = z.output<typeof batchPoint>;

/** Kubernetes calls a throttle fault can refuse (`k8s:cordon` is the node patch, `k8s:listPods` any pod list). */
const kubernetesThrottleApis = [
  'k8s:listNodes',
  'k8s:getNode',
  'k8s:listPods',
  'k8s:getPod',
  'k8s:createPod',
  'k8s:cordon',
  'k8s:evict',
  'k8s:delete',
  'k8s:listPdbs',
  'k8s:getDaemonSet',
  'k8s:getController',
] as const;

const throttledApi = z
  .string()
  .regex(
    /^((ec2|autoscaling|eks|imagebuilder|ssm|states|sns|sts|dynamodb|events):[A-Z][A-Za-z0-9]+|k8s:[A-Za-z]+)$/,
    'expected an operation like "ec2:CreateLaunchTemplateVersion" or "k8s:evict"',
  )
  .refine((api) => !api.startsWith('k8s:') || (kubernetesThrottleApis as readonly string[]).includes(api), {
    error: `expected one of the Kubernetes calls ${kubernetesThrottleApis.join(', ')}`,
  });

const at = { batch: batchPoint.optional() };
/** Faults that strike at a moment: `afterSeconds` from the start, or when a `batch` starts. */
const timedFaultKinds = [
  'amiDeregistered',
  'executionStopped',
  'executionTimedOut',
  'scaleWorkload',
  'restartWorkload',
  'scaleOut',
  'nodeUnreachable',
] as const;
const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('throttle'),
    api: throttledApi,
    times: z.int().min(1),
    after: z.int().min(0).default(0),
    ...at,
  }),
  z.strictObject({ kind: z.literal('nodeNeverReady'), ...at }),
  z.strictObject({ kind: z.literal('launchFailure'), times: z.int().min(1), ...at }),
  z.strictObject({ kind: z.literal('pdbNeverAllows'), workload: z.string(), ...at }),
  z.strictObject({
    kind: z.literal('podStuckTerminating'),
    workload: z.string(),
    count: z.int().min(1),
    ...at,
  }),
  z.strictObject({ kind: z.literal('handlerCrash'), step: z.enum(handlerCrashSteps), ...at }),
  z.strictObject({
    kind: z.literal('scaleWorkload'),
    workload: z.string(),
    replicas: z.int().min(0),
    afterSeconds: seconds.optional(),
    ...at,
  }),
  z.strictObject({
    kind: z.literal('restartWorkload'),
    workload: z.string(),
    afterSeconds: seconds.optional(),
    ...at,
  }),
  z.strictObject({
    kind: z.literal('scaleOut'),
    group: z.string(),
    count: z.int().min(1),
    afterSeconds: seconds.optional(),
    ...at,
  }),
  z.strictObject({
    kind: z.literal('nodeUnreachable'),
    group: z.string(),
    node: z.int().min(0),
    afterSeconds: seconds.optional(),
    ...at,
  }),
  z.strictObject({
    kind: z.literal('amiDeregistered'),
    afterSeconds: seconds.optional(),
    amiId: amiId.optional(),
    ...at,
  }),
  z.strictObject({
    kind: z.literal('executionStopped'),
    afterSeconds: seconds.optional(),
    step: z.enum(batchSteps).optional(),
    ...at,
  }),
  z.strictObject({
    kind: z.literal('executionTimedOut'),
    afterSeconds: seconds.optional(),
    step: z.enum(batchSteps).optional(),
    ...at,
  }),
  z.strictObject({ kind: z.literal('listExecutionsLag'), seconds, ...at }),
]);

/** More console executions in the same world, each started relative to the one before it. */
const moreExecutionSchema = z.strictObject({
  input: z.json(),
  start: z.enum(['withPrevious', 'afterPrevious']),
  delaySeconds: seconds.default(0),
});

const imageBuilderImageSchema = z.strictObject({
  arn: z
    .string()
    .regex(
      /^arn:aws:imagebuilder:us-east-1:\d{12}:image\/[a-z0-9-_]+\/\d+\.\d+\.\d+\/\d+$/,
      'expected an Image Builder image build version ARN',
    ),
  amiId,
  status: z
    .enum([
      'PENDING',
      'CREATING',
      'BUILDING',
      'TESTING',
      'DISTRIBUTING',
      'INTEGRATING',
      'AVAILABLE',
      'CANCELLED',
      'FAILED',
      'DEPRECATED',
      'DELETED',
      'DISABLED',
    ])
    .default('AVAILABLE'),
  testsEnabled: z.boolean().default(true),
});

const timingSchema = z.strictObject({
  instanceBootSeconds: positiveSeconds.default(420),
  imagePullSecondsPerGiB: seconds.default(60),
  lambdaSeconds: seconds.default(0.3),
  podStartupSeconds: seconds.default(20),
  nodeDeregisterSeconds: seconds.default(40),
  asgLaunchDelaySeconds: seconds.default(10),
  instanceShutdownSeconds: seconds.default(60),
  instanceBootJitterPercent: z.number().min(0).max(90).default(0),
});

const executionSchema = z
  .strictObject({ input: z.json().optional(), event: z.json().optional() })
  .refine((execution) => (execution.input === undefined) !== (execution.event === undefined), {
    error: 'expected exactly one of input (an execution input) or event (an EventBridge event)',
  });

const alarmSchema = z.strictObject({
  name: z.string().min(1).max(255),
  alarmAfterSeconds: seconds.nullable().default(null),
  okAfterSeconds: seconds.nullable().default(null),
});

const approvalSchema = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  afterSeconds: seconds,
});

/** Seconds from simulated second 0, as alarms count them; a null resume: nobody resumes. */
const pauseSchema = z
  .strictObject({ afterSeconds: seconds, resumeAfterSeconds: seconds.nullable().default(null) })
  .refine((pause) => pause.resumeAfterSeconds === null || pause.resumeAfterSeconds > pause.afterSeconds, {
    error: 'expected resumeAfterSeconds after afterSeconds (both count from the start of the simulation)',
    path: ['resumeAfterSeconds'],
  });

const executionStatuses = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;

const scenarioShape = z.strictObject({
  description: z.string().min(1),
  seed: z.int().min(0).default(1),
  /** The wall-clock time at simulated second 0 (maintenance windows and schedules depend on it). */
  clock: z
    .strictObject({
      start: z.iso
        .datetime({ error: 'expected an ISO 8601 UTC time like 2026-11-10T18:00:00Z' })
        .default(new Date(simulationStart).toISOString()),
    })
    .prefault({}),
  alarms: z.array(alarmSchema).default([]),
  /** The answers a person gives, in order, to each approval the rollout asks for. */
  approvals: z.array(approvalSchema).default([]),
  /** A person pauses the running rollout (as the CLI's `pause` does) and resumes it. */
  pauses: z.array(pauseSchema).default([]),
  cluster: clusterSchema,
  nodeGroups: z.array(nodeGroupSchema).min(1),
  amis: z.array(amiSchema).default([]),
  imageBuilderImages: z.array(imageBuilderImageSchema).default([]),
  workloads: z.array(workloadSchema).default([]),
  timing: timingSchema.prefault({}),
  faults: z.array(faultSchema).default([]),
  execution: executionSchema,
  moreExecutions: z.array(moreExecutionSchema).default([]),
  /**
   * The deployment parameter `waves`: with an `event`, start-rollout starts a promotion that rolls
   * them one after the other. The simulated account has one cluster: waves tell its node groups apart.
   */
  waves: z.array(waveConfigSchema).default([]),
  expect: z.strictObject({ status: z.enum(executionStatuses), errorName: z.string().optional() }).optional(),
});

export type Scenario = z.output<typeof scenarioShape>;
export type NodeGroupSpec = Scenario['nodeGroups'][number];
export type AmiSpec = Scenario['amis'][number];
export type WorkloadSpec = Scenario['workloads'][number];
export type FaultSpec = Scenario['faults'][number];
export type MoreExecutionSpec = Scenario['moreExecutions'][number];
export type Timing = Scenario['timing'];
export type PdbSpec = NonNullable<WorkloadSpec['pdb']>;
export type ExecutionStatus = (typeof executionStatuses)[number];

/** The AMI a console execution moves to, when its input names one. */
export function executionTargetAmi(scenario: Pick<Scenario, 'execution'>): string | undefined {
  const input = scenario.execution.input;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return undefined;
  return typeof input.amiId === 'string' ? input.amiId : undefined;
}

type Problem = { path: (string | number)[]; message: string };

/** Rules that span fields: what an Auto Scaling group or a cluster would refuse to hold. */
function crossFieldProblems(scenario: Scenario): Problem[] {
  const problems: Problem[] = [];
  const duplicates = (values: string[]) => values.filter((value, index) => values.indexOf(value) !== index);
  for (const name of duplicates(scenario.nodeGroups.map((group) => group.name))) {
    problems.push({ path: ['nodeGroups'], message: `node group ${name} is defined twice` });
  }
  for (const id of duplicates(scenario.amis.map((ami) => ami.id))) {
    problems.push({ path: ['amis'], message: `AMI ${id} is defined twice` });
  }
  for (const key of duplicates(
    scenario.workloads.map((workload) => `${workload.namespace}/${workload.name}`),
  )) {
    problems.push({ path: ['workloads'], message: `workload ${key} is defined twice` });
  }
  const targetAmi = executionTargetAmi(scenario);
  const knownAmi = (id: string) =>
    scenario.amis.some((ami) => ami.id === id) || scenario.nodeGroups.some((group) => group.amiId === id);
  scenario.nodeGroups.forEach((group, index) => {
    const at = (field: string, message: string) =>
      problems.push({ path: ['nodeGroups', index, field], message });
    if (group.os === 'windows' && group.windowsBuild === undefined)
      at('windowsBuild', 'required for a Windows group');
    if (group.os === 'linux' && group.windowsBuild !== undefined)
      at('windowsBuild', 'only for Windows groups');
    if (group.minSize > group.maxSize) at('minSize', `must not exceed maxSize (${group.maxSize})`);
    if (group.instances < group.minSize || group.instances > group.maxSize) {
      at('instances', `must be between minSize (${group.minSize}) and maxSize (${group.maxSize})`);
    }
    if (group.nodesAlreadyOnTarget > group.instances) at('nodesAlreadyOnTarget', 'must not exceed instances');
    if (group.nodesAlreadyOnTarget > 0 && !scenario.amis.some((ami) => ami.id === targetAmi)) {
      at('nodesAlreadyOnTarget', 'needs execution.input.amiId to name an AMI of amis (the target)');
    }
    const instanceType = group.instanceType ?? defaultInstanceType;
    if (group.podsPerNode === undefined && podCapacityOf(instanceType, group.os) === undefined) {
      at('podsPerNode', `required: the simulator does not know the pod capacity of ${instanceType}`);
    }
    if (
      group.launchConfiguration &&
      (group.launchTemplate !== undefined || group.mixedInstances !== undefined)
    ) {
      at(
        'launchConfiguration',
        'a group launches from a launch configuration or a launch template, not both',
      );
    }
    if (group.management === 'managed') {
      for (const field of ['asgName', 'launchConfiguration', 'mixedInstances'] as const) {
        if (group[field] !== undefined && group[field] !== false)
          at(
            field,
            'only for self-managed groups: EKS names and shapes a managed group’s Auto Scaling group',
          );
      }
    }
    (group.launchTemplate?.earlierVersions ?? []).forEach((earlier, version) => {
      if (!knownAmi(earlier.amiId)) {
        problems.push({
          path: ['nodeGroups', index, 'launchTemplate', 'earlierVersions', version, 'amiId'],
          message: `no AMI of the scenario is ${earlier.amiId}: list it in amis`,
        });
      }
    });
    const listed = scenario.amis.find((ami) => ami.id === group.amiId);
    if (listed !== undefined && listed.platform !== group.os) {
      at('amiId', `names ${listed.platform} AMI ${listed.id} for a ${group.os} group`);
    }
  });
  scenario.amis.forEach((ami, index) => {
    if (
      ami.platform === 'windows' &&
      ami.windowsBuild === undefined &&
      windowsBuildOfName(ami.name) === undefined
    ) {
      problems.push({
        path: ['amis', index, 'windowsBuild'],
        message: 'required when the name does not say Windows_Server-2019, -2022 or -2025',
      });
    }
  });
  scenario.waves.forEach((wave, index) => {
    wave.clusters.forEach((cluster, position) => {
      if (cluster !== scenario.cluster.name)
        problems.push({
          path: ['waves', index, 'clusters', position],
          message: `the simulated account has one cluster, ${scenario.cluster.name}: name it (and tell the waves apart by nodeGroups)`,
        });
    });
  });
  if (scenario.waves.length > 0 && scenario.execution.event === undefined)
    problems.push({
      path: ['waves'],
      message: 'only start-rollout rolls waves: give the execution an event',
    });
  scenario.faults.forEach((fault, index) => {
    if (fault.kind === 'amiDeregistered' && fault.amiId !== undefined && !knownAmi(fault.amiId)) {
      problems.push({
        path: ['faults', index, 'amiId'],
        message: `no AMI of the scenario is ${fault.amiId}`,
      });
    }
    const timed = (timedFaultKinds as readonly string[]).includes(fault.kind);
    const afterSeconds = 'afterSeconds' in fault ? fault.afterSeconds : undefined;
    if (timed && (afterSeconds === undefined) === (fault.batch === undefined)) {
      problems.push({ path: ['faults', index], message: 'expected exactly one of afterSeconds or batch' });
    }
    const ends = fault.kind === 'executionStopped' || fault.kind === 'executionTimedOut';
    if (ends && fault.step !== undefined && fault.batch === undefined) {
      problems.push({ path: ['faults', index, 'step'], message: 'only with batch' });
    }
    if (
      fault.kind === 'handlerCrash' &&
      fault.batch !== undefined &&
      !(batchSteps as readonly string[]).includes(fault.step)
    ) {
      problems.push({
        path: ['faults', index, 'batch'],
        message: `only for the steps run in each batch (${batchSteps.join(', ')})`,
      });
    }
    const at = (field: string, message: string) => problems.push({ path: ['faults', index, field], message });
    if ('workload' in fault) {
      const kinds = scenario.workloads
        .filter((workload) => workload.name === fault.workload)
        .map((w) => w.kind);
      if (kinds.length === 0) at('workload', `no workload is named ${fault.workload}`);
      else if (
        fault.kind === 'scaleWorkload' &&
        !kinds.some((kind) => kind === 'Deployment' || kind === 'StatefulSet')
      )
        at(
          'workload',
          `${fault.workload} is a ${kinds[0]}: only a Deployment or a StatefulSet has replicas to scale`,
        );
      else if (fault.kind === 'restartWorkload' && !kinds.includes('Deployment'))
        at(
          'workload',
          `${fault.workload} is a ${kinds[0]}: only a Deployment is restarted with a new ReplicaSet`,
        );
    }
    if ('group' in fault) {
      const group = scenario.nodeGroups.find((candidate) => candidate.name === fault.group);
      if (group === undefined) at('group', `no node group is named ${fault.group}`);
      else if (fault.kind === 'nodeUnreachable' && fault.node >= group.instances)
        at(
          'node',
          `${fault.group} starts with ${group.instances} instances: node is an index from 0 to ${group.instances - 1}`,
        );
    }
  });
  return problems;
}

const article = (noun: string) => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`);
const typeNames: Record<string, string> = { int: 'integer', nonoptional: 'value' };

/** zod's issue, said the way a scenario author reads it. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = article(typeNames[issue.expected] ?? issue.expected);
      return issue.input === undefined ? `missing (expected ${expected})` : `expected ${expected}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'invalid_union':
      return 'options' in issue && Array.isArray(issue.options)
        ? `expected one of ${issue.options.map((value) => JSON.stringify(value)).join(', ')}`
        : undefined;
    case 'too_small':
      return `expected at least ${String(issue.minimum)}${issue.origin === 'array' ? ' entries' : ''}`;
    case 'too_big':
      return `expected at most ${String(issue.maximum)}${issue.origin === 'array' ? ' entries' : ''}`;
    default:
      return undefined;
  }
}

/** `['nodeGroups', 0, 'instances']` → `nodeGroups[0].instances` */
export function jsonPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(scenario)';
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

function problemLines(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${jsonPath([...issue.path, key])}: unknown field`)
      : [`${jsonPath(issue.path)}: ${issue.message}`],
  );
}

/** Validates a parsed scenario document; throws ScenarioError naming every bad field. */
export function parseScenario(document: unknown, source = 'scenario'): Scenario {
  const parsed = scenarioShape.safeParse(document, { error: describeIssue });
  if (!parsed.success) throw new ScenarioError(source, problemLines(parsed.error));
  const problems = crossFieldProblems(parsed.data);
  if (problems.length > 0) {
    throw new ScenarioError(
      source,
      problems.map((problem) => `${jsonPath(problem.path)}: ${problem.message}`),
    );
  }
  return parsed.data;
}

/** Reads and validates a scenario file. */
export async function loadScenario(file: string | URL): Promise<Scenario> {
  const source = String(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ScenarioError(source, [
      `cannot be read: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(source, [
      `is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
  return parseScenario(document, source);
}
