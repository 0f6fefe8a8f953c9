import { makeHandler as planHandler } from '../../functions/plan.ts';
import { makeHandler as verifyAmiHandler } from '../../functions/verify-ami.ts';
import { lambdaContext } from '../../simulator/lambda-context.ts';
import { formatPlan } from '../format.ts';
import {
  type Command,
  checkInput,
  commonOptions,
  inputFromFlags,
  inputOptions,
  parseCommand,
  stringOption,
} from '../options.ts';

export const plan: Command = {
  name: 'plan',
  summary: 'Show what a rollout would do, changing nothing.',
  details:
    "It runs the workflow's own VerifyAmi and Plan steps against the account and the cluster, and prints each AMI " +
    'check, the nodes of each batch, the pre-flight blockers and warnings, and an estimated duration. Exit status 1 ' +
    'when the rollout would be refused (a failed check, or blockers the flags given do not lift), 2 on bad usage.',
  usage: 'plan --cluster NAME --node-group NAME --ami AMI_ID [options]',
  options: { ...inputOptions(['dryRun']), ...commonOptions },
  async run(argv, runtime) {
    const { values } = parseCommand(plan, argv);
    // A plan changes nothing, so it reports blockers instead of refusing on them, as a dry run does.
    const input = checkInput({ ...inputFromFlags(values), dryRun: true });
    const clients = runtime.aws(stringOption(values, 'region'));
    const deps = { ...clients, kubernetes: runtime.kubernetes(clients.eks) };
    const verified = await verifyAmiHandler(deps)({ input }, lambdaContext('cli'));
    const result = await planHandler(deps)({ input, verified }, lambdaContext('cli'));
    runtime.stdout.write(
      values.json
        ? `${JSON.stringify({ input, verified, plan: result }, null, 2)}\n`
        : formatPlan(input, verified, result),
    );
    return result.refused ? 1 : 0;
  },
};
