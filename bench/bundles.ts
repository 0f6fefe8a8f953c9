import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';

const run = promisify(execFile);
const functionsDir = new URL('../functions/', import.meta.url);

export interface FunctionFigures {
  name: string;
  bundleBytes: number;
  /** Whether the bundle carries @kubernetes/client-node (its size budget is larger). */
  kubernetes: boolean;
  coldStartMs: number;
}

/** serverless.yml's esbuild settings (custom.esbuild, its plugins too), with the output in a temporary folder. */
export const serverlessEsbuild: BuildOptions = {
  bundle: true,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  target: 'node22',
  platform: 'node',
  format: 'esm',
  outExtension: { '.js': '.mjs' },
  mainFields: ['module', 'main'],
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  metafile: true,
  logLevel: 'silent',
  plugins: createRequire(import.meta.url)('../esbuild-plugins.cjs'),
};

/** The environment serverless.yml gives the functions (source maps on, as in production); Powertools quiet. */
export const lambdaEnvironment = {
  NODE_OPTIONS: '--enable-source-maps',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'bench',
  NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:eks-windows-patcher-notifications',
  LOCK_TABLE_NAME: 'eks-windows-patcher-locks',
  TARGET_TAG_KEY: 'eks-windows-patcher/enabled',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111122223333:stateMachine:eks-windows-patcher-rollout',
  CLUSTER_NAMES: 'prod',
  PROMOTION_STATE_MACHINE_ARN:
    'arn:aws:states:us-east-1:111122223333:stateMachine:eks-windows-patcher-promotion',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
};

/** A fresh Node process imports the bundle (the module's initialisation runs) and prints how long it took. */
const importTimer = `const t = performance.now(); await import(process.argv[1]); console.log(performance.now() - t);`;

export const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

export async function measureFunctions(coldStartRuns = 9): Promise<FunctionFigures[]> {
  const sources = (await readdir(functionsDir)).filter((file) => file.endsWith('.ts')).sort();
  const outdir = await mkdtemp(join(tmpdir(), 'bench-bundles-'));
  try {
    const figures: FunctionFigures[] = [];
    for (const source of sources) {
      const name = source.replace(/\.ts$/, '');
      const result = await build({
        ...serverlessEsbuild,
        entryPoints: [join(functionsDir.pathname, source)],
        outdir,
      });
      const bundle = join(outdir, `${name}.mjs`);
      const inputs = Object.keys(result.metafile?.inputs ?? {});
      const times: number[] = [];
      for (let i = 0; i < coldStartRuns; i++) {
        const { stdout } = await run(process.execPath, ['--input-type=module', '-e', importTimer, bundle], {
          env: { PATH: process.env.PATH, ...lambdaEnvironment },
        });
        times.push(Number(stdout.trim()));
      }
      figures.push({
        name,
        bundleBytes: (await stat(bundle)).size,
        kubernetes: inputs.some((input) => input.includes('@kubernetes/client-node')),
        coldStartMs: Math.round(median(times)),
      });
    }
    return figures;
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}
