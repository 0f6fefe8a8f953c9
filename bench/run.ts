// First: the handlers' environment (quiet Powertools) must be set before anything from functions/ loads.
import '../simulator/handler-environment.ts';
import { parseArgs } from 'node:util';
import { type EksOwnUpdateResult, runEksOwnUpdate } from '../simulator/eks-own-update.ts';
import { type SimulationReport, simulate } from '../simulator/runner.ts';
import { oneAtATimeSeconds } from './baseline.ts';
import { type FunctionFigures, measureFunctions } from './bundles.ts';
import { rolloutDollars } from './prices.ts';
import { type BenchCase, benchScenario } from './scenario.ts';
import { cpuSeconds, simulatorCpu } from './simulator-cpu.ts';

const usage = `Usage: npm run bench -- [--json] [--full]

Runs the real workflow in the simulator beside EKS's own managed node group update (the peer: DEFAULT
strategy, same maxUnavailable, same world) over a self-managed Windows node group: 20 nodes with boot
times of 150 and 420 s (±20 %), the .NET image cached on the AMI and not. Each run also runs its
zero-latency critical path. Then measures every function's bundle and cold start, and
checks the performance targets.
  --json   print one JSON object (runs, simulatorCpuSeconds, functions, targets) instead of the tables
  --full   also boot 300 and 600 s, 100 nodes, and 1,000 and 2,000 nodes (no critical path): pods
           listed per node, the simulator's CPU, the heap of the largest drain round
Exit status: 0 every target met, 1 a target missed, 2 bad usage.`;

const jitterPercent = 20;
/** The timing matrix, at 20 nodes in batches of 4 (20 %): the shortest and the reference boot by default. */
const matrixOf = (boots: number[]): BenchCase[] =>
  boots.flatMap((bootSeconds) =>
    [true, false].map((imageCached) => ({
      nodes: 20,
      batchSize: 4,
      bootSeconds,
      jitterPercent,
      imageCached,
    })),
  );
/**
 * A labelled extra: the same world with one batch booting ahead (`surgeBatches` 1, the default on a group
 * the cluster-autoscaler discovers), at the reference boot. The peer's makespan target is for the default.
 */
const oneAhead = matrixOf([420]).map((scenarioCase) => ({ ...scenarioCase, surgeBatches: 1 }));
const matrix = [...matrixOf([150, 420]), ...oneAhead];
const hundred: BenchCase = { nodes: 100, batchSize: 10, bootSeconds: 420, jitterPercent, imageCached: true };
/** With --full: the rest of the matrix and 100 nodes. */
const fullMatrix = [...matrixOf([300, 600]), hundred, { ...hundred, surgeBatches: 1 }];
const large: BenchCase[] = [1000, 2000].map((nodes) => ({
  nodes,
  batchSize: nodes / 40,
  bootSeconds: 420,
  jitterPercent,
  imageCached: true,
}));

/** Step Functions' limits. */
const maxHistoryEvents = 25_000;
const maxPayloadBytes = 262_144;
/** Bundle budgets, in bytes (1 MB = 1,000,000 bytes). */
const bundleBudget = { plain: 500_000, kubernetes: 2_500_000 };
const coldStartBudgetMs = 300;

/** The peer's row: EKS's own update, as runEksOwnUpdate measured it. */
const peerFields = [
  'status',
  'allNewReadySeconds',
  'allOldGoneSeconds',
  'minSchedulableReadyNodes',
  'evictionsPerPod',
  'unavailablePodSeconds',
  'peakExtraInstances',
] as const;

type PeerFigures = { name: 'eks-managed-node-group-update' } & Pick<
  EksOwnUpdateResult,
  (typeof peerFields)[number]
>;

interface RunFigures {
  nodes: number;
  batchSize: number;
  bootSeconds: number;
  jitterPercent: number;
  imageCached: boolean;
  /** Batches booting ahead, as the plan resolved them. */
  surgeBatches: number;
  /** The input left surgeBatches to its default: the peer's makespan target applies. */
  surgeBatchesDefault: boolean;
  status: string;
  makespanSeconds: number;
  /** The same plan with zero orchestration latency (Lambda 0 s, every Wait 1 s); null when not run. */
  criticalPathSeconds: number | null;
  criticalPathStatus: string;
  /** makespan / critical path. */
  overhead: number | null;
  minSchedulableReadyNodes: number | null;
  evictionsPerPod: number;
  unavailablePodSeconds: number;
  peakExtraInstances: number;
  /** Hours the group's instances ran during the rollout, and the part above the group's own size. */
  instanceHours: number;
  surgeInstanceHours: number;
  dollars: number;
  podsListedPerNode: number;
  kubernetesCallsPerNode: number;
  awsCallsPerNode: number;
  stateTransitionsPerNode: number;
  lambdaInvocationsPerNode: number;
  maxPayloadBytes: number;
  maxHistoryEvents: number;
  executions: number;
  /** Invariants the world counted (PDB violations, pods lost, …): all 0 in a correct run. */
  invariantsBroken: number;
  nodesOnTarget: number;
  /**
   * CPU seconds of the simulation of our rollout: in this process, or with 1,000 nodes and more the
   * median of `simulatorCpuRuns`, each in a fresh process.
   */
  simulatorCpuSeconds: number;
  simulatorCpuRuns?: number[];
  /** The most the heap grew during one Drain invocation (process.memoryUsage around the call), MB. */
  drainHeapMegabytes: number;
  peer: PeerFigures;
  /** A labelled extra: the same group replaced one node at a time with no surge (`bench/baseline.ts`). */
  oneAtATimeSeconds?: number;
}

interface Target {
  target: string;
  value: string;
  met: boolean;
}

const pick = <T, K extends keyof T>(object: T, keys: readonly K[]): Pick<T, K> =>
  Object.fromEntries(keys.map((key) => [key, object[key]])) as Pick<T, K>;

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function ourFigures(report: SimulationReport, scenarioCase: BenchCase) {
  const { nodes } = scenarioCase;
  const scenario = benchScenario(scenarioCase);
  const targetAmi = (scenario.execution.input as { amiId: string }).amiId;
  const { metrics } = report;
  const surgeInstanceHours = round(
    Math.max(0, metrics.instanceHours - (nodes * report.simulatedSeconds) / 3600),
  );
  const planned = report.timeline.find((event) => event.event === 'RolloutPlanned')?.detail.plan as
    | { surgeBatches: number }
    | undefined;
  return {
    status: report.status,
    surgeBatches: planned?.surgeBatches ?? 0,
    makespanSeconds: report.simulatedSeconds,
    minSchedulableReadyNodes: metrics.minSchedulableReadyNodes,
    evictionsPerPod: metrics.evictionsPerPod,
    unavailablePodSeconds: metrics.unavailablePodSeconds,
    peakExtraInstances: metrics.peakExtraInstances,
    instanceHours: metrics.instanceHours,
    surgeInstanceHours,
    dollars: rolloutDollars({
      surgeInstanceHours,
      stateTransitions: report.stateTransitions,
      lambdaInvocations: report.lambdaInvocations,
      lambdaSeconds: scenario.timing.lambdaSeconds,
    }),
    podsListedPerNode: round(metrics.podsListed / nodes, 1),
    kubernetesCallsPerNode: round(metrics.kubernetesCalls / nodes, 1),
    awsCallsPerNode: round(metrics.awsCalls / nodes, 1),
    stateTransitionsPerNode: round(report.stateTransitions / nodes),
    lambdaInvocationsPerNode: round(report.lambdaInvocations / nodes),
    maxPayloadBytes: Math.max(...report.executionStats.map((execution) => execution.maxPayloadBytes)),
    maxHistoryEvents: Math.max(...report.executionStats.map((execution) => execution.historyEvents)),
    executions: report.executionStats.length,
    invariantsBroken: Object.values(report.invariants).reduce((sum, count) => sum + count, 0),
    nodesOnTarget: report.instances.filter(
      (instance) =>
        instance.nodeGroup === 'win-a' && instance.state === 'running' && instance.amiId === targetAmi,
    ).length,
  };
}

async function peerFigures(scenarioCase: BenchCase): Promise<PeerFigures> {
  const peer = await runEksOwnUpdate(benchScenario(scenarioCase), {
    updateConfig: { maxUnavailable: scenarioCase.batchSize, updateStrategy: 'DEFAULT' },
  });
  return { name: 'eks-managed-node-group-update', ...pick(peer, peerFields) };
}

async function measureRun(
  scenarioCase: BenchCase,
  options: { criticalPath: boolean; oneAtATime: boolean },
): Promise<RunFigures> {
  const cpu = process.cpuUsage();
  let drainHeapBytes = 0;
  const report = await simulate(benchScenario(scenarioCase), {
    onHeapGrowth: ({ functionKey }, bytes) => {
      if (functionKey === 'drain') drainHeapBytes = Math.max(drainHeapBytes, bytes);
    },
  });
  const ours = ourFigures(report, scenarioCase);
  const simulatorCpuSeconds = cpuSeconds(cpu);
  let critical: SimulationReport | undefined;
  if (options.criticalPath) {
    const ideal = benchScenario(scenarioCase);
    ideal.timing.lambdaSeconds = 0;
    critical = await simulate(ideal, { waitSeconds: 1 });
  }
  const criticalPathSeconds = critical?.simulatedSeconds ?? null;
  return {
    nodes: scenarioCase.nodes,
    batchSize: scenarioCase.batchSize,
    bootSeconds: scenarioCase.bootSeconds ?? 420,
    jitterPercent: scenarioCase.jitterPercent ?? 0,
    imageCached: scenarioCase.imageCached ?? true,
    surgeBatchesDefault: scenarioCase.surgeBatches === undefined,
    ...ours,
    criticalPathSeconds,
    criticalPathStatus: critical?.status ?? 'NOT_RUN',
    overhead: criticalPathSeconds === null ? null : round(ours.makespanSeconds / criticalPathSeconds, 3),
    simulatorCpuSeconds,
    drainHeapMegabytes: round(drainHeapBytes / 1e6, 1),
    peer: await peerFigures(scenarioCase),
    ...(options.oneAtATime
      ? { oneAtATimeSeconds: await oneAtATimeSeconds(benchScenario(scenarioCase)) }
      : {}),
  };
}

const rowName = ({
  nodes,
  bootSeconds = 420,
  jitterPercent = 0,
  imageCached = true,
  surgeBatches,
}: BenchCase) =>
  `${nodes} nodes, boot ${bootSeconds} s ±${jitterPercent} %, image ${imageCached ? 'cached' : 'not cached'}${surgeBatches === undefined ? '' : `, surgeBatches ${surgeBatches}`}`;

function runTargets(run: RunFigures): Target[] {
  const name = rowName({ ...run, surgeBatches: run.surgeBatchesDefault ? undefined : run.surgeBatches });
  const targets: Target[] = [
    {
      target: `${name}: rollout succeeds, every node on the AMI, no invariant broken`,
      value: `${run.status}, ${run.nodesOnTarget}/${run.nodes} on the AMI, ${run.invariantsBroken} broken`,
      met: run.status === 'SUCCEEDED' && run.nodesOnTarget === run.nodes && run.invariantsBroken === 0,
    },
    {
      target: `${name}: no execution above 25,000 history events, no payload above 256 KiB`,
      value: `${run.maxHistoryEvents} events (${run.executions} execution(s)), ${run.maxPayloadBytes} B`,
      met: run.maxHistoryEvents <= maxHistoryEvents && run.maxPayloadBytes <= maxPayloadBytes,
    },
  ];
  if (run.criticalPathSeconds !== null) {
    targets.push(
      {
        target: `${name}: the zero-latency critical path itself succeeds`,
        value: run.criticalPathStatus,
        met: run.criticalPathStatus === 'SUCCEEDED',
      },
      {
        target: `${name}: makespan ≤ 1.10 × critical path`,
        value: `${run.overhead} (${run.makespanSeconds} s / ${run.criticalPathSeconds} s)`,
        met: run.overhead !== null && run.overhead <= 1.1,
      },
    );
  }
  if (run.nodes === 20 || run.nodes === 100) {
    const { peer } = run;
    const peerReady = peer.allNewReadySeconds;
    // A labelled extra (surgeBatches set) shows what the setting costs; the target is for the default.
    if (run.surgeBatchesDefault)
      targets.push({
        target: `${name}: makespan ≤ 1.2 × the peer's time to all new nodes Ready`,
        value: `${run.makespanSeconds} s vs ${peerReady ?? 'never'} s (${peer.status}; ×${peerReady ? round(run.makespanSeconds / peerReady) : '–'})`,
        // A peer that never gets every new node Ready (its update failed) is beaten by a rollout that succeeds.
        met:
          run.status === 'SUCCEEDED' &&
          (peerReady === null ? peer.status !== 'Successful' : run.makespanSeconds <= 1.2 * peerReady),
      });
    targets.push(
      {
        target: `${name}: schedulable Ready nodes never below ${run.nodes} (the peer's minimum: ${peer.minSchedulableReadyNodes})`,
        value: String(run.minSchedulableReadyNodes),
        met: run.minSchedulableReadyNodes !== null && run.minSchedulableReadyNodes >= run.nodes,
      },
      {
        target: `${name}: evictions per pod ≤ 1.05 (the peer: ${peer.evictionsPerPod})`,
        value: String(run.evictionsPerPod),
        met: run.evictionsPerPod <= 1.05,
      },
      {
        target: `${name}: unavailable pod-seconds ≤ 0.9 × the peer's`,
        value: `${run.unavailablePodSeconds} vs ${peer.unavailablePodSeconds}`,
        met: run.unavailablePodSeconds <= 0.9 * peer.unavailablePodSeconds,
      },
    );
  }
  if (run.nodes === 1000) {
    targets.push({
      target: `${name}: pods returned by list calls ≤ 20 per replaced node`,
      value: String(run.podsListedPerNode),
      met: run.podsListedPerNode <= 20,
    });
  }
  return targets;
}

function targetsOf(runs: RunFigures[], cpu: Record<string, number>, functions: FunctionFigures[]): Target[] {
  const targets = runs.flatMap(runTargets);
  const [thousand, twoThousand] = [cpu['1000'], cpu['2000']];
  if (thousand !== undefined) {
    targets.push({
      target: 'the 1,000-node simulation in ≤ 30 s of CPU (median of 3 fresh processes)',
      value: `${thousand} s`,
      met: thousand <= 30,
    });
  }
  if (thousand !== undefined && twoThousand !== undefined) {
    targets.push({
      target: 'the 2,000-node simulation in ≤ 2.2 × the 1,000-node CPU',
      value: `${twoThousand} s (×${round(twoThousand / thousand)})`,
      met: twoThousand <= 2.2 * thousand,
    });
  }
  for (const fn of functions) {
    const budget = fn.kubernetes ? bundleBudget.kubernetes : bundleBudget.plain;
    targets.push(
      {
        target: `${fn.name}: bundle ≤ ${budget / 1e6} MB${fn.kubernetes ? ' (talks to Kubernetes)' : ''}`,
        value: `${fn.bundleBytes} B`,
        met: fn.bundleBytes <= budget,
      },
      {
        target: `${fn.name}: cold start ≤ ${coldStartBudgetMs} ms (median, source maps on)`,
        value: `${fn.coldStartMs} ms`,
        met: fn.coldStartMs <= coldStartBudgetMs,
      },
    );
  }
  return targets;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

const orNone = (value: number | null) => (value === null ? '–' : String(value));

function printTables(runs: RunFigures[], functions: FunctionFigures[], targets: Target[]): void {
  console.log(
    table(
      [
        'nodes',
        'batch',
        'surge batches',
        'boot',
        'image',
        'makespan',
        'critical path',
        'overhead',
        'peer: all new Ready / old gone',
        'min Ready (peer)',
        'evictions/pod (peer)',
        'unavailable pod-s (peer)',
        'peak extra (peer)',
        'surge inst-h',
        'dollars',
        'pods listed/node',
        'k8s/AWS calls/node',
        'sim CPU',
        'drain heap',
      ],
      runs.map((run) => [
        String(run.nodes),
        String(run.batchSize),
        String(run.surgeBatches),
        `${run.bootSeconds} s ±${run.jitterPercent} %`,
        run.imageCached ? 'cached' : 'pulled',
        `${run.makespanSeconds} s`,
        run.criticalPathSeconds === null
          ? 'not run'
          : `${run.criticalPathSeconds} s (${run.criticalPathStatus})`,
        orNone(run.overhead),
        `${orNone(run.peer.allNewReadySeconds)} / ${orNone(run.peer.allOldGoneSeconds)} s`,
        `${orNone(run.minSchedulableReadyNodes)} (${orNone(run.peer.minSchedulableReadyNodes)})`,
        `${run.evictionsPerPod} (${run.peer.evictionsPerPod})`,
        `${run.unavailablePodSeconds} (${run.peer.unavailablePodSeconds})`,
        `${run.peakExtraInstances} (${run.peer.peakExtraInstances})`,
        String(run.surgeInstanceHours),
        `$${run.dollars}`,
        String(run.podsListedPerNode),
        `${run.kubernetesCallsPerNode} / ${run.awsCallsPerNode}`,
        `${run.simulatorCpuSeconds} s`,
        `${run.drainHeapMegabytes} MB`,
      ]),
    ),
  );
  for (const run of runs) {
    if (run.oneAtATimeSeconds !== undefined)
      console.log(`\nExtra: ${rowName(run)}, one node at a time with no surge: ${run.oneAtATimeSeconds} s.`);
  }
  console.log();
  console.log(
    table(
      ['function', 'bundle', 'Kubernetes', 'cold start (median, source maps on)'],
      functions.map((fn) => [
        fn.name,
        `${(fn.bundleBytes / 1e6).toFixed(3)} MB`,
        fn.kubernetes ? 'yes' : 'no',
        `${fn.coldStartMs} ms`,
      ]),
    ),
  );
  console.log();
  for (const target of targets)
    console.log(`${target.met ? 'PASS' : 'FAIL'}  ${target.target}: ${target.value}`);
}

const usageError = (problem: string): number => {
  console.error(`${problem}\n\n${usage}`);
  return 2;
};

/** What to run, or the exit status when the command line asks for nothing to run (help, bad usage). */
function commandLine(argv: string[]): { json: boolean; full: boolean } | number {
  const flags = {
    json: { type: 'boolean' },
    full: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  try {
    const { values } = parseArgs({ args: argv, options: flags });
    if (values.help) {
      console.log(usage);
      return 0;
    }
    return { json: values.json === true, full: values.full === true };
  } catch (error) {
    return usageError((error as Error).message);
  }
}

async function main(argv: string[]): Promise<number> {
  const options = commandLine(argv);
  if (typeof options === 'number') return options;
  const progress = (message: string) => {
    if (!options.json) console.error(message);
  };
  const started = performance.now();
  const runs: RunFigures[] = [];
  for (const scenarioCase of [...matrix, ...(options.full ? fullMatrix : [])]) {
    progress(`${rowName(scenarioCase)}…`);
    const reference =
      scenarioCase.nodes === 20 &&
      scenarioCase.bootSeconds === 420 &&
      scenarioCase.imageCached &&
      scenarioCase.surgeBatches === undefined;
    runs.push(await measureRun(scenarioCase, { criticalPath: true, oneAtATime: reference === true }));
  }
  for (const scenarioCase of options.full ? large : []) {
    progress(`${rowName(scenarioCase)}…`);
    const run = await measureRun(scenarioCase, { criticalPath: false, oneAtATime: false });
    // This process carries the heap of every row before; the CPU target compares fresh processes.
    const cpu = await simulatorCpu(scenarioCase);
    runs.push({ ...run, simulatorCpuSeconds: cpu.seconds, simulatorCpuRuns: cpu.runs });
  }
  // The simulator's own CPU by group size: the first run of each size.
  const simulatorCpuSeconds: Record<string, number> = {};
  for (const run of runs) simulatorCpuSeconds[String(run.nodes)] ??= run.simulatorCpuSeconds;
  progress('function bundles and cold starts…');
  const functions = await measureFunctions();
  const targets = targetsOf(runs, simulatorCpuSeconds, functions);
  const passed = targets.every((target) => target.met);
  const benchSeconds = round((performance.now() - started) / 1000, 1);
  if (options.json) {
    const functionFigures = functions.map(({ name, bundleBytes, coldStartMs }) => ({
      name,
      bundleBytes,
      coldStartMs,
    }));
    console.log(
      JSON.stringify(
        { runs, simulatorCpuSeconds, functions: functionFigures, targets, passed, benchSeconds },
        null,
        2,
      ),
    );
  } else {
    printTables(runs, functions, targets);
    console.log(`\n${passed ? 'Every target met' : 'A target was missed'} (${benchSeconds} s).`);
  }
  return passed ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
