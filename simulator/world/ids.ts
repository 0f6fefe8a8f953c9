import { kubernetesNameAlphabet, type Random } from './random.ts';

/** Random draws for a fresh address before a freed one is reused: past the first few, the subnet is nearly full. */
const freshIpDraws = 64;
/** The addresses `privateIp` draws from in one zone: 32 × 250. */
const ipsPerZone = 32 * 250;

/** Identifiers that look like the real ones and never repeat within a world (a pod address only once its subnet runs short). */
export class Ids {
  private readonly used = new Set<string>();
  /** Addresses pods gave back, by zone: reused only once random draws stop finding fresh ones. */
  private readonly freedIps = new Map<number, Set<string>>();
  /** Fresh addresses handed out, by zone. */
  private readonly issuedIps = new Map<number, number>();

  constructor(readonly random: Random) {}

  private unique(make: () => string): string {
    let id = make();
    while (this.used.has(id)) id = make();
    this.used.add(id);
    return id;
  }

  /** `i-` and 17 hex digits. */
  instanceId(): string {
    return this.unique(() => `i-0${this.random.hex(16)}`);
  }

  /** An EC2-style id with a prefix: `lt-0…`, `subnet-0…`, `r-0…`. */
  resourceId(prefix: string): string {
    return this.unique(() => `${prefix}-0${this.random.hex(16)}`);
  }

  uuid(): string {
    return this.unique(() => this.random.uuid());
  }

  /**
   * A private address in the /19 of the zone's subnet: a fresh one while random draws find one soon,
   * else one a pod gave back (a subnet reuses freed addresses; a /19 holds about 8,000, fewer than the
   * pods a rollout of a large group starts over time).
   */
  privateIp(zoneIndex: number): string {
    const issued = this.issuedIps.get(zoneIndex) ?? 0;
    for (let draw = 1; ; draw++) {
      const ip = `10.0.${zoneIndex * 32 + this.random.int(32)}.${4 + this.random.int(250)}`;
      if (!this.used.has(ip)) {
        this.used.add(ip);
        this.issuedIps.set(zoneIndex, issued + 1);
        return ip;
      }
      if (draw < freshIpDraws && issued < ipsPerZone) continue;
      const freed = this.freedIps.get(zoneIndex);
      const reused = freed?.values().next().value;
      if (freed !== undefined && reused !== undefined) {
        freed.delete(reused);
        return reused;
      }
      if (issued >= ipsPerZone) {
        throw new Error(
          `The subnet of zone ${zoneIndex} has no free address left (a /19 holds ${ipsPerZone}).`,
        );
      }
    }
  }

  /** A pod's address goes back to its zone's subnet (VPC CNI releases it with the pod). */
  releasePrivateIp(ip: string): void {
    const zoneIndex = Math.floor(Number(ip.split('.')[2]) / 32);
    const freed = this.freedIps.get(zoneIndex) ?? new Set<string>();
    this.freedIps.set(zoneIndex, freed.add(ip));
  }

  /** Generated-name suffix or pod-template hash, from Kubernetes' alphabet. */
  kubernetesSuffix(length: number): string {
    return this.unique(() => this.random.chars(length, kubernetesNameAlphabet));
  }
}
