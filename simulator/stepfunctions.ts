import { account, region } from './world/catalog.ts';
import { AwsApiError } from './world/errors.ts';
import type { Ids } from './world/ids.ts';

export const stateMachineName = 'eks-windows-patcher-rollout';
export const stateMachineArn = `arn:aws:states:${region}:${account}:stateMachine:${stateMachineName}`;
const executionArnOf = (name: string) =>
  `arn:aws:states:${region}:${account}:execution:${stateMachineName}:${name}`;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionOutcome {
  status: Exclude<ExecutionStatus, 'RUNNING'>;
  output?: string;
  error?: string;
  cause?: string;
}

export interface ExecutionRecord {
  arn: string;
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
}

/** Runs one execution of the state machine; `outcome` settles when it ends. */
export type ExecutionRunner = (execution: { arn: string; name: string; input: unknown; startDate: Date }) => {
  outcome: Promise<ExecutionOutcome>;
  abort: () => void;
};

const maxPayloadBytes = 262_144;

/** The rollout state machine's executions, with the Step Functions API's rules (names, inputs, idempotency). */
export class StepFunctions {
  readonly executions: ExecutionRecord[] = [];

  constructor(
    private readonly run: ExecutionRunner,
    private readonly ids: Ids,
    private readonly now: () => Date,
  ) {}

  /**
   * StartExecution: a name is unique for the state machine; the same name and input while that
   * execution runs answers with it (idempotent), otherwise ExecutionAlreadyExists.
   */
  start(
    machineArn: string | undefined,
    name: string | undefined,
    input: string | undefined,
  ): ExecutionRecord {
    this.requireStateMachine(machineArn);
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
    const arn = executionArnOf(executionName);
    const existing = this.executions.find((execution) => execution.arn === arn);
    if (existing !== undefined) {
      if (existing.status === 'RUNNING' && existing.input === text) return existing;
      throw new AwsApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const startDate = this.now();
    const { outcome, abort } = this.run({ arn, name: executionName, input: parsed, startDate });
    const record: ExecutionRecord = {
      arn,
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
      }),
      stop: (error, cause) => {
        abort();
        Object.assign(record, { error, cause });
      },
    };
    this.executions.push(record);
    return record;
  }

  /** Newest first, as ListExecutions returns them. */
  list(machineArn: string | undefined, status: string | undefined): ExecutionRecord[] {
    this.requireStateMachine(machineArn);
    return this.executions
      .filter((execution) => status === undefined || execution.status === status)
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

  private requireStateMachine(machineArn: string | undefined): void {
    if (machineArn !== stateMachineArn) {
      throw new AwsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${machineArn}'`);
    }
  }
}
