import { writeFile } from 'node:fs/promises';
import { describeEvent } from './format.ts';
import { type SimulationReport, simulate } from './runner.ts';
import type { Scenario } from './scenario.ts';

export interface RehearsalOptions {
  /** Print only the JSON report instead of the steps as they happen. */
  json: boolean;
  /** Also write the JSON report to this file. */
  out?: string;
  k8sHttp?: boolean;
  write: (text: string) => void;
}

/**
 * Runs a scenario the way `npm run simulate` shows it: the scenario and each step as it happens, or
 * only the JSON report; the human summary is the caller's (the CLIs add different lines to it).
 */
export async function rehearse(scenario: Scenario, options: RehearsalOptions): Promise<SimulationReport> {
  const human = !options.json;
  if (human) options.write(`Scenario: ${scenario.description}\n`);
  const report = await simulate(scenario, {
    k8sHttp: options.k8sHttp === true,
    onEvent: (event) => {
      const line = human ? describeEvent(event) : undefined;
      if (line !== undefined) options.write(`${line}\n`);
    },
  });
  const json = JSON.stringify(report, null, 2);
  if (options.out !== undefined) await writeFile(options.out, `${json}\n`);
  if (!human) options.write(`${json}\n`);
  return report;
}
