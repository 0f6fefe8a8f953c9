#!/usr/bin/env node
if (Number(process.versions.node.split('.')[0]) < 22) {
  console.error(
    `eks-windows-patcher needs Node.js 22 (this is ${process.version}): run it with npx or npm run cli, which use the project's Node.`,
  );
  process.exit(2);
}

// The handlers' Powertools logger, tracer and metrics are for Lambda; on a terminal they would only add noise.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

// Piped into `head`, the reader may leave early: stop quietly, as other command-line tools do.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

const argv = process.argv.slice(2);
// Help and --version come from the command table alone, which Node's own type stripping loads at
// once; a command that runs needs tsx for the rest of the code (parameter properties, JSON imports).
const answersAlone =
  argv.length === 0 ||
  argv.includes('--help') ||
  argv.includes('-h') ||
  ['help', 'version', '--version', '-V'].includes(argv[0]);
if (!answersAlone || !process.features.typescript) {
  const { register } = await import('tsx/esm/api');
  register();
}
const { main } = await import('./main.ts');
const { defaultRuntime } = await import('./runtime.ts');
process.exitCode = await main(argv, defaultRuntime());
