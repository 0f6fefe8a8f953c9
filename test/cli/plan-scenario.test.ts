import { describe, expect, it } from 'vitest';
import { testRuntime } from './runtime-fixture.ts';

// Its own file: the simulator's clients must not meet another test's aws-sdk-client-mock.
describe('plan --scenario', () => {
  it("plans against the scenario's simulated account, without AWS", async () => {
    const { run, output } = testRuntime({ aws: () => Promise.reject(new Error('no AWS call expected')) });
    const status = await run(
      'plan',
      '--scenario',
      'simulator/scenarios/default.json',
      '--max-unavailable',
      '3',
    );
    expect(output.stderr).toBe('');
    expect(status).toBe(0);
    expect(output.stdout).toContain('Plan: prod/win-a to ami-0ccc0000000000003');
    expect(output.stdout).toContain('5 nodes to replace (0 already on the AMI), in 2 batches of at most 3:');
    expect(output.stdout).toMatch(/^ {2}batch 1: ip-[\d-]+\.ec2\.internal \(i-\w+\), .*, .*$/m);
    // Two batches of 3 and 2: three ahead launches both at once.
    expect(output.stdout).toContain(
      "Replacements boot 3 batches ahead (surgeBatches 3, the default for this group): at most 5 instances above the group's size.",
    );
  });

  it('says why the simulated workflow refused the plan, and exits 1', async () => {
    const { run, output } = testRuntime();
    const status = await run(
      'plan',
      '--scenario',
      'simulator/scenarios/default.json',
      '--node-group',
      'linux',
    );
    expect(status).toBe(1);
    expect(output.stderr).toMatch(/^NodeGroupNotWindows: Node group linux runs non-Windows nodes/);
  });
});
