import { writeFile } from 'node:fs/promises';
import type { HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionRun } from '../../report/history.ts';
import type { RolloutTimeline } from '../../report/timeline.ts';
import {
  type Command,
  commonOptions,
  type OptionValues,
  parseCommand,
  stringOption,
  UsageError,
} from '../options.ts';
import type { Runtime } from '../runtime.ts';
import { scenarioFrom } from '../scenario.ts';
import { regionOfArn } from './start.ts';

export const pollSeconds = 10;

/** Every page of the execution's history. */
export async function history(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const { paginateGetExecutionHistory } = await import('@aws-sdk/client-sfn');
  const events: HistoryEvent[] = [];
  for await (const page of paginateGetExecutionHistory({ client: sfn, pageSize: 1000 }, { executionArn })) {
    events.push(...(page.events ?? []));
  }
  return events;
}

/** The ARN of the execution a rollout continued in: same state machine, the name Finish returned. */
export const continuationArn = (executionArn: string, name: string) =>
  `${executionArn.slice(0, executionArn.lastIndexOf(':') + 1)}${name}`;

/** What following an execution needs: where to read it, where to print, and the clock it is read on. */
interface Follower {
  sfn: SFNClient;
  runtime: Pick<Runtime, 'stdout' | 'now' | 'sleep'>;
  values: OptionValues;
  /** A simulated execution has no console page. */
  simulated: boolean;
}

/** Reads the execution (with --watch, until it ends) and, unless --json, prints where it stands. */
async function follow({ sfn, runtime, values, simulated }: Follower, executionArn: string) {
  const [{ readExecution }, { formatStatus, progressLine, statusSummary }] = await Promise.all([
    import('../../report/history.ts'),
    import('../format.ts'),
  ]);
  let run = readExecution(await history(sfn, executionArn));
  if (values.watch) {
    const live = runtime.stdout.isTTY === true && !simulated;
    let shown = '';
    while (run.status === 'RUNNING') {
      // A log file gets a line per change; a terminal, one line redrawn with the time it has run.
      // A replay stamps each line with the simulated time it stood so.
      const line = progressLine(executionArn, run, live || simulated ? runtime.now() : undefined);
      if (!values.json && line !== shown) runtime.stdout.write(live ? `\r\u001b[2K${line}` : `${line}\n`);
      shown = line;
      await runtime.sleep(pollSeconds * 1000);
      run = readExecution(await history(sfn, executionArn));
    }
    if (live && shown && !values.json) runtime.stdout.write('\n');
  }
  if (!values.json)
    runtime.stdout.write(formatStatus(executionArn, run, runtime.now(), { console: !simulated }));
  return { arn: executionArn, run, summary: statusSummary(executionArn, run) };
}

type Followed = Awaited<ReturnType<typeof follow>>;

/** --json: one document, the execution's summary, or the list of them when there are several. */
function printJson(followed: Followed[], values: OptionValues, runtime: Runtime): void {
  if (!values.json) return;
  const summaries = followed.map((f) => f.summary);
  runtime.stdout.write(`${JSON.stringify(summaries.length === 1 ? summaries[0] : summaries, null, 2)}\n`);
}

const exitStatus = (run: ExecutionRun) => (run.status === 'RUNNING' || run.status === 'SUCCEEDED' ? 0 : 1);

async function writeReport(file: string, timeline: RolloutTimeline, values: OptionValues, runtime: Runtime) {
  const { renderReportHtml } = await import('../../report/html.ts');
  await writeFile(file, renderReportHtml(timeline));
  if (!values.json) runtime.stdout.write(`Report: ${file}\n`);
}

/**
 * The scenario run on the simulator, then each of its executions (or the one named) read from the
 * simulated Step Functions as `status` reads AWS: as they ended or, with --watch, replayed from the
 * first start on the simulated clock, a poll every 10 simulated seconds.
 */
async function statusOfScenario(
  file: string,
  only: string | undefined,
  values: OptionValues,
  runtime: Runtime,
): Promise<number> {
  const scenario = await scenarioFrom(file);
  const [{ simulate }, { stepFunctionsAt }] = await Promise.all([
    import('../../simulator/runner.ts'),
    import('../../simulator/aws.ts'),
  ]);
  let world: Parameters<typeof stepFunctionsAt>[0] | undefined;
  let stepFunctions: Parameters<typeof stepFunctionsAt>[1] | undefined;
  const report = await simulate(scenario, {
    onWorld: (w) => {
      world = w;
    },
    onStepFunctions: (s) => {
      stepFunctions = s;
    },
  });
  if (!world || !stepFunctions) throw new Error('The simulation did not start');
  const executions = stepFunctions.executions.filter(
    (execution) => only === undefined || execution.arn === only || execution.name === only,
  );
  if (executions.length === 0) {
    const names = stepFunctions.executions.map((execution) => execution.name).join(', ') || 'none';
    throw new UsageError(`No execution ${only} in this scenario; it ran: ${names}.`);
  }
  const end = world.scheduler.now();
  let now = values.watch ? (executions[0]?.startDate.getTime() ?? end) : end;
  const sfn = stepFunctionsAt(world, stepFunctions, () => new Date(now));
  const clock = {
    stdout: runtime.stdout,
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
  const followed: Followed[] = [];
  for (const execution of executions) {
    now = Math.max(now, execution.startDate.getTime());
    if (followed.length > 0 && !values.json) runtime.stdout.write('\n');
    followed.push(await follow({ sfn, runtime: clock, values, simulated: true }, execution.arn));
  }
  printJson(followed, values, runtime);
  const reportFile = stringOption(values, 'report');
  if (reportFile) {
    const { timelineFromSimulation } = await import('../../report/timeline.ts');
    await writeReport(reportFile, timelineFromSimulation(report), values, runtime);
  }
  // The rollout ended as the execution that ended last ended, as `simulate` and the report say.
  const last = followed
    .map((f) => f.run)
    .sort((a, b) => (a.stoppedAt ?? end) - (b.stoppedAt ?? end))
    .at(-1);
  return last ? exitStatus(last) : 1;
}

export const status: Command = {
  name: 'status',
  summary: 'Show or follow the progress of a rollout.',
  details:
    'From the execution history: nodes replaced of total, the current batch and step, the pods a waiting drain ' +
    'is blocked on, and the error and its cause when it failed. A rollout continued in a new execution is ' +
    'followed into it. Exit status 1 when the rollout ended in any other status than SUCCEEDED. With ' +
    '--scenario, the scenario runs on the simulator and each of its executions is read as from AWS (--watch ' +
    'replays them on the simulated clock); the exit status is that of the execution that ended last.',
  usage: 'status EXECUTION_ARN [options]   or   status --scenario FILE [EXECUTION_NAME] [options]',
  options: {
    watch: { type: 'boolean', description: `Follow the execution (every ${pollSeconds} s) until it ends.` },
    report: {
      type: 'string',
      value: 'FILE.html',
      description: 'Also write the rollout report (a timeline of every node) as a self-contained HTML page.',
    },
    scenario: {
      type: 'string',
      value: 'FILE',
      description: 'Run this scenario on the simulator and show its executions instead of one on AWS.',
    },
    ...commonOptions,
  },
  async run(argv, runtime) {
    const { values, positionals } = parseCommand(status, argv, 1);
    const [executionArn] = positionals;
    const scenario = stringOption(values, 'scenario');
    if (scenario) return statusOfScenario(scenario, executionArn, values, runtime);
    if (!executionArn) throw new UsageError('Expected the EXECUTION_ARN of the rollout, or --scenario FILE.');
    const { sfn } = await runtime.aws({
      region: stringOption(values, 'region') ?? regionOfArn(executionArn),
      profile: stringOption(values, 'profile'),
    });
    const follower = { sfn, runtime, values, simulated: false };
    const followed = [await follow(follower, executionArn)];
    // A large group's rollout goes on in the execution it continued as (same state machine).
    for (let last = followed[0]; last?.run.continuedAs; last = followed.at(-1)) {
      if (!values.json) runtime.stdout.write(`\nContinued as ${last.run.continuedAs}:\n`);
      followed.push(await follow(follower, continuationArn(last.arn, last.run.continuedAs)));
    }
    printJson(followed, values, runtime);
    const reportFile = stringOption(values, 'report');
    if (reportFile) {
      const { timelineFromExecution } = await import('../../report/timeline.ts');
      await writeReport(
        reportFile,
        timelineFromExecution(
          followed.map((f) => f.run),
          runtime.now(),
        ),
        values,
        runtime,
      );
    }
    const last = followed.at(-1);
    return last ? exitStatus(last.run) : 1;
  },
};
