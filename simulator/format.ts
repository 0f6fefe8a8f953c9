import type { SimulationReport } from './runner.ts';
import type { TimelineEvent } from './world/timeline.ts';

/** `[+01:02:03]` */
function stamp(seconds: number): string {
  const whole = Math.floor(seconds);
  const part = (value: number) => String(value).padStart(2, '0');
  return `[+${part(Math.floor(whole / 3600))}:${part(Math.floor((whole % 3600) / 60))}:${part(whole % 60)}]`;
}

const text = (value: unknown) =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);

type Describe = (detail: Record<string, unknown>) => string | undefined;

/** One line per event a person follows a rollout by; events not listed here are not printed. */
const describers: Record<string, Describe> = {
  ExecutionStarted: (d) => `Execution ${text(d.execution)} started with ${text(d.input)}`,
  TaskSucceeded: (d) => `${text(d.state)}${d.summary ? `: ${text(d.summary)}` : ''}`,
  TaskFailed: (d) => `${text(d.state)} failed: ${text(d.error)}`,
  StateRetried: (d) => `${text(d.state)} retried (attempt ${text(d.attempt)})`,
  RollbackStarted: () => 'Rollback started',
  LaunchTemplateVersionCreated: (d) =>
    `Launch template ${text(d.launchTemplateId)} version ${text(d.version)} created with ${text(d.imageId)}`,
  LaunchTemplateDefaultVersionSet: (d) =>
    `Launch template ${text(d.launchTemplateId)} default version ${text(d.version)}`,
  AutoScalingGroupUpdated: (d) => {
    if (d.action === 'TerminateInstanceInAutoScalingGroup') {
      return `Auto Scaling group ${text(d.group)}: terminating ${text(d.instanceId)}, desired ${text(d.desiredCapacity)}`;
    }
    const desired =
      d.previousDesiredCapacity === d.desiredCapacity
        ? `desired ${text(d.desiredCapacity)}`
        : `desired ${text(d.previousDesiredCapacity)} → ${text(d.desiredCapacity)}`;
    return `Auto Scaling group ${text(d.group)}: ${desired}, min ${text(d.minSize)}, max ${text(d.maxSize)}, launch template version ${text(d.launchTemplateVersion)}`;
  },
  InstanceLaunched: (d) => `Instance ${text(d.instanceId)} launched in ${text(d.zone)} from ${text(d.amiId)}`,
  LaunchFailed: (d) => `Launch failed in ${text(d.group)}: ${text(d.reason)}`,
  NodeRegistered: (d) => `Node ${text(d.node)} registered (NotReady)`,
  NodeReady: (d) => `Node ${text(d.node)} Ready`,
  NodeNotReady: (d) => `Node ${text(d.node)} NotReady (kubelet stopped)`,
  NodeCordoned: (d) => `Node ${text(d.node)} cordoned`,
  NodeUncordoned: (d) => `Node ${text(d.node)} uncordoned`,
  NodeDeleted: (d) => `Node ${text(d.node)} deleted`,
  PodEvicted: (d) => `Pod ${text(d.pod)} evicted from ${text(d.node)}`,
  EvictionRefused: (d) => `Eviction of ${text(d.pod)} refused by PDB ${text(d.pdb)} (429)`,
  PodDeleted: (d) => `Pod ${text(d.pod)} deleted${d.forced ? ' (PDB override)' : ''}`,
  PodScheduled: (d) => `Pod ${text(d.pod)} scheduled on ${text(d.node)}`,
  PodReady: (d) => `Pod ${text(d.pod)} Ready on ${text(d.node)}`,
  ImagePullStarted: (d) => `Node ${text(d.node)} pulling ${text(d.image)} (~${text(d.seconds)} s)`,
  InstanceTerminated: (d) => `Instance ${text(d.instanceId)} terminated`,
  AmiDeregistered: (d) => `AMI ${text(d.amiId)} deregistered`,
  Throttled: (d) => `${text(d.api)} throttled`,
  NotificationPublished: (d) => `Notification: ${text(d.subject)}`,
  InvariantViolated: (d) =>
    `INVARIANT BROKEN: ${text(d.invariant)} ${JSON.stringify({ ...d, invariant: undefined })}`,
  ExecutionSucceeded: (d) => `Execution ${text(d.execution)} SUCCEEDED`,
  ExecutionFailed: (d) => `Execution ${text(d.execution)} FAILED: ${text(d.error)}`,
  ExecutionTimedOut: (d) => `Execution ${text(d.execution)} TIMED_OUT`,
  ExecutionAborted: (d) => `Execution ${text(d.execution)} ABORTED`,
};

/** The printed line for an event, or undefined for events not worth a line. */
export function describeEvent(event: TimelineEvent): string | undefined {
  const line = describers[event.event]?.(event.detail);
  return line === undefined ? undefined : `${stamp(event.t)} ${line}`;
}

/** The closing summary of a run. */
export function summary(report: SimulationReport): string {
  const count = (name: string) => report.timeline.filter((event) => event.event === name).length;
  const broken = Object.entries(report.invariants).filter(([, value]) => value > 0);
  const lines = [
    `Status:      ${report.status}`,
    ...(report.error === null ? [] : [`Error:       ${report.error.name}: ${report.error.cause}`]),
    `Duration:    ${stamp(report.simulatedSeconds).slice(2, -1)} simulated (${report.simulatedSeconds} s), ${report.stateTransitions} state transitions, ${report.lambdaInvocations} Lambda invocations`,
    `Nodes:       ${count('InstanceLaunched')} launched, ${count('InstanceTerminated')} terminated`,
    `Invariants:  ${broken.length === 0 ? 'all kept' : broken.map(([name, value]) => `${name}=${value}`).join(', ')}`,
    ...(report.executions ?? []).map(
      (execution, index) =>
        `${index === 0 ? 'Executions: ' : '            '} ${execution.name} ${execution.status}${execution.error && execution.status === 'FAILED' ? ` (${execution.error.name})` : ''}`,
    ),
  ];
  return lines.join('\n');
}
