import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';

export const executionArn =
  'arn:aws:states:eu-west-1:111122223333:execution:eks-windows-patcher-prod-rollout:run-1';
export const startedAt = Date.UTC(2026, 10, 12, 19, 5, 0);

export const executionInput = {
  clusterName: 'prod',
  nodeGroupName: 'win-a',
  amiId: 'ami-0ccc0000000000003',
  maxUnavailable: 2,
};

export const batches = [
  {
    index: 0,
    nodes: [
      { instanceId: 'i-0000000000000000a', nodeName: 'ip-10-0-1-10.ec2.internal' },
      { instanceId: 'i-0000000000000000b', nodeName: 'ip-10-0-2-11.ec2.internal' },
    ],
    readyTarget: 2,
  },
  {
    index: 1,
    nodes: [
      { instanceId: 'i-0000000000000000c', nodeName: 'ip-10-0-1-12.ec2.internal' },
      { instanceId: 'i-0000000000000000d', nodeName: 'ip-10-0-2-13.ec2.internal' },
    ],
    readyTarget: 4,
  },
];

export const plan = {
  batches,
  nodesToReplace: 4,
  nodesOnTarget: 0,
  blockers: [],
  warnings: [],
  estimatedSeconds: 1500,
  imagesToMove: [],
};

const stateTypes: Record<string, string> = {
  WaitForReplacements: 'Wait',
  WaitForDrain: 'Wait',
  WaitForTermination: 'Wait',
  WaitForBatchWindow: 'Wait',
  'DryRun?': 'Choice',
  'BatchMayStart?': 'Choice',
  'ReplacementsReady?': 'Choice',
  'Drained?': 'Choice',
  'Terminated?': 'Choice',
  BatchDone: 'Succeed',
  RolloutFailed: 'Fail',
  Done: 'Pass',
  ReplaceBatches: 'Map',
};

/**
 * Writes an execution history the way Step Functions records a run of statemachine/rollout.asl.json:
 * state entered and exited events with the state's JSON, Map iterations, and the execution's end.
 */
export class History {
  readonly events: HistoryEvent[] = [];
  private seconds = 0;
  private state: Record<string, unknown> = {};
  private iterationIndex = 0;

  constructor(input: Record<string, unknown> = executionInput) {
    this.add('ExecutionStarted', { executionStartedEventDetails: { input: JSON.stringify(input) } });
    this.state = { input, execution: { id: executionArn, name: 'run-1', startTime: '2026-11-12T19:05:00Z' } };
  }

  private add(type: string, details: Partial<HistoryEvent> = {}): this {
    this.events.push({
      id: this.events.length + 1,
      type: type as HistoryEventType,
      timestamp: new Date(startedAt + this.seconds * 1000),
      ...details,
    });
    return this;
  }

  /** Enters `name` with the current state, spends `seconds` there, and exits with `result` merged in. */
  step(name: string, seconds: number, result: Record<string, unknown> = {}): this {
    const type = stateTypes[name] ?? 'Task';
    this.add(`${type}StateEntered`, {
      stateEnteredEventDetails: { name, input: JSON.stringify(this.state) },
    });
    this.seconds += seconds;
    this.state = { ...this.state, ...result };
    return this.add(`${type}StateExited`, {
      stateExitedEventDetails: { name, output: JSON.stringify(this.state) },
    });
  }

  /** Enters `name` and stays there: the execution is still running. */
  enter(name: string, seconds = 0): this {
    const type = stateTypes[name] ?? 'Task';
    this.add(`${type}StateEntered`, {
      stateEnteredEventDetails: { name, input: JSON.stringify(this.state) },
    });
    this.seconds += seconds;
    return this;
  }

  /** ValidateInput to PrepareLaunchTemplate, with the plan above. */
  prepared(): this {
    return this.step('ValidateInput', 1)
      .step('AcquireLock', 1)
      .step('VerifyAmi', 2)
      .step('Plan', 3, { plan })
      .step('DryRun?', 0)
      .step('PrepareLaunchTemplate', 2)
      .add('MapStateEntered', { stateEnteredEventDetails: { name: 'ReplaceBatches' } })
      .add('MapStateStarted', { mapStateStartedEventDetails: { length: batches.length } });
  }

  iteration(index: number): this {
    this.iterationIndex = index;
    this.state = { ...this.state, batch: batches[index], drain: null };
    return this.add('MapIterationStarted', {
      mapIterationStartedEventDetails: { name: 'ReplaceBatches', index },
    });
  }

  /** Surge and the wait until the replacements are Ready (two checks). */
  surged(): this {
    const wait = { done: false, seconds: 60, deadline: 0, since: 0 };
    return this.step('Surge', 1, { wait })
      .step('WaitForReplacements', 60)
      .step('CheckReplacements', 1, { wait: { ...wait, seconds: 360 } })
      .step('ReplacementsReady?', 0)
      .step('WaitForReplacements', 360)
      .step('CheckReplacements', 1, { wait: { ...wait, done: true } })
      .step('ReplacementsReady?', 0);
  }

  drainRound(done: boolean, blockers: string[] = []): this {
    const drain = { done, seconds: 30, deadline: 0, owners: [], evicted: 2, forced: [], blockers };
    return this.step('Drain', 2, { drain });
  }

  waitForDrain(seconds = 30): this {
    return this.step('Drained?', 0).step('WaitForDrain', seconds);
  }

  terminated(): this {
    const wait = { done: false, seconds: 30, deadline: 0, since: 0 };
    return this.step('Terminate', 1, { wait })
      .step('Terminated?', 0)
      .step('WaitForTermination', 30)
      .step('Terminate', 1, { wait: { ...wait, done: true } })
      .step('Terminated?', 0)
      .step('BatchDone', 0)
      .add('MapIterationSucceeded', {
        mapIterationSucceededEventDetails: { name: 'ReplaceBatches', index: this.iterationIndex },
      });
  }

  /** One whole batch: surge, Ready, cordon, two drain rounds, termination. */
  batch(index: number): this {
    return this.iteration(index)
      .surged()
      .step('Cordon', 1)
      .drainRound(false, ['shop/web-0: PodDisruptionBudget shop/web allows no disruption now'])
      .waitForDrain()
      .drainRound(true)
      .step('Drained?', 0)
      .terminated();
  }

  succeeded(output: Record<string, unknown> = {}): this {
    this.add('MapStateSucceeded').add('MapStateExited', {
      stateExitedEventDetails: { name: 'ReplaceBatches' },
    });
    return this.step('Finish', 2, { report: { nodesReplaced: 4 } })
      .step('Done', 0)
      .add('ExecutionSucceeded', { executionSucceededEventDetails: { output: JSON.stringify(output) } });
  }

  /** The Lambda of the current state failed with `error`; rollback ran and the execution failed. */
  failed(error: string, cause: string): this {
    this.add('LambdaFunctionFailed', {
      lambdaFunctionFailedEventDetails: {
        error,
        cause: JSON.stringify({ errorType: error, errorMessage: cause }),
      },
    });
    this.add('MapIterationFailed', {
      mapIterationFailedEventDetails: { name: 'ReplaceBatches', index: this.iterationIndex },
    });
    this.add('MapStateFailed');
    this.step('Rollback', 5, { failure: { name: error, cause } });
    this.enter('RolloutFailed');
    return this.add('ExecutionFailed', { executionFailedEventDetails: { error, cause } });
  }
}
