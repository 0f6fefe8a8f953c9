const executionNameMaxLength = 80;

/**
 * The name of the execution that continues `name`: `<name>-part2`, then `-part3`, and so on, within
 * Step Functions' 80 characters. Deterministic, so a retried step starts it only once.
 */
export function continuationName(name: string): string {
  const match = /^(.*)-part(\d+)$/.exec(name);
  const base = match?.[1] ?? name;
  const suffix = `-part${match ? Number(match[2]) + 1 : 2}`;
  return `${base.slice(0, executionNameMaxLength - suffix.length)}${suffix}`;
}

/** The name of the execution that puts a stopped rollout's replaced nodes back on their previous AMI. */
export function revertName(name: string): string {
  const suffix = '-revert';
  return `${name.slice(0, executionNameMaxLength - suffix.length)}${suffix}`;
}
