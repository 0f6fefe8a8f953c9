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

/**
 * Whether the rollout goes on in a new execution, whose plan takes what is left: this plan left
 * batches for it, or instances not on the target AMI appeared in the group during this execution (a
 * scale-out launched before the group pointed at the target, a node that joined after Plan). For those
 * only an execution that replaced nodes goes on, so a group where something keeps launching the old
 * AMI ends instead of looping; its report names them.
 */
export function goesOn(plan: { continues: boolean; nodesReplaced: number }, leftBehind: string[]): boolean {
  return plan.continues || (leftBehind.length > 0 && plan.nodesReplaced > 0);
}
