// `npm run check:asl`: the rollout definition run by a second, independent interpreter (moto's).
import { performance } from 'node:perf_hooks';
import { deployedDefinition } from '../definition.ts';
import { checkAsl, checkedScenarios, recordTraces } from './check.ts';
import { motoKnownWrong } from './compare.ts';

const started = performance.now();
const definitionFile = process.argv[2];
const recorded = await recordTraces();
const executions = recorded.reduce((count, { traces }) => count + traces.length, 0);
try {
  const found = await checkAsl(recorded, deployedDefinition(definitionFile));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (found.length > 0) {
    console.error(`moto and the simulator disagree on ${definitionFile ?? 'statemachine/rollout.asl.json'}:`);
    for (const difference of found) console.error(`  ${difference}`);
    process.exitCode = 1;
  } else {
    console.log(
      `moto agrees with the simulator on ${executions} executions of ${checkedScenarios.length} scenarios (${seconds} s); forgiven where moto is known wrong: ${motoKnownWrong.map(({ what }) => what).join('; ')}.`,
    );
  }
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
