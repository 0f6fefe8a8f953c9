import type { Plan, Verified } from '../functions/commons/state.ts';
import { formatDuration } from '../report/duration.ts';
import type { Invocation } from './lambda.ts';
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

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

type Json = Record<string, unknown>;
type Describe = (detail: Json) => string;

/** What happens in the account and the cluster, one sentence each; events not listed are not printed. */
const worldEvents: Record<string, Describe> = {
  LaunchTemplateVersionCreated: (d) =>
    `Launch template ${text(d.launchTemplateId)} version ${text(d.version)} created with ${text(d.imageId)}.`,
  LaunchTemplateDefaultVersionSet: (d) =>
    `Launch template ${text(d.launchTemplateId)} now defaults to version ${text(d.version)}.`,
  AutoScalingGroupUpdated: (d) => {
    if (d.action === 'TerminateInstanceInAutoScalingGroup') {
      return `Auto Scaling group ${text(d.group)} terminates ${text(d.instanceId)}; desired capacity ${text(d.desiredCapacity)}.`;
    }
    const desired =
      d.previousDesiredCapacity === d.desiredCapacity
        ? `desired capacity ${text(d.desiredCapacity)}`
        : `desired capacity ${text(d.previousDesiredCapacity)} → ${text(d.desiredCapacity)}`;
    return `Auto Scaling group ${text(d.group)}: ${desired}, min ${text(d.minSize)}, max ${text(d.maxSize)}, launch template version ${text(d.launchTemplateVersion)}.`;
  },
  InstanceLaunched: (d) =>
    `Instance ${text(d.instanceId)} launched in ${text(d.zone)} from ${text(d.amiId)}.`,
  LaunchFailed: (d) => `A launch in ${text(d.group)} failed: ${text(d.reason)}`,
  NodeRegistered: (d) => `Node ${text(d.node)} registered, not Ready yet.`,
  NodeReady: (d) => `Node ${text(d.node)} is Ready.`,
  NodeNotReady: (d) => `Node ${text(d.node)} is NotReady: its kubelet stopped.`,
  NodeCordoned: (d) => `Node ${text(d.node)} cordoned.`,
  NodeUncordoned: (d) => `Node ${text(d.node)} uncordoned.`,
  NodeDeleted: (d) => `Node ${text(d.node)} deleted.`,
  PodEvicted: (d) => `Pod ${text(d.pod)} evicted from ${text(d.node)}.`,
  EvictionRefused: (d) =>
    `Eviction of ${text(d.pod)} refused (429): PDB ${text(d.pdb)} allows no disruption now.`,
  PodDeleted: (d) =>
    `Pod ${text(d.pod)} deleted${d.forced ? ' without eviction (its PDB was overridden)' : ''}.`,
  PodScheduled: (d) => `Pod ${text(d.pod)} scheduled on ${text(d.node)}.`,
  PodReady: (d) => `Pod ${text(d.pod)} is Ready on ${text(d.node)}.`,
  ImagePullStarted: (d) => `Node ${text(d.node)} pulls ${text(d.image)} (about ${text(d.seconds)} s).`,
  InstanceTerminated: (d) => `Instance ${text(d.instanceId)} terminated.`,
  AmiDeregistered: (d) => `AMI ${text(d.amiId)} deregistered.`,
  Throttled: (d) => `${text(d.api)} was throttled.`,
  NotificationPublished: (d) => `Notification sent: ${text(d.subject)}`,
  EventPublished: (d) => `Event put on the default bus: ${text(d.detailType)}`,
  AlarmTriggered: (d) => `CloudWatch alarm ${text(d.alarm)} is in ALARM.`,
  AlarmOk: (d) => `CloudWatch alarm ${text(d.alarm)} is OK again.`,
  WaitingForWindow: (d) => `Waiting for the maintenance window, until ${text(d.until)}.`,
  BakeStarted: (d) => `Baking for ${formatDuration(Number(d.bakeSeconds ?? 0))}, watching the alarms.`,
  InvariantViolated: (d) =>
    `INVARIANT BROKEN: ${text(d.invariant)} ${JSON.stringify({ ...d, invariant: undefined })}`,
};

const endings: Record<string, string> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionTimedOut: 'TIMED_OUT',
  ExecutionAborted: 'ABORTED',
};

const later = (seconds: unknown) => formatDuration(Number(seconds));

function planLines(plan: Plan, maxUnavailable: unknown): string[] {
  const batches = plan.batches.length;
  const nodes = (batch: Plan['batches'][number]) =>
    batch.nodes.map((node) => node.nodeName || node.instanceId).join(', ');
  return [
    batches === 0
      ? `Plan: nothing to replace; all ${plural(plan.nodesOnTarget, 'node')} already run the AMI.`
      : `Plan: ${plural(plan.nodesToReplace, 'node')} to replace (${plan.nodesOnTarget} already on the AMI), ` +
        `in ${plural(batches, 'batch', 'batches')} of at most ${text(maxUnavailable ?? 1)}, about ${formatDuration(plan.estimatedSeconds)}:`,
    ...plan.batches.map((batch) => `    batch ${batch.index + 1}: ${nodes(batch)}`),
    ...(plan.continues ? ['    The batches after these continue in a new execution of the same input.'] : []),
    ...plan.blockers.map((blocker) => `    Blocker: ${blocker}`),
    ...plan.warnings.map((warning) => `    Warning: ${warning}`),
  ];
}

/** What a Task's result means, in words. */
const taskResults: Record<string, (result: Json, execution: ExecutionState) => string[]> = {
  VerifyAmi: (result) => {
    const { ami, checks } = result as unknown as Verified;
    return [`AMI ${ami.amiId} (${ami.name}) passed its checks: ${checks.map((c) => c.check).join(', ')}.`];
  },
  Plan: (result, execution) => {
    execution.plan = result as unknown as Plan;
    return planLines(execution.plan, execution.input.maxUnavailable);
  },
  PrepareLaunchTemplate: (r) => [
    `Auto Scaling group ${text(r.asgName)} now launches version ${text(r.targetVersion)} of ${text(r.launchTemplateId)} ` +
      `(${text(r.targetAmiId)}); it was on version ${text(r.previousVersion)}.`,
  ],
  Surge: (r) => [`Replacements requested; first look at them in ${later(r.seconds)}.`],
  CheckReplacements: (r) =>
    r.done
      ? ['The replacements are Ready.']
      : [`The replacements are not Ready yet; next look in ${later(r.seconds)}.`],
  Cordon: (r) => {
    const cordoned = Array.isArray(r.cordoned) ? r.cordoned.length : 0;
    const launched = Number(r.launched ?? 0);
    return [
      `Cordoned ${plural(cordoned, 'node')}${launched > 0 ? `; launched ${plural(launched, 'replacement')} for the next batch, to boot while this one drains` : ''}.`,
    ];
  },
  Drain: (r, execution) => {
    const forced = Array.isArray(r.forced) ? r.forced.map(String) : [];
    const all = Array.isArray(r.blockers) ? r.blockers.map(String) : [];
    const blockers = all.join('\n') === execution.blockers ? [] : all;
    execution.blockers = all.join('\n');
    const deleted =
      forced.length > 0
        ? `, ${plural(forced.length, 'pod')} deleted at the deadline: ${forced.join(', ')}`
        : '';
    if (r.done) return [`Drained: ${plural(Number(r.evicted ?? 0), 'pod')} evicted${deleted}.`];
    return [
      `Drain round: ${plural(Number(r.evicted ?? 0), 'pod')} evicted so far${deleted}; next round in ${later(r.seconds)}.`,
      ...blockers.map((blocker) => `    Waiting for: ${blocker}`),
    ];
  },
  Terminate: (r) =>
    r.done
      ? ['The old instances are terminated.']
      : [`Terminating the old instances; next look in ${later(r.seconds)}.`],
  Finish: (r) =>
    r.continuedAs
      ? [`This execution's batches are done; the rollout continues in execution ${text(r.continuedAs)}.`]
      : [
          `Rollout finished: ${plural(Number(r.nodesReplaced ?? 0), 'node')} replaced in ${plural(Number(r.batches ?? 0), 'batch', 'batches')}, ${formatDuration(Number(r.durationSeconds ?? 0))}.`,
        ],
  Rollback: (r) => [
    `Rollback done${Array.isArray(r.actions) && r.actions.length > 0 ? `: ${r.actions.map(String).join('; ')}` : ''}.`,
  ],
};

interface ExecutionState {
  input: Json;
  plan?: Plan;
  /** The plan index of the batch the execution is in. */
  batch?: number;
  failed?: boolean;
  /** The drain's blockers last told, so a round that changes nothing does not repeat them. */
  blockers?: string;
}

/**
 * Tells a simulated rollout as an operator follows it: the plan in words, a header per batch, what
 * each step found, what the account and the cluster did, and each execution's end. What the world
 * does while no execution runs is held back, shown only if another execution starts: nothing is
 * printed after the final status.
 */
export class Narrator {
  private readonly executions = new Map<string, ExecutionState>();
  private running = 0;
  private held: string[] = [];
  /** The time of the last event: a Task's result comes right after its TaskSucceeded event. */
  private now = 0;

  constructor(private readonly write: (line: string) => void) {}

  private say(t: number, line: string): void {
    this.write(`${stamp(t)} ${line}\n`);
  }

  private execution(name: unknown): ExecutionState {
    const key = String(name);
    let state = this.executions.get(key);
    if (!state) {
      state = { input: {} };
      this.executions.set(key, state);
    }
    return state;
  }

  /** A header names the execution only when there are several. */
  private of(name: unknown): string {
    return this.executions.size > 1 ? ` (execution ${text(name)})` : '';
  }

  event(event: TimelineEvent): void {
    const { t, detail } = event;
    this.now = t;
    if (event.event === 'ExecutionStarted') {
      const input = detail.input !== null && typeof detail.input === 'object' ? (detail.input as Json) : {};
      this.execution(detail.execution).input = input;
      for (const line of this.held) this.write(line);
      this.held = [];
      this.running++;
      this.write('\n');
      this.say(t, `Execution ${text(detail.execution)} started: ${JSON.stringify(detail.input)}`);
      return;
    }
    const ending = endings[event.event];
    if (ending) {
      this.running = Math.max(0, this.running - 1);
      // The cause was told with the step that failed; the end names the error.
      this.say(
        t,
        `Execution ${text(detail.execution)} ${ending}${detail.error ? ` with ${text(detail.error)}` : ''}.`,
      );
      return;
    }
    if (event.event === 'StateEntered' && typeof detail.batch === 'number') {
      const execution = this.execution(detail.execution);
      // After a failure the engine may still enter a queued iteration's first state; nothing runs there.
      if (detail.batch === execution.batch || execution.failed) return;
      execution.batch = detail.batch;
      const batch = execution.plan?.batches.find((planned) => planned.index === detail.batch);
      const nodes = batch ? `: ${batch.nodes.map((n) => n.nodeName || n.instanceId).join(', ')}` : '';
      const of = execution.plan ? ` of ${execution.plan.batches.length}` : '';
      this.write(`\nBatch ${detail.batch + 1}${of}${this.of(detail.execution)}${nodes}\n`);
      return;
    }
    if (event.event === 'RollbackStarted') {
      this.say(t, `Rolling back${this.of(detail.execution)}.`);
      return;
    }
    if (event.event === 'TaskFailed') {
      this.execution(detail.execution).failed = true;
      this.say(t, `${text(detail.state)} failed: ${text(detail.error)}: ${text(detail.message)}`);
      return;
    }
    if (event.event === 'StateRetried') {
      this.say(t, `${text(detail.state)} is retried (attempt ${text(detail.attempt)}).`);
      return;
    }
    const describe = worldEvents[event.event];
    if (!describe) return;
    const line = `${stamp(t)} ${describe(detail)}\n`;
    if (this.running > 0) this.write(line);
    else this.held.push(line);
  }

  /** Called right after the TaskSucceeded event of the same invocation. */
  result(invocation: Invocation, result: unknown): void {
    const tell = taskResults[invocation.stateName];
    if (!tell || result === null || typeof result !== 'object') return;
    const [first, ...rest] = tell(result as Json, this.execution(invocation.executionName));
    if (first !== undefined) this.say(this.now, first);
    for (const line of rest) this.write(`${' '.repeat(11)}${line}\n`);
  }
}

/** The execution that ended last: what the rollout came to, whatever the earlier ones did. */
export function finalExecution(report: SimulationReport): {
  status: string;
  error: SimulationReport['error'];
} {
  const endedLast = report.timeline.filter((event) => endings[event.event]).at(-1);
  const execution = report.executions?.find((e) => e.name === endedLast?.detail.execution);
  return execution ?? { status: report.status, error: report.error };
}

/** The closing summary of a run. */
export function summary(report: SimulationReport): string {
  const count = (name: string) => report.timeline.filter((event) => event.event === name).length;
  const broken = Object.entries(report.invariants).filter(([, value]) => value > 0);
  const final = finalExecution(report);
  const executions = report.executions ?? [];
  return [
    `Status:      ${final.status}${executions.length > 1 ? ' (the execution that ended last)' : ''}`,
    ...(final.error === null ? [] : [`Error:       ${final.error.name}: ${final.error.cause}`]),
    ...executions.map(
      (execution, index) =>
        `${index === 0 ? 'Executions: ' : '            '} ${execution.name} ${execution.status}${execution.error ? ` (${execution.error.name})` : ''}`,
    ),
    `Duration:    ${formatDuration(report.simulatedSeconds)} simulated, ${report.stateTransitions} state transitions, ${report.lambdaInvocations} Lambda invocations`,
    `Nodes:       ${count('InstanceLaunched')} launched, ${count('InstanceTerminated')} terminated`,
    `Invariants:  ${broken.length === 0 ? 'all kept' : broken.map(([name, value]) => `${name} ${value}`).join(', ')}`,
  ].join('\n');
}
