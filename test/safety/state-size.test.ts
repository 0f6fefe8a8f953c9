import { describe, expect, it } from 'vitest';
import { simulate } from '../../simulator/runner.ts';
import { parseScenario } from '../../simulator/scenario.ts';
import { named } from '../simulator/world-fixture.ts';
import { group, rolloutInput, safetyDocument } from './fixture.ts';

/** Step Functions' limit on a state's input or output. */
const maxStateBytes = 256 * 1024;

describe('state size', () => {
  it('keeps the largest state of a 100-node batch with every pod refused under 256 KiB, so the rollback still runs', async () => {
    const document = safetyDocument();
    Object.assign(named(document.nodeGroups, group), {
      instances: 100,
      minSize: 50,
      maxSize: 200,
      podsPerNode: 12,
    });
    Object.assign(named(document.workloads, 'web'), { replicas: 400 });
    // Armed as the batch starts: the pods turn unready, so their budget refuses every eviction.
    document.faults = [{ kind: 'pdbNeverAllows', workload: 'web', batch: 'first' }];
    document.execution = { input: rolloutInput({ maxUnavailable: 100, drainTimeoutSeconds: 60 }) };
    // A round evicts hundreds of pods: on a busy machine that takes real seconds.
    const report = await simulate(parseScenario(document), { settleSeconds: 60, stuckHandlerSeconds: 120 });
    expect(report.error?.name).toBe('DrainTimeout');
    expect(report.error?.cause).toMatch(/… and \d+ more/);
    expect(report.timeline.some((event) => event.event === 'RollbackStarted')).toBe(true);
    const largest = Math.max(...report.executionStats.map((stats) => stats.maxPayloadBytes));
    expect(largest).toBeLessThan(maxStateBytes);
  }, 900_000);
});
