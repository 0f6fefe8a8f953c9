// First: the handlers' environment must be set before anything from functions/ loads.
import './handler-environment.ts';
import { setTimeout as realDelay } from 'node:timers/promises';
import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import FakeTimers from '@sinonjs/fake-timers';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { kubeconfigConnector } from '../functions/adapters/kubernetes/connect.ts';
import { parseWaves } from '../functions/domain/waves.ts';
import { simulatedAwsClients, unmodelledApis } from './aws.ts';
import { promotionDefinitionPath, rolloutDefinition } from './definition.ts';
import { deliverExecutionEvents, executionEndedRule } from './eventbridge.ts';
import { executionRunner } from './execution.ts';
import { lockTable, notificationTopicArn } from './handler-environment.ts';
import type { ExecutionStats } from './history.ts';
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
import { simulatedOperator } from './operator.ts';
import {
  type ExecutionStatus,
  jsonPath,
  type MoreExecutionSpec,
  type Scenario,
  ScenarioError,
} from './scenario.ts';
import {
  type ExecutionRecord,
  promotionStateMachineArn,
  promotionStateMachineName,
  StepFunctions,
  stateMachineArn,
  TaskTokens,
} from './stepfunctions.ts';
import type { ExecutionTrace } from './trace.ts';
import { schedulerOf } from './world/clock.ts';
import type { ForcedDeletion, InvariantCounts } from './world/invariants.ts';
import type { RolloutMetrics } from './world/metrics.ts';
import { Random } from './world/random.ts';
import type { TimelineEvent } from './world/timeline.ts';
import { type BusEvent, type GroupReport, type InstanceReport, type Notification, World } from './world.ts';

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
  /** Sees each Task's result as the state machine receives it, right after its TaskSucceeded event. */
  onTaskResult?: (invocation: Invocation, result: unknown) => void;
  /** Sees the world once it is built, before any execution starts: for tests that inspect its state. */
  onWorld?: (world: World) => void;
  /** Sees the simulated Step Functions once it is built: `status --scenario` replays its executions. */
  onStepFunctions?: (stepFunctions: StepFunctions) => void;
  /**
   * Every Wait state lasts this many seconds instead of its own (the bench's zero-latency runs poll
   * each simulated second); set `timing.lambdaSeconds` to 0 with it.
   */
  waitSeconds?: number;
  /** Sees each execution's trace (states, Lambda invocations, Waits, ending) as it ends. */
  onExecutionTrace?: (trace: ExecutionTrace) => void;
  /** Sees how much the heap grew while each handler ran (the bench's Lambda memory figure). */
  onHeapGrowth?: (invocation: Invocation, bytes: number) => void;
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
  /** Every node group's final state. */
  groups: GroupReport[];
  invariants: InvariantCounts;
  metrics: RolloutMetrics;
  forcedDeletions: ForcedDeletion[];
  notifications: Notification[];
  /** The rollout events put on the default EventBridge bus, in order. */
  events: BusEvent[];
  /** The execution's output (or, for an event, what start-rollout returned). */
  output: unknown;
  /** With an `event`, `moreExecutions` or a rollout continued in new executions: every execution, in the order they started. */
  executions?: ExecutionReport[];
  /** What each execution used of Step Functions' limits (history events, payload). */
  executionStats: ExecutionStats[];
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
  const { definition, tasks, itemsPaths, mapMembers } = rolloutDefinition();
  const promotion = scenario.waves.length > 0 ? rolloutDefinition(promotionDefinitionPath) : undefined;
  const functionKeys = new Set(
    [...tasks.values(), ...(promotion?.tasks.values() ?? [])].map((task) => task.functionKey),
  );
  functionKeys.add(executionEndedRule.functionKey);
  if (scenario.execution.event !== undefined) functionKeys.add(startRolloutKey);
  const makeHandlers = new Map(
    await Promise.all([...functionKeys].map(async (key) => [key, await loadMakeHandler(key)] as const)),
  );
  const machine = new StateMachine(definition);

  const clock = FakeTimers.install({
    now: Date.parse(scenario.clock.start),
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
    return await run(scenario, options, {
      clock,
      definition,
      machine,
      tasks,
      itemsPaths,
      mapMembers,
      makeHandlers,
      closers,
      promotion: promotion && { ...promotion, machine: new StateMachine(promotion.definition) },
    });
  } finally {
    for (const close of closers) await close();
    Math.random = realRandom;
    clock.uninstall();
  }
}

interface Engine {
  clock: ReturnType<typeof FakeTimers.install>;
  definition: StateMachineDefinition;
  machine: StateMachine;
  tasks: ReturnType<typeof rolloutDefinition>['tasks'];
  itemsPaths: ReturnType<typeof rolloutDefinition>['itemsPaths'];
  mapMembers: ReturnType<typeof rolloutDefinition>['mapMembers'];
  makeHandlers: Map<string, MakeHandler>;
  /** Run when the simulation ends, however it ends. */
  closers: (() => Promise<void>)[];
  /** The promotion state machine, when the scenario has waves. */
  promotion: (ReturnType<typeof rolloutDefinition> & { machine: StateMachine }) | undefined;
}

async function run(scenario: Scenario, options: SimulateOptions, engine: Engine): Promise<SimulationReport> {
  const { clock } = engine;
  const world = new World(scenario, schedulerOf(clock));
  options.onWorld?.(world);
  if (options.onEvent) world.timeline.subscribe(options.onEvent);
  const functions = new Map<string, ReturnType<MakeHandler>>();
  const lambda = new LambdaRuntime(
    world,
    functions,
    scenario.timing.lambdaSeconds,
    options.onTaskResult,
    options.onHeapGrowth,
  );
  const taskTokens = new TaskTokens();
  const executions = executionRunner(
    world,
    engine.machine,
    engine,
    lambda,
    options.waitSeconds === undefined ? {} : waitOverrides(engine.definition, options.waitSeconds),
    taskTokens,
    options.onExecutionTrace,
  );
  const stepFunctions = new StepFunctions(executions.run, world.ids, () => new Date(clock.now), taskTokens);
  const promotions =
    engine.promotion &&
    executionRunner(world, engine.promotion.machine, engine.promotion, lambda, {}, taskTokens, undefined, {
      arn: promotionStateMachineArn,
      name: promotionStateMachineName,
    });
  if (promotions) stepFunctions.addStateMachine(promotionStateMachineArn, promotions.run);
  options.onStepFunctions?.(stepFunctions);
  // Faults stop rollouts, never the promotion.
  world.stopExecution = (executionName, ending) => {
    const execution = stepFunctions.executions.find(
      (candidate) =>
        candidate.stateMachineArn === stateMachineArn &&
        (executionName === undefined ? candidate.status === 'RUNNING' : candidate.name === executionName),
    );
    if (execution?.status !== 'RUNNING') return;
    if (ending === 'TIMED_OUT') execution.timeOut();
    else execution.stop(undefined, undefined);
  };
  const events = deliverExecutionEvents(world, stepFunctions, lambda, stateMachineArn);
  const clients = simulatedAwsClients(world, stepFunctions, notificationTopicArn);
  simulatedOperator(scenario, world, taskTokens, stepFunctions, clients);
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
    lockTableName: lockTable.name,
    stateMachineArn,
    clusterNames: [scenario.cluster.name],
    promotionStateMachineArn,
    waves: parseWaves(JSON.stringify(scenario.waves), [scenario.cluster.name]),
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
  const firstEnded = entry.then(() => Promise.all(stepFunctions.executions.map((e) => e.finished)));
  const more = startMoreExecutions(scenario.moreExecutions, world, stepFunctions, firstEnded);
  const busy = () => !entryDone || stepFunctions.running() || more.pending() || events.pending();

  const stuckMilliseconds = (options.stuckHandlerSeconds ?? 5) * 1000;
  while (busy()) {
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
    if (!busy()) break;
    if (clock.countTimers() === 0)
      throw new Error('The simulation is stuck: executions are running but nothing is scheduled.');
    await clock.nextAsync();
  }
  const endedAt = clock.now;
  world.metrics.freeze();
  await clock.tickAsync((options.settleSeconds ?? 3600) * 1000);
  if (more.failure !== undefined) throw more.failure;

  if (world.simulatorGaps.length > 0) {
    throw new Error(
      `The simulator does not model ${[...new Set(world.simulatorGaps)].join(', ')}: this run cannot be trusted.`,
    );
  }
  const executionReports = stepFunctions.executions.map(executionReport);
  return {
    scenario: scenario.description,
    ...overallOutcome(
      scenario,
      await entry,
      executionReports.filter((execution) => !more.names.has(execution.name)),
    ),
    simulatedSeconds: Math.round((endedAt - Date.parse(scenario.clock.start)) / 1000),
    stateTransitions: executions.stateTransitions() + (promotions?.stateTransitions() ?? 0),
    lambdaInvocations: lambda.total(),
    perFunctionInvocations: lambda.invocations,
    instances: world.instanceReports(),
    groups: world.groupReports(),
    invariants: world.finalInvariants(),
    metrics: world.metrics.report(),
    forcedDeletions: world.invariants.forcedDeletions,
    notifications: world.notifications,
    events: world.busEvents,
    ...(event === undefined && executionReports.length === 1 ? {} : { executions: executionReports }),
    executionStats: [...executions.stats(), ...(promotions?.stats() ?? [])],
    timeline: world.timeline.events,
  };
}

/**
 * Starts `moreExecutions`, each relative to the one before it: `withPrevious` that many seconds after
 * it started, `afterPrevious` that many seconds after it ended, once the faults are cleared.
 */
function startMoreExecutions(
  specs: MoreExecutionSpec[],
  world: World,
  stepFunctions: StepFunctions,
  firstEnded: Promise<unknown>,
): { pending: () => boolean; names: Set<string>; failure: unknown } {
  const names = new Set<string>();
  const state = {
    pending: () => names.size < specs.length && state.failure === undefined,
    names,
    failure: undefined as unknown,
  };
  const after = (seconds: number) =>
    new Promise((resolve) => world.scheduler.after(seconds, () => resolve(undefined)));
  let previous = Promise.resolve({ startedAt: world.scheduler.now(), ended: firstEnded });
  for (const spec of specs) {
    previous = previous.then(async ({ startedAt, ended }) => {
      if (spec.start === 'afterPrevious') {
        await ended;
        world.faults.clear();
        await after(spec.delaySeconds);
      } else {
        await after(Math.max(0, (startedAt - world.scheduler.now()) / 1000 + spec.delaySeconds));
      }
      const name = `console-${world.ids.uuid()}`;
      const execution = stepFunctions.start(stateMachineArn, name, JSON.stringify(spec.input));
      names.add(name);
      return { startedAt: world.scheduler.now(), ended: execution.finished };
    });
  }
  previous.catch((error: unknown) => {
    state.failure = error;
  });
  return state;
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
/** The execution that `execution` continued in (its output's `continuedAs`), if any. */
function continuation(
  execution: ExecutionReport,
  executions: ExecutionReport[],
): ExecutionReport | undefined {
  const output = execution.output as { continuedAs?: unknown } | null;
  return typeof output?.continuedAs === 'string'
    ? executions.find((candidate) => candidate.name === output.continuedAs)
    : undefined;
}

/** Wait-time overrides (milliseconds) making every Wait state of the definition last `seconds`. */
function waitOverrides(definition: StateMachineDefinition, seconds: number): Record<string, number> {
  const overrides: Record<string, number> = {};
  const visit = (states: StateMachineDefinition['States']) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Wait') overrides[name] = seconds * 1000;
      if (state.Type === 'Map') visit((state.ItemProcessor ?? state.Iterator)?.States ?? {});
      if (state.Type === 'Parallel') for (const branch of state.Branches) visit(branch.States);
    }
  };
  visit(definition.States);
  return overrides;
}

function overallOutcome(
  scenario: Scenario,
  entry: Settled,
  executions: ExecutionReport[],
): Pick<SimulationReport, 'status' | 'error' | 'output'> {
  if (scenario.execution.event === undefined) {
    let [execution] = executions;
    if (execution === undefined) throw new Error('The console execution was not started');
    // A large group's rollout continues in new executions: the last one tells how it ended.
    for (let next = continuation(execution, executions); next; next = continuation(next, executions))
      execution = next;
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
