import '../simulator/handler-environment.ts';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { simulate } from '../simulator/runner.ts';
import { median } from './bundles.ts';
import { type BenchCase, benchScenario } from './scenario.ts';

const thisModule = fileURLToPath(import.meta.url);

export interface SimulatorCpu {
  /** The median of the runs, in CPU seconds (user and system, all threads). */
  seconds: number;
  runs: number[];
}

/** CPU seconds (user and system, all threads) since `since`, to a tenth. */
export function cpuSeconds(since: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since);
  return Math.round((user + system) / 1e5) / 10;
}

/** One simulation in a Node.js process of its own: no heap or garbage left by the rows before it. */
function cpuOfOneRun(scenarioCase: BenchCase): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(thisModule, [JSON.stringify(scenarioCase)], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let seconds: number | undefined;
    child.on('message', (message) => {
      seconds = Number(message);
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      seconds === undefined
        ? reject(new Error(`the CPU measurement of ${scenarioCase.nodes} nodes exited with ${code}`))
        : resolve(seconds),
    );
  });
}

/**
 * The simulator's own CPU for a group size: the median of fresh processes, one after the other. In
 * the bench's process the same run varied by a fifth with what the rows before it left on the heap.
 */
export async function simulatorCpu(scenarioCase: BenchCase, runs = 3): Promise<SimulatorCpu> {
  const seconds: number[] = [];
  for (let run = 0; run < runs; run++) seconds.push(await cpuOfOneRun(scenarioCase));
  return { seconds: median(seconds), runs: seconds };
}

if (process.argv[1] === thisModule && process.send) {
  const scenarioCase = JSON.parse(process.argv[2] ?? '{}') as BenchCase;
  const cpu = process.cpuUsage();
  const report = await simulate(benchScenario(scenarioCase));
  const seconds = cpuSeconds(cpu);
  if (report.status !== 'SUCCEEDED') throw new Error(`${scenarioCase.nodes} nodes: ${report.status}`);
  process.send(seconds, () => process.exit(0));
}
