import { kubernetesNameAlphabet, type Random } from './random.ts';

/** Identifiers that look like the real ones and never repeat within a world. */
export class Ids {
  private readonly used = new Set<string>();

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

  /** A private address in the /19 of the zone's subnet. */
  privateIp(zoneIndex: number): string {
    return this.unique(() => `10.0.${zoneIndex * 32 + this.random.int(32)}.${4 + this.random.int(250)}`);
  }

  /** Generated-name suffix or pod-template hash, from Kubernetes' alphabet. */
  kubernetesSuffix(length: number): string {
    return this.unique(() => this.random.chars(length, kubernetesNameAlphabet));
  }
}
