import type { AmiSpec } from '../scenario.ts';
import type { Scheduler } from './clock.ts';
import type { Timeline } from './timeline.ts';

type FastLaunchSpec = NonNullable<AmiSpec['fastLaunch']>;

interface FastLaunchImage {
  spec: FastLaunchSpec;
  state: FastLaunchSpec['state'];
  stateTransitionTime: Date;
  /** Pre-provisioned snapshots ready now: EC2 does not report it, launches find out. */
  snapshots: number;
  /** Snapshots being made now (at most maxParallelLaunches). */
  making: number;
}

/**
 * EC2 Fast Launch of Windows AMIs, as https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/win-ami-config-fast-launch.html
 * describes it: `enabling` while EC2 launches, syspreps and snapshots temporary instances (then
 * `enabled`); a launch that finds a pre-provisioned snapshot boots faster ("up to 65%") and consumes
 * it; EC2 replenishes what launches consumed, a few at a time (MaxParallelLaunches). A launch that
 * finds none, or of an AMI in another state, boots the normal, slow way.
 */
export class FastLaunch {
  private readonly images = new Map<string, FastLaunchImage>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly timeline: Timeline,
  ) {}

  configure(imageId: string, spec: FastLaunchSpec): void {
    const image: FastLaunchImage = {
      spec,
      state: spec.state,
      stateTransitionTime: new Date(this.scheduler.now()),
      snapshots: spec.snapshots ?? (spec.state === 'enabled' ? spec.targetResourceCount : 0),
      making: 0,
    };
    this.images.set(imageId, image);
    if (spec.state === 'enabling') {
      this.scheduler.after(spec.enabledAfterSeconds, () => {
        if (image.state !== 'enabling') return;
        image.state = 'enabled';
        image.stateTransitionTime = new Date(this.scheduler.now());
        image.snapshots = spec.targetResourceCount;
        this.timeline.record('FastLaunchEnabled', { amiId: imageId, snapshots: image.snapshots });
      });
    } else if (spec.state === 'enabled') {
      this.replenish(imageId, image);
    }
  }

  /** DescribeFastLaunchImages' view: state and target, never the snapshots left. */
  describe(imageId: string) {
    const image = this.images.get(imageId);
    return image && { ...image.spec, state: image.state, stateTransitionTime: image.stateTransitionTime };
  }

  /** The boot time of a launch from this AMI that would take `normalSeconds` without Fast Launch. */
  bootSeconds(imageId: string, normalSeconds: number): number {
    const image = this.images.get(imageId);
    if (image?.state !== 'enabled' || image.snapshots === 0) {
      if (image?.state === 'enabled' || image?.state === 'enabling')
        this.timeline.record('FastLaunchMissed', { amiId: imageId, state: image.state });
      return normalSeconds;
    }
    image.snapshots--;
    this.timeline.record('FastLaunchSnapshotUsed', { amiId: imageId, snapshotsLeft: image.snapshots });
    this.replenish(imageId, image);
    return (normalSeconds * image.spec.bootPercent) / 100;
  }

  private replenish(imageId: string, image: FastLaunchImage): void {
    const { targetResourceCount, maxParallelLaunches, replenishSeconds } = image.spec;
    while (image.making < maxParallelLaunches && image.snapshots + image.making < targetResourceCount) {
      image.making++;
      this.scheduler.after(replenishSeconds, () => {
        image.making--;
        if (image.state !== 'enabled') return;
        image.snapshots++;
        this.timeline.record('FastLaunchSnapshotReady', { amiId: imageId, snapshots: image.snapshots });
        this.replenish(imageId, image);
      });
    }
  }
}
