import type { ExecutionHistory } from './history.ts';
import { account, region } from './world/catalog.ts';
import { AwsApiError } from './world/errors.ts';
import type { ExecutionEnding } from './world/faults.ts';
import type { Ids } from './world/ids.ts';

export const stateMachineName = 'eks-windows-patcher-rollout';
export const stateMachineArn = `arn:aws:states:${region}:${account}:stateMachine:${stateMachineName}`;
/** The promotion state machine (waves): statemachine/promotion.asl.json. */
export const promotionStateMachineName = 'eks-windows-patcher-promotion';
export const promotionStateMachineArn = `arn:aws:states:${region}:${account}:stateMachine:${promotionStateMachineName}`;
const executionArnOf = (machineArn: string, name: string) =>
  `${machineArn.replace(':stateMachine:', ':execution:')}:${name}`;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionOutcome {
  status: Exclude<ExecutionStatus, 'RUNNING'>;
  output?: string;
  error?: string;
  cause?: string;
}

export interface ExecutionRecord {
  arn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  startDate: Date;
  status: ExecutionStatus;
  stopDate: Date | undefined;
  output: string | undefined;
  error: string | undefined;
  cause: string | undefined;
  /** Settles when the execution has ended. */
  finished: Promise<void>;
  stop: (error: string | undefined, cause: string | undefined) => void;
  /** Ends it as the state machine's TimeoutSeconds does: TIMED_OUT, nothing more runs. */
  timeOut: () => void;
  /** What GetExecutionHistory answers. */
  history: ExecutionHistory;
}

/** Runs one execution of the state machine; `outcome` settles when it ends. */
export type ExecutionRunner = (execution: { arn: string; name: string; input: unknown; startDate: Date }) => {
  outcome: Promise<ExecutionOutcome>;
  abort: (ending: ExecutionEnding) => void;
  history: ExecutionHistory;
};

const maxPayloadBytes = 262_144;

/** A Task waiting on its task token (`.waitForTaskToken`) until SendTaskSuccess or SendTaskFailure. */
interface PendingTask {
  executionName: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
}

/** The task tokens Tasks of running executions wait on, and the answers sent to them. */
export class TaskTokens {
  private readonly pending = new Map<string, PendingTask>();
  /** Sees each token once its Task's function has run (with the function's key): the simulated operator answers from there. */
  onToken: ((token: string, executionName: string, functionKey: string) => void) | undefined;

  /**
   * A `.waitForTaskToken` Task waits: settles with the output sent to `token`, or fails with its
   * error. The token is answerable from here on, before the Task's function has run, as in Step Functions.
   */
  wait(token: string, executionName: string): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(token, { executionName, resolve, reject });
    });
  }

  /** The Task's function has run (it published the request, or stored the token). */
  delivered(token: string, executionName: string, functionKey: string): void {
    this.onToken?.(token, executionName, functionKey);
  }

  /** The execution ended (or its Task timed out and it moved on): its token is waited on no more. */
  forget(executionName: string): void {
    for (const [token, task] of this.pending)
      if (task.executionName === executionName) this.pending.delete(token);
  }

  /** SendTaskSuccess: the output must be JSON; a token nobody waits on (any more) is refused. */
  succeed(token: string | undefined, output: string | undefined): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(output ?? '');
    } catch {
      throw new AwsApiError('InvalidOutput', 'Invalid Output: the output is not valid JSON');
    }
    this.take(token).resolve(parsed);
  }

  /** SendTaskFailure: the Task fails with `error` (its name, for Catch) and `cause`. */
  fail(token: string | undefined, error: string | undefined, cause: string | undefined): void {
    this.take(token).reject(Object.assign(new Error(cause ?? ''), { name: error ?? 'States.TaskFailed' }));
  }

  private take(token: string | undefined): PendingTask {
    const task = token === undefined ? undefined : this.pending.get(token);
    if (task === undefined) {
      // https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html#API_SendTaskSuccess_Errors
      throw new AwsApiError('TaskTimedOut', 'Task Timed Out: the task token is not waited on any more');
    }
    this.pending.delete(token ?? '');
    return task;
  }
}

/**
 * The executions of the rollout state machine (and of the promotion's, once added), with the Step
 * Functions API's rules (names, inputs, idempotency).
 */
export class StepFunctions {
  readonly executions: ExecutionRecord[] = [];
  private readonly endListeners: ((execution: ExecutionRecord) => void)[] = [];
  private readonly runners = new Map<string, ExecutionRunner>();

  constructor(
    run: ExecutionRunner,
    private readonly ids: Ids,
    private readonly now: () => Date,
    readonly taskTokens = new TaskTokens(),
  ) {
    this.runners.set(stateMachineArn, run);
  }

  /** Another state machine of the deployment (the promotion), run by `run`. */
  addStateMachine(machineArn: string, run: ExecutionRunner): void {
    this.runners.set(machineArn, run);
  }

  /**
   * StartExecution: a name is unique for the state machine; the same name and input while that
   * execution runs answers with it (idempotent), otherwise ExecutionAlreadyExists.
   */
  start(
    machineArn: string | undefined,
    name: string | undefined,
    input: string | undefined,
  ): ExecutionRecord {
    const run = this.requireStateMachine(machineArn);
    const executionName = name ?? this.ids.uuid();
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(executionName))
      throw new AwsApiError('InvalidName', `Invalid Name: '${executionName}'`);
    const text = input ?? '{}';
    if (Buffer.byteLength(text) > maxPayloadBytes) {
      throw new AwsApiError(
        'InvalidExecutionInput',
        'Invalid State Machine Execution Input: input exceeds 262144 bytes',
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new AwsApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${(error as Error).message}'`,
      );
    }
    const arn = executionArnOf(machineArn ?? '', executionName);
    const existing = this.executions.find((execution) => execution.arn === arn);
    if (existing !== undefined) {
      if (existing.status === 'RUNNING' && existing.input === text) return existing;
      throw new AwsApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const startDate = this.now();
    const { outcome, abort, history } = run({ arn, name: executionName, input: parsed, startDate });
    const record: ExecutionRecord = {
      arn,
      stateMachineArn: machineArn ?? '',
      name: executionName,
      input: text,
      startDate,
      status: 'RUNNING',
      stopDate: undefined,
      output: undefined,
      error: undefined,
      cause: undefined,
      finished: outcome.then((result) => {
        Object.assign(record, result, { stopDate: this.now() });
        for (const listener of this.endListeners) listener(record);
      }),
      stop: (error, cause) => {
        abort('ABORTED');
        Object.assign(record, { error, cause });
      },
      timeOut: () => abort('TIMED_OUT'),
      history,
    };
    this.executions.push(record);
    return record;
  }

  /** Called with each execution as it ends (EventBridge's execution status change). */
  onEnded(listener: (execution: ExecutionRecord) => void): void {
    this.endListeners.push(listener);
  }

  /**
   * Newest first, as ListExecutions returns them. It is eventually consistent ("may not reflect very
   * recent updates"): executions started less than `lagSeconds` ago are left out.
   * https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
   */
  list(machineArn: string | undefined, status: string | undefined, lagSeconds = 0): ExecutionRecord[] {
    this.requireStateMachine(machineArn);
    const visibleFrom = this.now().getTime() - lagSeconds * 1000;
    return this.executions
      .filter((execution) => execution.stateMachineArn === machineArn)
      .filter((execution) => status === undefined || execution.status === status)
      .filter((execution) => execution.startDate.getTime() <= visibleFrom)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }

  describe(executionArn: string | undefined): ExecutionRecord {
    const execution = this.executions.find((candidate) => candidate.arn === executionArn);
    if (execution === undefined) {
      throw new AwsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    }
    return execution;
  }

  running(): boolean {
    return this.executions.some((execution) => execution.status === 'RUNNING');
  }

  private requireStateMachine(machineArn: string | undefined): ExecutionRunner {
    const run = machineArn === undefined ? undefined : this.runners.get(machineArn);
    if (run === undefined) {
      throw new AwsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${machineArn}'`);
    }
    return run;
  }
}
