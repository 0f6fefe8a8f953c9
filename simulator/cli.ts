import { parseArgs } from 'node:util';
import { summary } from './format.ts';
import { rehearse } from './rehearsal.ts';
import type { SimulationReport } from './runner.ts';
import { loadScenario, ScenarioError } from './scenario.ts';

const usage = `Usage: npm run simulate -- [--scenario FILE] [--json] [--out REPORT.json] [--k8s-http]

Rehearses a rollout of the real workflow against a simulated account and cluster.
  --scenario FILE  the scenario to run (default: the built-in mixed cluster)
  --json           print only the report, as JSON
  --out FILE       also write the report to FILE
  --k8s-http       send the workflow's Kubernetes calls over real HTTP (@kubernetes/client-node) to a
                   loopback API server backed by the simulated cluster
Exit status: 0 the rollout succeeded, 1 it did not, 2 bad usage or bad scenario.`;

const defaultScenario = new URL('./scenarios/default.json', import.meta.url);

async function main(argv: string[]): Promise<number> {
  let options: { scenario?: string; json?: boolean; out?: string; 'k8s-http'?: boolean; help?: boolean };
  try {
    ({ values: options } = parseArgs({
      args: argv,
      options: {
        scenario: { type: 'string' },
        json: { type: 'boolean' },
        out: { type: 'string' },
        'k8s-http': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (options.help) {
    console.log(usage);
    return 0;
  }
  let report: SimulationReport;
  try {
    const scenario = await loadScenario(options.scenario ?? defaultScenario);
    report = await rehearse(scenario, {
      json: options.json === true,
      out: options.out,
      k8sHttp: options['k8s-http'] === true,
      write: (text) => process.stdout.write(text),
    });
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    console.error(error.message);
    return 2;
  }
  if (!options.json) console.log(`\n${summary(report)}`);
  return report.status === 'SUCCEEDED' ? 0 : 1;
}

// Piped into `head`, the reader may leave early: stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await main(process.argv.slice(2));
