import { describe, expect, it } from 'vitest';
import { testRuntime } from './runtime-fixture.ts';

describe('eks-windows-patcher', () => {
  it('lists its commands with --help', async () => {
    const { run, output } = testRuntime();
    expect(await run('--help')).toBe(0);
    for (const command of ['plan', 'start', 'status', 'report', 'simulate', 'drain', 'cordon', 'uncordon'])
      expect(output.stdout).toContain(`  ${command} `);
  });

  it.each(['plan', 'start', 'status', 'report', 'simulate', 'drain', 'cordon', 'uncordon'])(
    'explains %s and its options with --help',
    async (command) => {
      const { run, output } = testRuntime();
      expect(await run(command, '--help')).toBe(0);
      expect(output.stdout).toMatch(new RegExp(`^Usage: eks-windows-patcher ${command} `));
      expect(output.stdout).toContain('  --help ');
    },
  );

  it('documents the input knobs from the schema, with their defaults', async () => {
    const { run, output } = testRuntime();
    await run('start', '--help');
    expect(output.stdout).toMatch(
      /--drain-timeout-seconds N +Deadline for draining one batch.* Default: 900\./,
    );
    expect(output.stdout).toMatch(/--dry-run +Verify and plan only; change nothing\./);
  });

  it.each(['plan', 'start', 'status', 'report'])(
    'offers --profile and --region where %s calls AWS',
    async (command) => {
      const { run, output } = testRuntime();
      await run(command, '--help');
      expect(output.stdout).toMatch(/ {2}--profile NAME +AWS profile/);
      expect(output.stdout).toMatch(/ {2}--region REGION +AWS region/);
    },
  );

  it('offers managed and self-managed node groups in the help of --node-group', async () => {
    const { run, output } = testRuntime();
    await run('plan', '--help');
    expect(output.stdout).toMatch(
      /--node-group NAME +The node group: an EKS managed node group's name, or a self-managed/,
    );
  });

  it('refuses an unknown command with the usage and exit status 2', async () => {
    const { run, output } = testRuntime();
    expect(await run('rollout')).toBe(2);
    expect(output.stderr).toContain('Unknown command: rollout');
    expect(output.stderr).toContain('Usage: eks-windows-patcher <command>');
  });
});
