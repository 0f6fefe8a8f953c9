import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { deployedDefinition } from '../definition.ts';
import { simulate } from '../runner.ts';
import { loadScenario } from '../scenario.ts';
import { stateMachineName } from '../stepfunctions.ts';
import type { ExecutionTrace } from '../trace.ts';
import { account, region } from '../world/catalog.ts';
import { differences, type MotoReplay } from './compare.ts';

const shared = (file: string) => new URL(`../../../shared/scenarios/${file}`, import.meta.url);
const own = (file: string) => new URL(`../../test/simulator/scenarios/${file}`, import.meta.url);

/** The runs replayed: each path through the definition that a cheap scenario reaches. */
export const checkedScenarios: { file: URL; reaches: string }[] = [
  { file: shared('basic.json'), reaches: 'success: every batch, Waits on boot, drain and termination' },
  { file: shared('throttling.json'), reaches: 'Retry of throttled Lambda errors' },
  { file: shared('bad-ami.json'), reaches: 'a failure caught on the Map, Rollback' },
  { file: shared('build-mismatch.json'), reaches: 'a refusal: RefuseRollout, RolloutFailed' },
  { file: shared('pdb-blocks.json'), reaches: 'DrainBlocked after drain rounds, Rollback' },
  { file: shared('dry-run.json'), reaches: 'a dry run: the plan as output' },
  { file: own('malformed-input.json'), reaches: 'InputRefused' },
  { file: own('handler-crash.json'), reaches: 'Retry of a crashed function' },
  { file: own('stuck-terminating.json'), reaches: 'DrainTimeout' },
  { file: own('window-weekend.json'), reaches: 'Timestamp Waits for a maintenance window' },
  { file: own('canary-bake.json'), reaches: 'Bake and its Waits' },
  { file: own('launch-failure.json'), reaches: 'LaunchFailed, Rollback' },
  {
    file: own('fast-launch-enabling.json'),
    reaches: 'the And/IsPresent Choice and Timestamp Waits for Fast Launch',
  },
];

/** A scenario's executions as the simulator ran them. */
export interface RecordedScenario {
  scenario: string;
  traces: ExecutionTrace[];
}

/** Runs each scenario in the simulator (aws-local-stepfunctions) and keeps every execution's trace. */
export async function recordTraces(
  files: URL[] = checkedScenarios.map(({ file }) => file),
): Promise<RecordedScenario[]> {
  const recorded: RecordedScenario[] = [];
  for (const file of files) {
    const traces: ExecutionTrace[] = [];
    await simulate(await loadScenario(file), { onExecutionTrace: (trace) => traces.push(trace) });
    recorded.push({ scenario: file.pathname.slice(file.pathname.lastIndexOf('/') + 1), traces });
  }
  return recorded;
}

/** moto is not there: the check cannot run, and says what to install. */
export class MotoMissing extends Error {
  override readonly name = 'MotoMissing';
}

/** Replays the traces on moto's Step Functions interpreter (a python3 process). */
export function replayOnMoto(
  definition: StateMachineDefinition,
  traces: ExecutionTrace[],
  python: string[] = ['python3'],
): Promise<MotoReplay[]> {
  const script = fileURLToPath(new URL('./moto_replay.py', import.meta.url));
  const [command = 'python3', ...args] = python;
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args, script], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => reject(new MotoMissing(`${command} cannot run (${error.message})`)));
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString();
      if (code === 3) return reject(new MotoMissing(stderr.trim()));
      if (code !== 0) return reject(new Error(`The moto replay failed (exit ${code}):\n${stderr}`));
      resolve((JSON.parse(Buffer.concat(out).toString()) as { replays: MotoReplay[] }).replays);
    });
    child.stdin.end(JSON.stringify({ definition, stateMachineName, account, region, traces }));
  });
}

/** Every difference between the simulator's runs and moto's replay of `definition`, by scenario and execution. */
export async function checkAsl(
  recorded: RecordedScenario[],
  definition: StateMachineDefinition = deployedDefinition(),
  python?: string[],
): Promise<string[]> {
  const runs = recorded.flatMap(({ scenario, traces }) => traces.map((trace) => ({ scenario, trace })));
  const replays = await replayOnMoto(
    definition,
    runs.map(({ trace }) => trace),
    python,
  );
  return runs.flatMap(({ scenario, trace }, index) => {
    const replay = replays[index];
    const where = `${scenario} ${trace.name}`;
    if (replay === undefined) return [`${where}: moto did not replay it`];
    return differences(trace, replay).map((difference) => `${where}: ${difference}`);
  });
}
