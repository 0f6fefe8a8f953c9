import { hashOf, Random } from './random.ts';

/**
 * How long each launched instance takes to become a Ready node: `timing.instanceBootSeconds`, give or
 * take up to `timing.instanceBootJitterPercent`, drawn from the scenario's `seed`. The draws have their
 * own stream, so jitter does not move the ids the rest of the world draws.
 */
export class BootTimes {
  private readonly random: Random;

  constructor(
    private readonly seconds: number,
    private readonly jitterPercent: number,
    seed: number,
  ) {
    this.random = new Random(hashOf(`instance-boot:${seed}`));
  }

  /** The next launch's boot time, in seconds. */
  next(): number {
    if (this.jitterPercent === 0) return this.seconds;
    const spread = ((this.random.next() * 2 - 1) * this.jitterPercent) / 100;
    return this.seconds * (1 + spread);
  }
}
