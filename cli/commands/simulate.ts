import { writeFile } from 'node:fs/promises';
import { type Command, helpOption, parseCommand, stringOption } from '../options.ts';
import { scenarioFrom } from '../scenario.ts';

export const simulate: Command = {
  name: 'simulate',
  summary: 'Rehearse a rollout of the real workflow on a simulated account and cluster.',
  details:
    '`npm run simulate` runs this command. Without --scenario, the built-in mixed cluster. Prints the plan, then ' +
    'each batch as it goes, stamped with simulated time, then how it ended. Exit status 0 when the rollout ' +
    'succeeded (with several executions, the one that ended last), 1 when it did not, 2 on bad usage or a bad ' +
    'scenario file.',
  usage: 'simulate [--scenario FILE] [options]',
  options: {
    scenario: {
      type: 'string',
      value: 'FILE',
      description: 'The scenario to run (default: the built-in one).',
    },
    json: { type: 'boolean', description: 'Print only the report, as JSON.' },
    quiet: { type: 'boolean', description: 'Print only how the rollout ended, not each step.' },
    out: { type: 'string', value: 'FILE', description: 'Also write the JSON report to FILE.' },
    report: {
      type: 'string',
      value: 'FILE.html',
      description: 'Also write the rollout report (a timeline of every node) as a self-contained HTML page.',
    },
    'k8s-http': {
      type: 'boolean',
      description:
        "Send the workflow's Kubernetes calls over real HTTP (@kubernetes/client-node) to a loopback API server " +
        'backed by the simulated cluster.',
    },
    ...helpOption,
  },
  async run(argv, runtime) {
    const { values } = parseCommand(simulate, argv);
    const scenario = await scenarioFrom(stringOption(values, 'scenario'));
    const out = stringOption(values, 'out');
    const [{ rehearse }, { finalExecution }] = await Promise.all([
      import('../../simulator/rehearsal.ts'),
      import('../../simulator/format.ts'),
    ]);
    const report = await rehearse(scenario, {
      mode: values.json ? 'json' : values.quiet ? 'quiet' : 'steps',
      k8sHttp: values['k8s-http'] === true,
      ...(out ? { out } : {}),
      write: (text) => runtime.stdout.write(text),
    });
    const html = stringOption(values, 'report');
    if (html) {
      const [{ renderReportHtml }, { timelineFromSimulation }] = await Promise.all([
        import('../../report/html.ts'),
        import('../../report/timeline.ts'),
      ]);
      await writeFile(html, renderReportHtml(timelineFromSimulation(report)));
      if (!values.json) runtime.stdout.write(`Report: ${html}\n`);
    }
    return finalExecution(report).status === 'SUCCEEDED' ? 0 : 1;
  },
};
