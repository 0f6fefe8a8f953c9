import { writeFile } from 'node:fs/promises';
import type { HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { type Command, commonOptions, parseCommand, stringOption, UsageError } from '../options.ts';
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

export const status: Command = {
  name: 'status',
  summary: 'Show or follow the progress of a rollout.',
  details:
    'From the execution history: nodes replaced of total, the current batch and step, the pods a waiting drain ' +
    'is blocked on, and the error and its cause when it failed. Exit status 1 when the execution ended in any ' +
    'other status than SUCCEEDED.',
  usage: 'status EXECUTION_ARN [options]',
  options: {
    watch: { type: 'boolean', description: `Follow the execution (every ${pollSeconds} s) until it ends.` },
    report: {
      type: 'string',
      value: 'FILE.html',
      description: 'Also write the rollout report (a timeline of every node) as a self-contained HTML page.',
    },
    ...commonOptions,
  },
  async run(argv, runtime) {
    const { values, positionals } = parseCommand(status, argv, 1);
    const [executionArn] = positionals;
    if (!executionArn) throw new UsageError('Expected the EXECUTION_ARN of the rollout.');
    const [{ sfn }, { readExecution }, { formatStatus, progressLine, statusSummary }] = await Promise.all([
      runtime.aws({
        region: stringOption(values, 'region') ?? regionOfArn(executionArn),
        profile: stringOption(values, 'profile'),
      }),
      import('../../report/history.ts'),
      import('../format.ts'),
    ]);
    let run = readExecution(await history(sfn, executionArn));
    if (values.watch) {
      const live = runtime.stdout.isTTY === true;
      let shown = '';
      while (run.status === 'RUNNING') {
        // A log file gets a line per change; a terminal, one line redrawn with the time it has run.
        const line = progressLine(executionArn, run, live ? runtime.now() : undefined);
        if (!values.json && line !== shown) runtime.stdout.write(live ? `\r\u001b[2K${line}` : `${line}\n`);
        shown = line;
        await runtime.sleep(pollSeconds * 1000);
        run = readExecution(await history(sfn, executionArn));
      }
      if (live && shown && !values.json) runtime.stdout.write('\n');
    }
    const now = runtime.now();
    runtime.stdout.write(
      values.json
        ? `${JSON.stringify(statusSummary(executionArn, run), null, 2)}\n`
        : formatStatus(executionArn, run, now),
    );
    const report = stringOption(values, 'report');
    if (report) {
      const [{ renderReportHtml }, { timelineFromExecution }] = await Promise.all([
        import('../../report/html.ts'),
        import('../../report/timeline.ts'),
      ]);
      await writeFile(report, renderReportHtml(timelineFromExecution(run, now)));
      if (!values.json) runtime.stdout.write(`Report: ${report}\n`);
    }
    return run.status === 'RUNNING' || run.status === 'SUCCEEDED' ? 0 : 1;
  },
};
