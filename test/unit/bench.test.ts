import { describe, expect, it } from 'vitest';
import { prices, rolloutDollars } from '../../bench/prices.ts';
import { benchScenario } from '../../bench/scenario.ts';

describe('the bench', () => {
  it('prices a rollout: surge instance-hours, state transitions and Lambda GB-seconds at the stated prices', () => {
    expect(
      rolloutDollars({
        surgeInstanceHours: 0,
        stateTransitions: 0,
        lambdaInvocations: 0,
        lambdaSeconds: 0.3,
      }),
    ).toBe(0);
    expect(
      rolloutDollars({ surgeInstanceHours: 10, stateTransitions: 0, lambdaInvocations: 0, lambdaSeconds: 0 }),
    ).toBe(3.76);
    // 40,000 transitions at $0.025 per 1,000, 1 million 0.3 s invocations at 512 MB: $1 + $0.20 + $2.50.
    expect(
      rolloutDollars({
        surgeInstanceHours: 0,
        stateTransitions: 40_000,
        lambdaInvocations: 1_000_000,
        lambdaSeconds: 0.3,
      }),
    ).toBeCloseTo(1 + 0.2 + 1_000_000 * 0.15 * prices.lambdaGbSecond, 3);
  });

  it('builds each row of the timing matrix: boot, jitter, and the .NET image cached on the AMI or pulled', () => {
    const cached = benchScenario({ nodes: 20, batchSize: 4, bootSeconds: 150, jitterPercent: 20 });
    const pulled = benchScenario({ nodes: 20, batchSize: 4, imageCached: false });
    expect(cached.timing).toMatchObject({ instanceBootSeconds: 150, instanceBootJitterPercent: 20 });
    const dotnet = cached.workloads.find((workload) => workload.name === 'web')?.image ?? '';
    expect(cached.amis[0]?.cachedImages).toContain(dotnet);
    expect(pulled.amis[0]?.cachedImages).not.toContain(dotnet);
    expect(pulled.timing.instanceBootSeconds).toBe(420);
  });
});
