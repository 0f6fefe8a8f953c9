import { parseArgs } from 'node:util';
import { type SimulationReport, simulate } from '../simulator/runner.ts';
import { oneAtATimeSeconds } from './baseline.ts';
import { type FunctionFigures, measureFunctions } from './bundles.ts';
import { type BenchCase, benchScenario } from './scenario.ts';

const usage = `Usage: npm run bench -- [--json] [--nodes N,...] [--full]

Runs the real workflow in the simulator over self-managed Windows node groups of 4, 20, 100 and 1,000
nodes, measures every function's bundle and cold start, and checks the performance targets.
  --json       print one JSON object (runs, functions, targets) instead of the tables
  --nodes N,.. only these group sizes (4, 20, 100, 1000)
  --full       also measure the critical path of the 1,000-node group (1-second polling: ~10 min)
Exit status: 0 every target met, 1 a target missed, 2 bad usage.`;

/** Group sizes and batch sizes (maxUnavailable): 25 %, 20 %, 10 %, 2.5 %. */
const cases: BenchCase[] = [
  { nodes: 4, batchSize: 1 },
  { nodes: 20, batchSize: 4 },
  { nodes: 100, batchSize: 10 },
  { nodes: 1000, batchSize: 25 },
];

/** Step Functions' limits. */
const maxHistoryEvents = 25_000;
const maxPayloadBytes = 262_144;
/** Bundle budgets, in bytes (1 MB = 1,000,000 bytes). */
const bundleBudget = { plain: 500_000, kubernetes: 2_500_000 };
const coldStartBudgetMs = 300;

interface RunFigures {
  nodes: number;
  batchSize: number;
  makespanSeconds: number;
  /** The same plan with zero orchestration latency (Lambda 0 s, every Wait 1 s); null when not measured. */
  criticalPathSeconds: number | null;
  /** makespan / critical path. */
  overhead: number | null;
  oneAtATimeSeconds: number;
  /** one at a time / makespan. */
  speedup: number;
  stateTransitionsPerNode: number;
  lambdaInvocationsPerNode: number;
  maxPayloadBytes: number;
  maxHistoryEvents: number;
  executions: number;
  status: string;
  /** Invariants the world counted (PDB violations, pods lost, …): all 0 in a correct run. */
  invariantsBroken: number;
  nodesOnTarget: number;
  /** Real seconds the measurements took here. */
  benchSeconds: number;
}

interface Target {
  target: string;
  value: string;
  met: boolean;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function simulatedFigures(report: SimulationReport, scenarioCase: BenchCase) {
  const stats = report.executionStats;
  const targetAmi = (benchScenario(scenarioCase).execution.input as { amiId: string }).amiId;
  return {
    makespanSeconds: report.simulatedSeconds,
    stateTransitionsPerNode: round(report.stateTransitions / scenarioCase.nodes),
    lambdaInvocationsPerNode: round(report.lambdaInvocations / scenarioCase.nodes),
    maxPayloadBytes: Math.max(...stats.map((execution) => execution.maxPayloadBytes)),
    maxHistoryEvents: Math.max(...stats.map((execution) => execution.historyEvents)),
    executions: stats.length,
    status: report.status,
    invariantsBroken: Object.values(report.invariants).reduce((sum, count) => sum + count, 0),
    nodesOnTarget: report.instances.filter(
      (instance) =>
        instance.nodeGroup === 'win-a' && instance.state === 'running' && instance.amiId === targetAmi,
    ).length,
  };
}

async function measureRun(scenarioCase: BenchCase, withCriticalPath: boolean): Promise<RunFigures> {
  const started = performance.now();
  const measured = simulatedFigures(await simulate(benchScenario(scenarioCase)), scenarioCase);
  let criticalPathSeconds: number | null = null;
  if (withCriticalPath) {
    const ideal = benchScenario(scenarioCase);
    ideal.timing.lambdaSeconds = 0;
    criticalPathSeconds = (await simulate(ideal, { waitSeconds: 1 })).simulatedSeconds;
  }
  const baseline = await oneAtATimeSeconds(benchScenario(scenarioCase));
  return {
    ...scenarioCase,
    ...measured,
    criticalPathSeconds,
    overhead: criticalPathSeconds === null ? null : round(measured.makespanSeconds / criticalPathSeconds, 3),
    oneAtATimeSeconds: baseline,
    speedup: round(baseline / measured.makespanSeconds),
    benchSeconds: round((performance.now() - started) / 1000, 1),
  };
}

function targetsOf(runs: RunFigures[], functions: FunctionFigures[]): Target[] {
  const targets: Target[] = [];
  for (const run of runs) {
    const name = `${run.nodes} nodes`;
    targets.push({
      target: `${name}: rollout succeeds, every node on the AMI, no invariant broken`,
      value: `${run.status}, ${run.nodesOnTarget}/${run.nodes} on the AMI, ${run.invariantsBroken} broken`,
      met: run.status === 'SUCCEEDED' && run.nodesOnTarget === run.nodes && run.invariantsBroken === 0,
    });
    if ((run.nodes === 20 || run.nodes === 100) && run.overhead !== null) {
      targets.push({
        target: `${name}: makespan ≤ 1.10 × critical path`,
        value: `${run.overhead} (${run.makespanSeconds} s / ${run.criticalPathSeconds} s)`,
        met: run.overhead <= 1.1,
      });
    }
    if (run.nodes === 20 && run.batchSize === 4) {
      targets.push({
        target: `${name}, batches of 4: ≥ 4× faster than one at a time`,
        value: `${run.speedup}× (${run.oneAtATimeSeconds} s / ${run.makespanSeconds} s)`,
        met: run.speedup >= 4,
      });
    }
    targets.push(
      {
        target: `${name}: ≤ 30 state transitions per replaced node`,
        value: String(run.stateTransitionsPerNode),
        met: run.stateTransitionsPerNode <= 30,
      },
      {
        target: `${name}: ≤ 15 Lambda invocations per replaced node`,
        value: String(run.lambdaInvocationsPerNode),
        met: run.lambdaInvocationsPerNode <= 15,
      },
      {
        target: `${name}: no execution above 25,000 history events`,
        value: `${run.maxHistoryEvents} (${run.executions} execution${run.executions > 1 ? 's' : ''})`,
        met: run.maxHistoryEvents <= maxHistoryEvents,
      },
      {
        target: `${name}: no state payload above 256 KiB`,
        value: `${run.maxPayloadBytes} B`,
        met: run.maxPayloadBytes <= maxPayloadBytes,
      },
    );
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
        target: `${fn.name}: cold start ≤ ${coldStartBudgetMs} ms (median)`,
        value: `${fn.coldStartMs} ms`,
        met: fn.coldStartMs <= coldStartBudgetMs,
      },
    );
  }
  return targets;
}

const duration = (seconds: number | null) => {
  if (seconds === null) return 'not run';
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.round((seconds % 3600) / 60);
  return hours > 0 ? `${hours} h ${String(minutes).padStart(2, '0')} min` : `${minutes} min`;
};

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

function printTables(runs: RunFigures[], functions: FunctionFigures[], targets: Target[]): void {
  console.log(
    table(
      [
        'nodes',
        'batch',
        'makespan',
        'critical path',
        'overhead',
        'one at a time',
        'speed-up',
        'transitions/node',
        'Lambda calls/node',
        'max payload',
        'max history',
        'executions',
      ],
      runs.map((run) => [
        String(run.nodes),
        String(run.batchSize),
        `${duration(run.makespanSeconds)} (${run.makespanSeconds} s)`,
        run.criticalPathSeconds === null ? 'not run' : `${run.criticalPathSeconds} s`,
        run.overhead === null ? '–' : `${run.overhead}`,
        `${duration(run.oneAtATimeSeconds)}`,
        `${run.speedup}×`,
        String(run.stateTransitionsPerNode),
        String(run.lambdaInvocationsPerNode),
        `${(run.maxPayloadBytes / 1024).toFixed(1)} KiB`,
        String(run.maxHistoryEvents),
        String(run.executions),
      ]),
    ),
  );
  console.log();
  console.log(
    table(
      ['function', 'bundle', 'Kubernetes', 'cold start (median)'],
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

interface BenchOptions {
  json: boolean;
  full: boolean;
  cases: BenchCase[];
}

const usageError = (problem: string): number => {
  console.error(`${problem}\n\n${usage}`);
  return 2;
};

/** What to run, or the exit status when the command line asks for nothing to run (help, bad usage). */
function commandLine(argv: string[]): BenchOptions | number {
  const flags = {
    json: { type: 'boolean' },
    nodes: { type: 'string' },
    full: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof flags }>>['values'];
  try {
    values = parseArgs({ args: argv, options: flags }).values;
  } catch (error) {
    return usageError((error as Error).message);
  }
  if (values.help) return usageHelp();
  const sizes = values.nodes?.split(',').map(Number) ?? cases.map((scenarioCase) => scenarioCase.nodes);
  const selected = cases.filter((scenarioCase) => sizes.includes(scenarioCase.nodes));
  if (selected.length !== sizes.length)
    return usageError(`--nodes takes some of ${cases.map((scenarioCase) => scenarioCase.nodes).join(', ')}`);
  return { json: values.json === true, full: values.full === true, cases: selected };
}

function usageHelp(): number {
  console.log(usage);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const options = commandLine(argv);
  if (typeof options === 'number') return options;
  const progress = (message: string) => {
    if (!options.json) console.error(message);
  };
  const started = performance.now();
  const runs: RunFigures[] = [];
  for (const scenarioCase of options.cases) {
    progress(`${scenarioCase.nodes} nodes, batches of ${scenarioCase.batchSize}…`);
    runs.push(await measureRun(scenarioCase, scenarioCase.nodes < 1000 || options.full));
  }
  progress('function bundles and cold starts…');
  const functions = await measureFunctions();
  const targets = targetsOf(runs, functions);
  const passed = targets.every((target) => target.met);
  const benchSeconds = round((performance.now() - started) / 1000, 1);
  if (options.json) {
    console.log(JSON.stringify({ runs, functions, targets, passed, benchSeconds }, null, 2));
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
