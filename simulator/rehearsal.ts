import { writeFile } from 'node:fs/promises';
import { Narrator, summary } from './format.ts';
import { type SimulationReport, simulate } from './runner.ts';
import type { Scenario } from './scenario.ts';

export interface RehearsalOptions {
  /** `steps`: each step as it happens, then how it ended; `quiet`: only how it ended; `json`: only the report. */
  mode: 'steps' | 'quiet' | 'json';
  /** Also write the JSON report to this file. */
  out?: string;
  k8sHttp?: boolean;
  write: (text: string) => void;
}

/** Runs a scenario the way `eks-windows-patcher simulate` shows it. */
export async function rehearse(scenario: Scenario, options: RehearsalOptions): Promise<SimulationReport> {
  const { mode, write } = options;
  if (mode !== 'json') write(`Scenario: ${scenario.description}\n`);
  const narrator = mode === 'steps' ? new Narrator(write) : undefined;
  const report = await simulate(scenario, {
    k8sHttp: options.k8sHttp === true,
    ...(narrator && {
      onEvent: (event) => narrator.event(event),
      onTaskResult: (invocation, result) => narrator.result(invocation, result),
    }),
  });
  const json = JSON.stringify(report, null, 2);
  if (options.out !== undefined) await writeFile(options.out, `${json}\n`);
  write(mode === 'json' ? `${json}\n` : `\n${summary(report)}\n`);
  return report;
}
