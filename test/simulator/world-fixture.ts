import { UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateVersionCommand } from '@aws-sdk/client-ec2';
import FakeTimers from '@sinonjs/fake-timers';
import { simulatedAwsClients } from '../../simulator/aws.ts';
import { SimulatedKubernetes } from '../../simulator/kubernetes.ts';
import { notificationTopicArn, type SimulationReport, simulate } from '../../simulator/runner.ts';
import { loadScenario, parseScenario, ScenarioError } from '../../simulator/scenario.ts';
import { StepFunctions } from '../../simulator/stepfunctions.ts';
import { schedulerOf, simulationStart } from '../../simulator/world/clock.ts';
import { World } from '../../simulator/world.ts';

export const targetAmi = 'ami-0ccc0000000000003';
export const aspnet = 'mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022';

type Fields = Record<string, unknown>;

/** A scenario file's content, loosely typed so that tests can break it. */
export interface ScenarioDocument {
  description: string;
  cluster: Fields;
  nodeGroups: Fields[];
  amis: Fields[];
  workloads: Fields[];
  timing: Fields;
  faults: Fields[];
  execution: Fields;
  [field: string]: unknown;
}

/** The entry of `list` named `name`, to edit in place. */
export function named(list: Fields[], name: string): Fields {
  const found = list.find((item) => item.name === name);
  if (found === undefined) throw new Error(`No entry named ${name}`);
  return found;
}

/** A small cluster: three Windows nodes (two zones), two managed Linux nodes, PDB-protected workloads. */
export function scenarioDocument(): ScenarioDocument {
  return {
    description: 'world fixture',
    cluster: { name: 'prod', kubernetesVersion: '1.31' },
    nodeGroups: [
      {
        name: 'win-a',
        os: 'windows',
        management: 'self-managed',
        amiId: 'ami-0aaa0000000000001',
        windowsBuild: '10.0.20348',
        instances: 3,
        minSize: 2,
        maxSize: 6,
        availabilityZones: ['us-east-1a', 'us-east-1b'],
        podsPerNode: 8,
      },
      {
        name: 'linux',
        os: 'linux',
        management: 'managed',
        amiId: 'ami-0bbb0000000000002',
        instances: 2,
        minSize: 2,
        maxSize: 4,
        availabilityZones: ['us-east-1a'],
      },
    ],
    amis: [
      {
        id: targetAmi,
        platform: 'windows',
        state: 'available',
        windowsBuild: '10.0.20348',
        kubernetesVersion: '1.31',
        name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12',
        cachedImages: ['mcr.microsoft.com/windows/servercore:ltsc2022'],
      },
    ],
    workloads: [
      {
        name: 'web',
        namespace: 'shop',
        kind: 'Deployment',
        os: 'windows',
        replicas: 4,
        image: aspnet,
        pdb: { maxUnavailable: 1 },
        startupSeconds: 30,
      },
      {
        name: 'ledger',
        namespace: 'finance',
        kind: 'StatefulSet',
        os: 'windows',
        replicas: 3,
        image: 'mcr.microsoft.com/windows/servercore:ltsc2022',
        pdb: { minAvailable: 2 },
        terminationGracePeriodSeconds: 60,
        startupSeconds: 10,
      },
      {
        name: 'log-agent',
        namespace: 'kube-system',
        kind: 'DaemonSet',
        os: 'windows',
        image: 'fluent/fluentd:windows',
      },
      {
        name: 'coredns',
        namespace: 'kube-system',
        kind: 'Deployment',
        os: 'linux',
        replicas: 2,
        image: 'coredns/coredns:1.11.3',
      },
    ],
    timing: { instanceBootSeconds: 420, imagePullSecondsPerGiB: 60 },
    faults: [],
    execution: { input: { clusterName: 'prod', nodeGroupName: 'win-a', amiId: targetAmi } },
  };
}

/**
 * The world of the fixture (edited by `change`), on a clock the test advances, with the AWS clients
 * and the Kubernetes API the handlers would get. The execution input's group is the target.
 */
export function worldOf(change: (document: ScenarioDocument) => void = () => undefined) {
  const document = scenarioDocument();
  change(document);
  const scenario = parseScenario(document);
  const clock = FakeTimers.createClock(simulationStart);
  const world = new World(scenario, schedulerOf(clock));
  world.registerExecutionInput(scenario.execution.input);
  const stepFunctions = new StepFunctions(
    () => {
      throw new Error('world tests start no executions');
    },
    world.ids,
    () => new Date(clock.now),
  );
  return {
    world,
    aws: simulatedAwsClients(world, stepFunctions, notificationTopicArn),
    kubernetes: new SimulatedKubernetes(world),
    /** Advances virtual time, running what the world scheduled. */
    advance: (seconds: number) => {
      clock.tick(seconds * 1000);
    },
    elapsed: () => world.timeline.elapsedSeconds(),
  };
}

export const windowsNodes = (world: World) =>
  [...world.cluster.nodes.values()].filter((node) => node.groupName === 'win-a');

export const podsOf = (world: World, workload: string) =>
  [...world.cluster.pods.values()].filter((pod) => pod.workload.spec.name === workload);

/** The problems the scenario parser names for the fixture edited by `change` ([] when it is valid). */
export function scenarioProblems(change: (document: ScenarioDocument) => void): string[] {
  const document = scenarioDocument();
  change(document);
  try {
    parseScenario(document);
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  return [];
}

/** Version 2 of win-a's template, on the target AMI, named by the group as `$Latest` (as an operator would). */
export async function pointWinAAtTargetVersion({
  world,
  aws,
}: Pick<ReturnType<typeof worldOf>, 'world' | 'aws'>) {
  const template = [...world.ec2.launchTemplates.values()].find(
    (candidate) => candidate.groupName === 'win-a',
  );
  await aws.ec2.send(
    new CreateLaunchTemplateVersionCommand({
      LaunchTemplateId: template?.id,
      SourceVersion: '1',
      LaunchTemplateData: { ImageId: targetAmi },
    }),
  );
  await aws.autoScaling.send(
    new UpdateAutoScalingGroupCommand({
      AutoScalingGroupName: 'win-a',
      LaunchTemplate: { LaunchTemplateId: template?.id, Version: '$Latest' },
    }),
  );
}

const scenarioReports = new Map<string, Promise<SimulationReport>>();
/** The report of test/simulator/scenarios/<name>.json, run once per test file whatever reads it. */
export function scenarioReport(name: string): Promise<SimulationReport> {
  let report = scenarioReports.get(name);
  if (report === undefined) {
    report = loadScenario(new URL(`./scenarios/${name}.json`, import.meta.url)).then((scenario) =>
      simulate(scenario),
    );
    scenarioReports.set(name, report);
  }
  return report;
}

export const eventsOf = (report: SimulationReport, ...names: string[]) =>
  report.timeline.filter((event) => names.includes(event.event));

/** What a rollout changes, in the timeline: none of them before its waits are over. */
export const changeEvents = [
  'LaunchTemplateVersionCreated',
  'AutoScalingGroupUpdated',
  'InstanceLaunched',
  'NodeCordoned',
  'PodEvicted',
  'InstanceTerminated',
];
