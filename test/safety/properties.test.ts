import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../simulator/runner.ts';
import { parseScenario } from '../../simulator/scenario.ts';
import {
  aspnet,
  group,
  namedErrors,
  noneBroken,
  previousAmi,
  rolloutInput,
  safetyDocument,
  targetAmi,
} from './fixture.ts';

const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const images = [
  aspnet,
  'mcr.microsoft.com/windows/servercore:ltsc2022',
  'mcr.microsoft.com/windows/nanoserver:ltsc2022',
];
const points = ['first', 'middle', 'last'] as const;
const batchSteps = ['surge', 'checkReplacements', 'cordon', 'drain', 'terminate'];
const otherSteps = [
  'validateInput',
  'acquireLock',
  'verifyAmi',
  'plan',
  'prepareLaunchTemplate',
  'finish',
  'rollback',
];
const throttledApis = [
  'autoscaling:SetDesiredCapacity',
  'autoscaling:TerminateInstanceInAutoScalingGroup',
  'autoscaling:DescribeAutoScalingGroups',
  'ec2:DescribeInstances',
  'ec2:DescribeLaunchTemplateVersions',
  'k8s:evict',
  'k8s:cordon',
  'k8s:listPods',
  'k8s:getPod',
  'k8s:listNodes',
  'sns:Publish',
];

/** A count or a percent string, as a PDB takes them. */
const budgetValue = (max: number) =>
  fc.oneof(
    fc.integer({ min: 0, max }),
    fc.integer({ min: 0, max: 100 }).map((percent) => `${percent}%`),
  );

const pdb = (replicas: number) =>
  fc.option(
    fc.oneof(
      budgetValue(replicas).map((minAvailable) => ({ minAvailable })),
      budgetValue(2).map((maxUnavailable) => ({ maxUnavailable })),
    ),
    { nil: undefined },
  );

const workload = fc
  .record({
    // Mostly controllers: bare and emptyDir pods are refused before any change unless the flags allow them.
    kind: fc.oneof(
      { arbitrary: fc.constant('Deployment'), weight: 4 },
      { arbitrary: fc.constant('StatefulSet'), weight: 2 },
      { arbitrary: fc.constant('DaemonSet'), weight: 1 },
      { arbitrary: fc.constant('Pod'), weight: 1 },
    ),
    replicas: fc.integer({ min: 1, max: 6 }),
    image: fc.constantFrom(...images),
    emptyDir: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    terminationGracePeriodSeconds: fc.constantFrom(0, 30, 120),
  })
  .chain((spec) => pdb(spec.replicas).map((budget) => ({ ...spec, pdb: budget })));

const point = fc.oneof(fc.constantFrom(...points), fc.integer({ min: 0, max: 4 }));

/** Any fault of SIMULATION.md (stops excepted: a person's stop is no failure), anywhere in the rollout. */
const fault = (workloads: number) =>
  fc.oneof(
    fc.record({
      kind: fc.constant('throttle'),
      api: fc.constantFrom(...throttledApis),
      times: fc.integer({ min: 1, max: 10 }),
      batch: point,
    }),
    fc.record({ kind: fc.constant('nodeNeverReady'), batch: point }),
    fc.record({ kind: fc.constant('launchFailure'), times: fc.integer({ min: 1, max: 40 }), batch: point }),
    fc.record({ kind: fc.constant('handlerCrash'), step: fc.constantFrom(...batchSteps), batch: point }),
    fc.record({ kind: fc.constant('handlerCrash'), step: fc.constantFrom(...otherSteps) }),
    fc.record({
      kind: fc.constant('amiDeregistered'),
      amiId: fc.constantFrom(targetAmi, previousAmi),
      batch: point,
    }),
    ...(workloads > 0
      ? [
          fc.record({
            kind: fc.constant('pdbNeverAllows'),
            workload: fc.integer({ min: 0, max: workloads - 1 }).map((i) => `app-${i}`),
            batch: point,
          }),
        ]
      : []),
  );

const cluster = fc
  .record({
    seed: fc.integer({ min: 1, max: 10_000 }),
    instances: fc.integer({ min: 1, max: 12 }),
    zones: fc.integer({ min: 1, max: 3 }),
    headroom: fc.integer({ min: 0, max: 4 }),
    podsPerNode: fc.integer({ min: 6, max: 14 }),
    workloads: fc.array(workload, { maxLength: 4 }),
    maxUnavailable: fc.integer({ min: 1, max: 4 }),
    force: fc.boolean(),
    deleteEmptyDirData: fc.boolean(),
  })
  .chain((spec) =>
    fc.record({
      spec: fc.constant(spec),
      minSize: fc.integer({ min: 0, max: spec.instances }),
      faults: fc.array(fault(spec.workloads.length), { maxLength: 2 }),
    }),
  );

type Case = typeof cluster extends fc.Arbitrary<infer T> ? T : never;

function documentOf({ spec, minSize, faults }: Case) {
  const document = safetyDocument();
  document.seed = spec.seed;
  const [target, linux] = document.nodeGroups;
  document.nodeGroups = [
    {
      ...target,
      instances: spec.instances,
      minSize,
      maxSize: spec.instances + spec.headroom,
      availabilityZones: zones.slice(0, spec.zones),
      podsPerNode: spec.podsPerNode,
    },
    // Another Windows group of the cluster, never to be touched.
    { ...target, name: 'win-other', instances: 2, minSize: 1, maxSize: 3 },
    ...(linux ? [linux] : []),
  ];
  document.workloads = [
    ...spec.workloads.map((w, index) => ({
      name: `app-${index}`,
      namespace: 'apps',
      kind: w.kind,
      os: 'windows',
      image: w.image,
      emptyDir: w.emptyDir,
      terminationGracePeriodSeconds: w.terminationGracePeriodSeconds,
      ...(w.kind === 'DaemonSet'
        ? {}
        : { replicas: w.kind === 'Pod' ? Math.min(w.replicas, 2) : w.replicas }),
      ...(w.pdb ? { pdb: w.pdb } : {}),
    })),
    ...document.workloads.filter((w) => w.os === 'linux'),
  ];
  document.faults = faults;
  document.execution = {
    input: rolloutInput({
      maxUnavailable: spec.maxUnavailable,
      force: spec.force,
      deleteEmptyDirData: spec.deleteEmptyDirData,
    }),
  };
  return document;
}

/** The property: every invariant kept; success on the target AMI (the other group untouched), or a documented failure. */
async function keepsEveryInvariant(drawn: Case): Promise<void> {
  const report = await simulate(parseScenario(documentOf(drawn)));
  if (process.env.DUMP_REPORT) writeFileSync(process.env.DUMP_REPORT, JSON.stringify(report, null, 1));
  expect(report.invariants).toEqual(noneBroken);
  expect(['SUCCEEDED', 'FAILED']).toContain(report.status);
  if (report.status === 'FAILED') {
    expect(namedErrors, `${report.error?.name}: ${report.error?.cause}`).toContain(report.error?.name);
    return;
  }
  const running = report.instances.filter((i) => i.state === 'running');
  const targetGroup = running.filter((instance) => instance.nodeGroup === group);
  expect(targetGroup.map((instance) => instance.amiId)).toEqual(targetGroup.map(() => targetAmi));
  expect(running.filter((instance) => instance.nodeGroup === 'win-other').map((i) => i.amiId)).toEqual([
    previousAmi,
    previousAmi,
  ]);
}

const noWorkloads = { workloads: [], force: true, deleteEmptyDirData: false };

/** Counterexamples fast-check found, kept so they are checked on every run. */
const regressions: { name: string; drawn: Case }[] = [
  {
    name: 'launches fail eleven times at the last of three batches in three zones: the rollback still resumes AZRebalance',
    drawn: {
      spec: {
        seed: 777,
        instances: 3,
        zones: 3,
        headroom: 0,
        podsPerNode: 8,
        maxUnavailable: 1,
        workloads: [],
        force: false,
        deleteEmptyDirData: false,
      },
      minSize: 0,
      faults: [{ kind: 'launchFailure', times: 11, batch: 'last' }],
    },
  },
  {
    name: 'a replacement never Ready in the third batch leaves the two zones uneven after the rollback',
    drawn: {
      spec: {
        seed: 3972,
        instances: 8,
        zones: 2,
        headroom: 4,
        podsPerNode: 8,
        maxUnavailable: 1,
        ...noWorkloads,
      },
      minSize: 0,
      faults: [{ kind: 'nodeNeverReady', batch: 2 }],
    },
  },
  {
    name: 'the last batch cannot launch: the rollback leaves three zones uneven',
    drawn: {
      spec: {
        seed: 7208,
        instances: 10,
        zones: 3,
        headroom: 1,
        podsPerNode: 7,
        maxUnavailable: 1,
        ...noWorkloads,
      },
      minSize: 0,
      faults: [{ kind: 'launchFailure', times: 3, batch: 'last' }],
    },
  },
  {
    name: 'the target AMI deregistered at the fifth of ten batches, the previous one at the first: launches ahead fail',
    drawn: {
      spec: {
        seed: 1,
        instances: 10,
        zones: 2,
        headroom: 0,
        podsPerNode: 6,
        workloads: [
          {
            kind: 'Deployment',
            replicas: 1,
            image: 'mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022',
            emptyDir: true,
            terminationGracePeriodSeconds: 0,
            pdb: undefined,
          },
        ],
        maxUnavailable: 1,
        force: false,
        deleteEmptyDirData: true,
      },
      minSize: 0,
      faults: [
        { kind: 'amiDeregistered', amiId: 'ami-0ccc0000000000003', batch: 4 },
        { kind: 'amiDeregistered', amiId: 'ami-0aaa0000000000001', batch: 0 },
      ],
    },
  },
  {
    name: 'replacements never Ready from the second of six batches, SNS throttled: batches launched ahead never join',
    drawn: {
      spec: {
        seed: 6,
        instances: 12,
        zones: 2,
        headroom: 2,
        podsPerNode: 8,
        workloads: [
          {
            kind: 'Deployment',
            replicas: 2,
            image: 'mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022',
            emptyDir: false,
            terminationGracePeriodSeconds: 120,
            pdb: undefined,
          },
        ],
        maxUnavailable: 2,
        force: true,
        deleteEmptyDirData: false,
      },
      minSize: 0,
      faults: [
        { kind: 'nodeNeverReady', batch: 1 },
        { kind: 'throttle', api: 'sns:Publish', times: 8, batch: 'first' },
      ],
    },
  },
];

describe('random clusters, workloads, budgets, batch sizes and faults', () => {
  for (const { name, drawn } of regressions) {
    it(`keep every invariant: ${name}`, () => keepsEveryInvariant(drawn));
  }

  it('keep every invariant; the rollout succeeds on the target AMI or fails with a documented name', async () => {
    const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
    await fc.assert(
      fc.asyncProperty(cluster, keepsEveryInvariant),
      // fast-check prints the seed and the counterexample on failure: FC_SEED=<seed> replays it;
      // FC_RUNS=<n> explores further.
      { numRuns: Number(process.env.FC_RUNS ?? 60), seed, verbose: 1 },
    );
    // 60 simulated rollouts: about 2 minutes on a loaded 2-core machine, past the default limit.
  }, 600_000);
});
