import { describe, expect, it } from 'vitest';
import { historyEventsOf } from '../../simulator/history.ts';
import { simulate } from '../../simulator/runner.ts';
import { loadScenario } from '../../simulator/scenario.ts';

describe('the simulator counts what Step Functions counts', () => {
  it('a failure in the first batch starts no later batch: nothing of it is counted, Rollback runs alone', async () => {
    const scenario = await loadScenario(new URL('../../../shared/scenarios/bad-ami.json', import.meta.url));
    const report = await simulate(scenario);
    expect(report.error?.name).toBe('ReplacementNotReady');
    const entered = report.timeline.filter((event) => event.event === 'StateEntered');
    expect(entered.filter((event) => event.detail.state === 'RenewLock')).toHaveLength(1);
    // After Rollback only its own tail runs (no EKS revert or zone wait here): ReleaseLock, never a batch state.
    const afterRollback = entered.slice(entered.findIndex((event) => event.detail.state === 'Rollback') + 1);
    expect(afterRollback.map((event) => event.detail.state)).toEqual(['ReleaseLock']);
    expect(report.executionStats.map((execution) => execution.stateTransitions)).toEqual([
      report.stateTransitions,
    ]);
  });

  it('a retried Lambda Task adds 3 history events: LambdaFunctionFailed, Scheduled, Started', () => {
    const failed = historyEventsOf({ type: 'StateFailed', state: { type: 'Task' } });
    const retried = historyEventsOf({ type: 'StateRetried', state: { type: 'Task' } });
    expect(failed + retried).toBe(3);
  });
});
