import { userInfo } from 'node:os';
import {
  type Command,
  commonOptions,
  parseCommand,
  SetupError,
  stringOption,
  UsageError,
} from '../options.ts';
import { regionOfArn } from './start.ts';

/**
 * The deployment's lock table: `<service>-<stage>-locks`, next to its state machine
 * `<service>-<stage>-rollout` (serverless.yml), unless named.
 */
export function lockTableOf(executionArn: string, named: string | undefined): string {
  if (named) return named;
  const machine = executionArn.split(':')[6] ?? '';
  if (!machine.endsWith('-rollout'))
    throw new UsageError(
      `Cannot tell the lock table from state machine ${machine || '?'}: pass --lock-table NAME or set LOCK_TABLE_NAME.`,
    );
  return `${machine.slice(0, -'rollout'.length)}locks`;
}

function pauseCommand(action: 'pause' | 'resume'): Command {
  const command: Command = {
    name: action,
    summary:
      action === 'pause'
        ? 'Pause a rollout at its next batch boundary (never mid-drain) until resumed.'
        : 'Resume a paused rollout: it goes on with its next batch.',
    details:
      action === 'pause'
        ? "Marks the rollout paused in its node group's lock (the DynamoDB lock table). The batch in progress " +
          'finishes; the execution then starts no next batch (nor its first change) and waits, holding the lock, ' +
          "until 'resume'. 'status' shows it paused. Exit status 1 when the execution is not running or holds no lock."
        : 'Lifts the pause in the lock table and wakes the waiting execution (SendTaskSuccess on the token it ' +
          'stored there). Exit status 1 when the rollout is not paused.',
    usage: `${action} EXECUTION_ARN${action === 'pause' ? ' [--reason TEXT]' : ''} [options]`,
    options: {
      ...(action === 'pause'
        ? { reason: { type: 'string', value: 'TEXT', description: 'Why; kept with the pause.' } }
        : {}),
      'lock-table': {
        type: 'string',
        value: 'NAME',
        description: 'The lock table (default: LOCK_TABLE_NAME, else <service>-<stage>-locks from the ARN).',
      },
      ...commonOptions,
    },
    async run(argv, runtime) {
      const { values, positionals } = parseCommand(command, argv, 1);
      const [executionArn] = positionals;
      if (!executionArn) throw new UsageError('Expected the EXECUTION_ARN of the rollout.');
      const table = lockTableOf(
        executionArn,
        stringOption(values, 'lock-table') ?? runtime.env.LOCK_TABLE_NAME,
      );
      const clients = await runtime.aws({
        region: stringOption(values, 'region') ?? regionOfArn(executionArn),
        profile: stringOption(values, 'profile'),
      });
      const { pauseRollout, resumeRollout } = await import('../../functions/adapters/pause.ts');
      const who = userInfo().username;
      const outcome =
        action === 'pause'
          ? await pauseRollout(clients, table, executionArn, {
              at: runtime.now(),
              by: who,
              reason: stringOption(values, 'reason') ?? '',
            })
          : await resumeRollout(clients, table, executionArn, who);
      if (!outcome.done) throw new SetupError(outcome.message);
      runtime.stdout.write(
        values.json
          ? `${JSON.stringify({ executionArn, action })}\n`
          : action === 'pause'
            ? `Paused: ${executionArn}\nThe batch in progress finishes; no next batch starts until 'eks-windows-patcher resume ${executionArn}'.\n`
            : `Resumed: ${executionArn}\n`,
      );
      return 0;
    },
  };
  return command;
}

export const pause = pauseCommand('pause');
export const resume = pauseCommand('resume');
