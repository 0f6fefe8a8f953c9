import type { RolloutInput } from '../../functions/commons/rollout-input.ts';
import type { Plan, Verified } from '../../functions/commons/state.ts';
import {
  awsOptions,
  type Command,
  checkInput,
  helpOption,
  inputFromFlags,
  inputOptions,
  jsonOption,
  type OptionValues,
  parseCommand,
  stringOption,
} from '../options.ts';
import type { Runtime } from '../runtime.ts';
import { scenarioFrom, scenarioInput } from '../scenario.ts';

interface Planned {
  input: RolloutInput;
  verified: Verified;
  plan: Plan;
}

/** A plan changes nothing, so it reports blockers instead of refusing on them, as a dry run does. */
const planInput = (raw: Record<string, unknown>) => checkInput({ ...raw, dryRun: true });

/** The workflow's own VerifyAmi and Plan steps, against the account and the cluster. */
async function planOnAws(values: OptionValues, runtime: Runtime): Promise<Planned> {
  const input = planInput(inputFromFlags(values));
  // Credentials first: without them, the one line that says so comes before the handlers load.
  const clients = await runtime.aws({
    region: stringOption(values, 'region'),
    profile: stringOption(values, 'profile'),
  });
  const [{ makeHandler: verifyAmi }, { makeHandler: planStep }, { lambdaContext }] = await Promise.all([
    import('../../functions/verify-ami.ts'),
    import('../../functions/plan.ts'),
    import('../../simulator/lambda-context.ts'),
  ]);
  const deps = { ...clients, kubernetes: runtime.kubernetes(clients.eks), now: Date.now };
  const verified = await verifyAmi(deps)({ input }, lambdaContext('cli'));
  return { input, verified, plan: await planStep(deps)({ input, verified }, lambdaContext('cli')) };
}

/** A dry run of the whole workflow in the simulated world: what `plan` would say against that account. */
async function planOnScenario(file: string, values: OptionValues): Promise<Planned> {
  const scenario = await scenarioFrom(file);
  const input = planInput(scenarioInput(scenario, inputFromFlags(values)));
  const { simulate } = await import('../../simulator/runner.ts');
  const report = await simulate({ ...scenario, execution: { input }, moreExecutions: [] });
  if (report.error) throw Object.assign(new Error(report.error.cause), { name: report.error.name });
  const { verified, plan } = report.output as { verified: Verified; plan: Plan };
  return { input, verified, plan };
}

export const plan: Command = {
  name: 'plan',
  summary: 'Show what a rollout would do, changing nothing.',
  details:
    "It runs the workflow's own VerifyAmi and Plan steps against the account and the cluster (or, with --scenario, " +
    'a dry run on the simulator), and prints each AMI check, the nodes of each batch, the pre-flight blockers and ' +
    'warnings, and an estimated duration. Exit status 1 when the rollout would be refused (a failed check, or ' +
    'blockers the flags given do not lift), 2 on bad usage.',
  usage: 'plan --cluster NAME --node-group NAME --ami AMI_ID [options]   or   plan --scenario FILE [options]',
  options: {
    ...inputOptions(['dryRun']),
    scenario: {
      type: 'string',
      value: 'FILE',
      description:
        "Plan against the simulator's account and cluster of this scenario; flags override its input.",
    },
    ...awsOptions,
    ...jsonOption,
    ...helpOption,
  },
  async run(argv, runtime) {
    const { values } = parseCommand(plan, argv);
    const file = stringOption(values, 'scenario');
    const {
      input,
      verified,
      plan: result,
    } = file ? await planOnScenario(file, values) : await planOnAws(values, runtime);
    const { formatPlan } = await import('../format.ts');
    runtime.stdout.write(
      values.json
        ? `${JSON.stringify({ input, verified, plan: result }, null, 2)}\n`
        : formatPlan(input, verified, result),
    );
    return result.refused ? 1 : 0;
  },
};
