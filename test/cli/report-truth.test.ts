import { describe, expect, it } from 'vitest';
import { defaultScenario } from '../../cli/scenario.ts';
import { formatDuration } from '../../report/duration.ts';
import { renderReportHtml } from '../../report/html.ts';
import { timelineFromSimulation } from '../../report/timeline.ts';
import { simulate } from '../../simulator/runner.ts';
import { loadScenario } from '../../simulator/scenario.ts';

const shared = (name: string) => new URL(`../../../shared/scenarios/${name}`, import.meta.url);

describe('the rollout report tells the truth', () => {
  it('puts every node of the default rollout in the batch it was planned in', async () => {
    const timeline = timelineFromSimulation(await simulate(await loadScenario(defaultScenario)));
    const old = timeline.nodes.filter((node) => node.role === 'replaced');
    expect(old.map((node) => node.batch).sort()).toEqual([0, 0, 1, 1, 2]);
    const replacements = timeline.nodes.filter((node) => node.role === 'replacement');
    expect(replacements.map((node) => node.batch).sort()).toEqual([0, 0, 1, 1, 2]);
    // An old node waits for its replacement from the moment the replacement is asked for.
    for (const node of old) {
      const launches = replacements
        .filter((other) => other.batch === node.batch)
        .map((other) => other.phases[0]?.start ?? 0);
      const wait = node.phases.find((span) => span.phase === 'waitReady');
      expect(wait?.start, node.nodeName).toBeLessThanOrEqual(Math.min(...launches));
    }
    const html = renderReportHtml(timeline);
    expect(html).toContain('Batch 3');
    expect(html).toContain('Old node waits for its replacement</li>');
  });

  it('gives a failed rollout one row per planned node, its refusals, the failure point and the cause', async () => {
    const report = await simulate(await loadScenario(shared('pdb-blocks.json')));
    const timeline = timelineFromSimulation(report);
    const planned = timeline.nodes.filter((node) => node.role !== 'replacement');
    expect(planned.map((node) => [node.batch, node.role])).toEqual([
      [0, 'replaced'],
      [1, 'untouched'],
      [2, 'untouched'],
      [3, 'untouched'],
    ]);
    expect(planned[0]?.refusals?.length).toBeGreaterThan(0);
    expect(timeline.failures).toHaveLength(1);
    expect(timeline.failures[0]).toMatchObject({
      name: 'DrainTimeout',
      cause: expect.stringContaining('PDB ledger'),
    });
    const html = renderReportHtml(timeline);
    expect(html).toContain('0 of 4 replaced');
    // As long as the execution ran (the text summary's figure, less the simulator's settling second),
    // though the axis runs on while the unused replacement terminates.
    const ended = report.timeline.filter((e) => e.event === 'ExecutionFailed').at(-1)?.t ?? 0;
    expect(report.simulatedSeconds - ended).toBeLessThan(2);
    expect(html).toContain(`<dt>Duration</dt><dd>${formatDuration(ended)}</dd>`);
    expect(timeline.end).toBeGreaterThan(ended + 60);
    expect(html).toMatch(/<p class="cause"><strong>DrainTimeout<\/strong> at [\d:]+: Drain of /);
    expect(html).toContain('<g class="failure"');
    expect(html).toMatch(/Not reached, still on the old AMI: .*\(batch 2\)/);
    expect(html).toContain('class="refusal"');
  });
});

describe('the report of a re-run rollout', () => {
  it('draws every execution on one time axis, the rollback, and ends as the last execution ended', async () => {
    const report = await simulate(
      await loadScenario(new URL('../simulator/scenarios/rerun-after-failure.json', import.meta.url)),
    );
    const timeline = timelineFromSimulation(report);
    expect(timeline.runs.map((run) => [run.status, run.rollback !== undefined])).toEqual([
      ['FAILED', true],
      ['SUCCEEDED', false],
    ]);
    expect(timeline.outcome).toBe('SUCCEEDED');
    const second = timeline.runs[1];
    // The re-run's batches are drawn after it started, on the same axis as the first run's.
    const rerun = timeline.nodes.filter((node) => node.run === 1 && node.role === 'replaced');
    expect(rerun.length).toBeGreaterThan(0);
    for (const node of rerun) {
      const terminate = node.phases.find((span) => span.phase === 'terminate');
      expect(terminate?.start, node.nodeName).toBeGreaterThan(second?.start ?? Number.POSITIVE_INFINITY);
    }
    // Every node of the first plan is on a row, and all of them end up replaced.
    const old = timeline.nodes.filter((node) => node.role === 'replaced' || node.role === 'untouched');
    expect(old).toHaveLength(5);
    // The 3 replacements the failed run kept beyond the group's own size (launched ahead, they held
    // pods) are drained and removed by the re-run first.
    const removed = timeline.nodes.filter((node) => node.role === 'removed');
    expect(removed).toHaveLength(3);
    expect(removed.every((node) => node.run === 1 && node.phases.some((s) => s.phase === 'terminate'))).toBe(
      true,
    );
    expect(old.every((node) => node.phases.some((span) => span.phase === 'terminate'))).toBe(true);
    // The first run's batch-2 nodes were uncordoned by its rollback, then replaced by the re-run.
    expect(old.filter((node) => node.phases.some((span) => span.phase === 'rollback'))).toHaveLength(2);
    expect(timeline.failures).toEqual([
      expect.objectContaining({ run: 0, name: 'DrainTimeout', cause: expect.stringContaining('PDB web') }),
    ]);
    const html = renderReportHtml(timeline);
    expect(html).toContain('<dd class="outcome ok">SUCCEEDED</dd>');
    expect(html).toContain('>5 replaced, 8 launched, 3 left by an earlier run removed<');
    expect(html).toContain('>1. FAILED, 2. SUCCEEDED</dd>');
    expect(html).toMatch(/<p class="cause">Run 1: <strong>DrainTimeout<\/strong>/);
    expect(html).toContain('Run 2, batch 1');
    expect(html).toContain('<rect class="rollback" data-run="0"');
    expect(html).not.toContain('Not reached');
  });
});
