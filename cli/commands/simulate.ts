import { writeFile } from 'node:fs/promises';
import { renderReportHtml } from '../../report/html.ts';
import { timelineFromSimulation } from '../../report/timeline.ts';
import { summary } from '../../simulator/format.ts';
import { rehearse } from '../../simulator/rehearsal.ts';
import { loadScenario, type Scenario, ScenarioError } from '../../simulator/scenario.ts';
import { type Command, parseCommand, stringOption, UsageError } from '../options.ts';

export const defaultScenario = new URL('../../simulator/scenarios/default.json', import.meta.url);

async function scenarioFrom(file: string | undefined): Promise<Scenario> {
  try {
    return await loadScenario(file ?? defaultScenario);
  } catch (error) {
    throw error instanceof ScenarioError ? new UsageError(error.message) : error;
  }
}

export const simulate: Command = {
  name: 'simulate',
  summary: 'Rehearse a rollout of the real workflow on a simulated account and cluster.',
  details:
    'The same as `npm run simulate`: without --scenario, the built-in mixed cluster. Prints each step stamped ' +
    'with simulated time, then a summary. Exit status 0 when the rollout succeeded, 1 when it did not, 2 on bad ' +
    'usage or a bad scenario file.',
  usage: 'simulate [--scenario FILE] [options]',
  options: {
    scenario: {
      type: 'string',
      value: 'FILE',
      description: 'The scenario to run (default: the built-in one).',
    },
    json: { type: 'boolean', description: 'Print only the report, as JSON.' },
    out: { type: 'string', value: 'FILE', description: 'Also write the JSON report to FILE.' },
    report: {
      type: 'string',
      value: 'FILE.html',
      description: 'Also write the rollout report (a timeline of every node) as a self-contained HTML page.',
    },
    help: { type: 'boolean', description: 'Show this help.' },
  },
  async run(argv, runtime) {
    const { values } = parseCommand(simulate, argv);
    const human = !values.json;
    const scenario = await scenarioFrom(stringOption(values, 'scenario'));
    const out = stringOption(values, 'out');
    const report = await rehearse(scenario, {
      json: !human,
      ...(out ? { out } : {}),
      write: (text) => runtime.stdout.write(text),
    });
    const html = stringOption(values, 'report');
    if (html) await writeFile(html, renderReportHtml(timelineFromSimulation(report)));
    if (human) runtime.stdout.write(`\n${summary(report)}\n${html ? `Report: ${html}\n` : ''}`);
    return report.status === 'SUCCEEDED' ? 0 : 1;
  },
};
