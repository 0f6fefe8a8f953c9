import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from './drain/command.ts';

// `npm run drain|cordon|uncordon -- --kubeconfig FILE --node NAME ...`; see cli/drain/options.ts.
process.exitCode = await runCommand(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  clock: { now: Date.now, sleep: (ms) => sleep(ms) },
});
