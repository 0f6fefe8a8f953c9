import type { RunningExecution } from '../adapters/running-rollouts.ts';

interface Target {
  clusterName: string;
  nodeGroupName: string;
}

const targets = (input: unknown, target: Target): boolean => {
  const candidate = input as Partial<Target> | null;
  return candidate?.clusterName === target.clusterName && candidate?.nodeGroupName === target.nodeGroupName;
};

/**
 * The execution that holds the node group, if not this one. The lock is the set of RUNNING executions
 * themselves: the earliest started (then the smallest name) wins, so two executions started together
 * agree on one winner, and a crashed execution (no longer RUNNING) never holds it.
 */
export function lockHolder(
  self: string,
  running: RunningExecution[],
  target: Target,
): RunningExecution | undefined {
  const contenders = running
    .filter((execution) => targets(execution.input, target))
    .sort((a, b) => a.startDate - b.startDate || a.name.localeCompare(b.name));
  const winner = contenders[0];
  return winner && winner.executionArn !== self ? winner : undefined;
}
