import { readFile, writeFile } from 'node:fs/promises';
import type { SimulationReport } from '../../simulator/runner.ts';
import { awsOptions, type Command, helpOption, parseCommand, stringOption, UsageError } from '../options.ts';

async function simulationReport(file: string): Promise<SimulationReport> {
  try {
    const report = JSON.parse(await readFile(file, 'utf8')) as SimulationReport;
    if (!Array.isArray(report.timeline)) throw new Error('no timeline: expected the JSON of simulate --out');
    return report;
  } catch (error) {
    throw new UsageError(`--simulation ${file}: ${(error as Error).message}`);
  }
}

export const report: Command = {
  name: 'report',
  summary: 'Write the HTML rollout report of an execution or of a simulated run.',
  details:
    'A self-contained page with one row per planned node: its batch, its replacement beside it, boot, wait for ' +
    'Ready, cordon, drain and termination on one time axis, refusals and the failure marked. From an execution ' +
    "(its history, following the executions it continued in) or from simulate's JSON report (--out).",
  usage:
    'report EXECUTION_ARN --out FILE.html [options]   or   report --simulation REPORT.json --out FILE.html',
  options: {
    out: { type: 'string', value: 'FILE.html', description: 'Where to write the page. Required.' },
    simulation: {
      type: 'string',
      value: 'REPORT.json',
      description: 'The JSON report of a simulated run (simulate --out), instead of an execution.',
    },
    ...awsOptions,
    ...helpOption,
  },
  async run(argv, runtime) {
    const { values, positionals } = parseCommand(report, argv, 1);
    const out = stringOption(values, 'out');
    if (!out) throw new UsageError('--out FILE.html is required: where to write the page.');
    const file = stringOption(values, 'simulation');
    const [executionArn] = positionals;
    if ((file === undefined) === (executionArn === undefined)) {
      throw new UsageError('Name either an EXECUTION_ARN or --simulation REPORT.json.');
    }
    const [{ renderReportHtml }, timelines] = await Promise.all([
      import('../../report/html.ts'),
      import('../../report/timeline.ts'),
    ]);
    let timeline: ReturnType<typeof timelines.timelineFromSimulation>;
    if (file) timeline = timelines.timelineFromSimulation(await simulationReport(file));
    else {
      const arn = String(executionArn);
      const [{ history, continuationArn }, { regionOfArn }, { readExecution }] = await Promise.all([
        import('./status.ts'),
        import('./start.ts'),
        import('../../report/history.ts'),
      ]);
      const { sfn } = await runtime.aws({
        region: stringOption(values, 'region') ?? regionOfArn(arn),
        profile: stringOption(values, 'profile'),
      });
      const runs = [readExecution(await history(sfn, arn))];
      for (let last = runs[0], next = arn; last?.continuedAs; last = runs.at(-1)) {
        next = continuationArn(next, last.continuedAs);
        runs.push(readExecution(await history(sfn, next)));
      }
      timeline = timelines.timelineFromExecution(runs, runtime.now());
    }
    await writeFile(out, renderReportHtml(timeline));
    runtime.stdout.write(`Report: ${out}\n`);
    return 0;
  },
};
