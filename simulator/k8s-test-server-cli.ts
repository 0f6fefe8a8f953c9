import './handler-environment.ts';
import { parseArgs } from 'node:util';
import { startKubernetesTestServer } from './k8s-http-server.ts';
import { SimulatedKubernetes } from './kubernetes.ts';
import { loadScenario, ScenarioError } from './scenario.ts';
import type { Scheduler } from './world/clock.ts';
import { simulationStart } from './world/clock.ts';
import { World } from './world.ts';

const usage = `Usage: npm run k8s-test-server -- [--scenario FILE] [--port N] [--speed N]

Serves the simulated cluster of a scenario as a Kubernetes API on 127.0.0.1, so kubectl and
npm run drain can be tried against it. Prints the path of a kubeconfig for it; stop with Ctrl-C.
  --scenario FILE  the scenario whose cluster to serve (default: the built-in mixed cluster)
  --port N         the port to listen on (default: any free port)
  --speed N        simulated seconds per real second: grace periods, pod starts, boots (default 60)`;

const defaultScenario = new URL('./scenarios/default.json', import.meta.url);

/** The world's clock in real time, sped up: a 30 s grace period passes in half a second at 60×. */
function realTimeScheduler(speed: number): Scheduler {
  const startedAt = Date.now();
  return {
    now: () => simulationStart + (Date.now() - startedAt) * speed,
    after: (seconds, action) => {
      setTimeout(action, (seconds * 1000) / speed);
    },
  };
}

const numberFlag = (
  flag: string,
  text: string | undefined,
  fallback: number,
  valid: (n: number) => boolean,
) => {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!valid(value)) throw new ScenarioError(flag, [`${flag}: "${text}" is not valid (see --help)`]);
  return value;
};

async function main(argv: string[]): Promise<number> {
  let options: { scenario?: string; port?: string; speed?: string; help?: boolean };
  try {
    ({ values: options } = parseArgs({
      args: argv,
      options: {
        scenario: { type: 'string' },
        port: { type: 'string' },
        speed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (options.help) {
    console.log(usage);
    return 0;
  }
  try {
    const scenario = await loadScenario(options.scenario ?? defaultScenario);
    const world = new World(
      scenario,
      realTimeScheduler(numberFlag('--speed', options.speed, 60, (n) => n > 0 && n <= 3600)),
    );
    const server = await startKubernetesTestServer(new SimulatedKubernetes(world), {
      port: numberFlag('--port', options.port, 0, (n) => Number.isInteger(n) && n >= 0 && n <= 65_535),
    });
    console.log(`Kubernetes API of "${scenario.description}" at ${server.url}`);
    console.log(`kubeconfig: ${server.kubeconfigPath}`);
    console.log(`Try: kubectl --kubeconfig ${server.kubeconfigPath} get nodes`);
    const stop = () => void server.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return 0;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EADDRINUSE') {
      console.error(
        `--port ${options.port}: the port is in use; choose another, or leave --port out for a free one.`,
      );
      return 1;
    }
    if (!(error instanceof ScenarioError)) throw error;
    console.error(error.message);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
