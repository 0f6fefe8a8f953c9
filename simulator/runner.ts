// First: the handlers' environment must be set before anything from functions/ loads.
import './handler-environment.ts';
import { setTimeout as realDelay } from 'node:timers/promises';
import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import FakeTimers from '@sinonjs/fake-timers';
import { StateMachine } from 'aws-local-stepfunctions';
import { kubeconfigConnector } from '../functions/adapters/kubernetes/connect.ts';
import { simulatedAwsClients, unmodelledApis } from './aws.ts';
import { rolloutDefinition } from './definition.ts';
import { executionRunner } from './execution.ts';
import { notificationTopicArn } from './handler-environment.ts';
import { startKubernetesTestServer } from './k8s-http-server.ts';
import { SimulatedKubernetes } from './kubernetes.ts';
import {
  handlerPath,
  type Invocation,
  invocationErrorMessage,
  LambdaRuntime,
  loadMakeHandler,
  type MakeHandler,
  type SimulatedDependencies,
} from './lambda.ts';
import { type ExecutionStatus, jsonPath, type Scenario, ScenarioError } from './scenario.ts';
import { type ExecutionRecord, StepFunctions, stateMachineArn } from './stepfunctions.ts';
import { schedulerOf, simulationStart } from './world/clock.ts';
import type { ForcedDeletion, InvariantCounts } from './world/invariants.ts';
import { Random } from './world/random.ts';
import type { TimelineEvent } from './world/timeline.ts';
import { type InstanceReport, type Notification, World } from './world.ts';

export { notificationTopicArn };

export interface SimulateOptions {
  /** Sees every timeline event as it happens (the CLI prints them). */
  onEvent?: (event: TimelineEvent) => void;
  /** Real seconds a handler may run while virtual time stands still before the run is aborted. */
  stuckHandlerSeconds?: number;
  /** Virtual seconds the world keeps running after the executions end, so their effects land. */
  settleSeconds?: number;
  /**
   * Route the handlers' Kubernetes calls through `@kubernetes/client-node` over real HTTP to a
   * loopback API server backed by the world, instead of calling the world in-process.
   */
  k8sHttp?: boolean;
}

export interface ExecutionReport {
  name: string;
  input: unknown;
  status: ExecutionStatus;
  error: { name: string; cause: string } | null;
  output: unknown;
}

export interface SimulationReport {
  scenario: string;
  status: ExecutionStatus;
  error: { name: string; cause: string } | null;
  simulatedSeconds: number;
  stateTransitions: number;
  lambdaInvocations: number;
  perFunctionInvocations: Record<string, number>;
  instances: InstanceReport[];
  invariants: InvariantCounts;
  forcedDeletions: ForcedDeletion[];
  notifications: Notification[];
  /** The execution's output (or, for an event, what start-rollout returned). */
  output: unknown;
  /** With an `event`: every execution start-rollout started. */
  executions?: ExecutionReport[];
  timeline: TimelineEvent[];
}

const startRolloutKey = 'startRollout';
const startRollout: Invocation = {
  functionKey: startRolloutKey,
  stateName: 'StartRollout',
  executionName: '(event)',
};

/** Runs a scenario on virtual time with the real state machine and handlers; returns the report. */
export async function simulate(scenario: Scenario, options: SimulateOptions = {}): Promise<SimulationReport> {
  const { definition, tasks } = rolloutDefinition();
  const functionKeys = new Set([...tasks.values()].map((task) => task.functionKey));
  if (scenario.execution.event !== undefined) functionKeys.add(startRolloutKey);
  const makeHandlers = new Map(
    await Promise.all([...functionKeys].map(async (key) => [key, await loadMakeHandler(key)] as const)),
  );
  const machine = new StateMachine(definition);

  const clock = FakeTimers.install({
    now: simulationStart,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    // Middy arms a real `node:timers` timeout per invocation and clears it with the global clearTimeout.
    shouldClearNativeTimers: true,
  });
  const realRandom = Math.random;
  const random = new Random(scenario.seed);
  // Retry jitter draws from Math.random: seeded, every run of a scenario takes the same path.
  Math.random = () => random.next();
  const closers: (() => Promise<void>)[] = [];
  try {
    return await run(scenario, options, { clock, machine, tasks, makeHandlers, closers });
  } finally {
    for (const close of closers) await close();
    Math.random = realRandom;
    clock.uninstall();
  }
}

interface Engine {
  clock: ReturnType<typeof FakeTimers.install>;
  machine: StateMachine;
  tasks: ReturnType<typeof rolloutDefinition>['tasks'];
  makeHandlers: Map<string, MakeHandler>;
  /** Run when the simulation ends, however it ends. */
  closers: (() => Promise<void>)[];
}

async function run(scenario: Scenario, options: SimulateOptions, engine: Engine): Promise<SimulationReport> {
  const { clock } = engine;
  const world = new World(scenario, schedulerOf(clock));
  if (options.onEvent) world.timeline.subscribe(options.onEvent);
  const functions = new Map<string, ReturnType<MakeHandler>>();
  const lambda = new LambdaRuntime(world, functions, scenario.timing.lambdaSeconds);
  const executions = executionRunner(world, engine.machine, engine.tasks, lambda);
  const stepFunctions = new StepFunctions(executions.run, world.ids, () => new Date(clock.now));
  const clients = simulatedAwsClients(world, stepFunctions, notificationTopicArn);
  const kubernetes = new SimulatedKubernetes(world);
  const server = options.k8sHttp ? await startKubernetesTestServer(kubernetes) : undefined;
  if (server) engine.closers.push(server.close);
  // Throttled requests are retried by the client in real time: virtual time stands still in a handler.
  const overHttp =
    server && kubeconfigConnector(server.kubeconfigPath, { sleep: (ms) => realDelay(ms / 100) });
  const deps: SimulatedDependencies = {
    ...clients,
    // As the production connector does: the cluster's endpoint comes from DescribeCluster.
    kubernetes: async (clusterName) => {
      await clients.eks.send(new DescribeClusterCommand({ name: clusterName }));
      return overHttp ? overHttp(clusterName) : kubernetes;
    },
    now: () => clock.now,
    notificationTopicArn,
    stateMachineArn,
    clusterNames: [scenario.cluster.name],
  };
  for (const [key, makeHandler] of engine.makeHandlers) functions.set(key, makeHandler(deps));
  refuseUnmodelledThrottles(scenario, world, stepFunctions);

  const { event, input } = scenario.execution;
  const entry = settled(
    event === undefined
      ? Promise.resolve(
          stepFunctions.start(stateMachineArn, `console-${world.ids.uuid()}`, JSON.stringify(input)),
        )
      : lambda.invoke(startRollout, event),
  );
  let entryDone = false;
  void entry.then(() => {
    entryDone = true;
  });

  const stuckMilliseconds = (options.stuckHandlerSeconds ?? 5) * 1000;
  while (!entryDone || stepFunctions.running()) {
    await new Promise((resolve) => setImmediate(resolve));
    const longest = lambda.longestRunning();
    if (longest !== undefined) {
      if (longest.realMilliseconds > stuckMilliseconds) {
        throw new Error(
          `The ${longest.functionKey} handler (${handlerPath(longest.functionKey)}) ran for ${stuckMilliseconds / 1000} s of real time while virtual time stood still: handlers must not sleep; return "not yet" and let the state machine wait.`,
        );
      }
      continue;
    }
    if (entryDone && !stepFunctions.running()) break;
    if (clock.countTimers() === 0)
      throw new Error('The simulation is stuck: executions are running but nothing is scheduled.');
    await clock.nextAsync();
  }
  const endedAt = clock.now;
  await clock.tickAsync((options.settleSeconds ?? 3600) * 1000);

  if (world.simulatorGaps.length > 0) {
    throw new Error(
      `The simulator does not model ${[...new Set(world.simulatorGaps)].join(', ')}: this run cannot be trusted.`,
    );
  }
  const executionReports = stepFunctions.executions.map(executionReport);
  return {
    scenario: scenario.description,
    ...overallOutcome(scenario, await entry, executionReports),
    simulatedSeconds: Math.round((endedAt - simulationStart) / 1000),
    stateTransitions: executions.stateTransitions(),
    lambdaInvocations: lambda.total(),
    perFunctionInvocations: lambda.invocations,
    instances: world.instanceReports(),
    invariants: world.finalInvariants(),
    forcedDeletions: world.invariants.forcedDeletions,
    notifications: world.notifications,
    ...(event === undefined ? {} : { executions: executionReports }),
    timeline: world.timeline.events,
  };
}

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

const settled = (promise: Promise<unknown>): Promise<Settled> =>
  promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );

/** A throttle fault on an AWS operation the simulator does not answer would never fire: a scenario error. */
function refuseUnmodelledThrottles(scenario: Scenario, world: World, stepFunctions: StepFunctions): void {
  const unmodelled = unmodelledApis(world, stepFunctions, world.faults.throttledApis());
  const problems = scenario.faults.flatMap((fault, index) =>
    fault.kind === 'throttle' && unmodelled.includes(fault.api)
      ? [`${jsonPath(['faults', index, 'api'])}: the simulator does not model ${fault.api}`]
      : [],
  );
  if (problems.length > 0) throw new ScenarioError('scenario', problems);
}

const toJson = (text: string | undefined): unknown => (text === undefined ? null : JSON.parse(text));

function executionReport(execution: ExecutionRecord): ExecutionReport {
  const status = execution.status === 'RUNNING' ? 'ABORTED' : execution.status;
  return {
    name: execution.name,
    input: toJson(execution.input),
    status,
    error: status === 'SUCCEEDED' ? null : { name: execution.error ?? status, cause: execution.cause ?? '' },
    output: toJson(execution.output),
  };
}

/** The console execution's outcome; for an event, start-rollout's failure or the first execution that did not succeed. */
function overallOutcome(
  scenario: Scenario,
  entry: Settled,
  executions: ExecutionReport[],
): Pick<SimulationReport, 'status' | 'error' | 'output'> {
  if (scenario.execution.event === undefined) {
    const [execution] = executions;
    if (execution === undefined) throw new Error('The console execution was not started');
    return { status: execution.status, error: execution.error, output: execution.output };
  }
  if (!entry.ok) {
    const error = entry.error instanceof Error ? entry.error : new Error(String(entry.error));
    return {
      status: 'FAILED',
      error: { name: error.name, cause: invocationErrorMessage(error) },
      output: null,
    };
  }
  const failed = executions.find((execution) => execution.status !== 'SUCCEEDED');
  return { status: failed?.status ?? 'SUCCEEDED', error: failed?.error ?? null, output: entry.value };
}
