import { describe, expect, it } from 'vitest';
import { defaultScenario } from '../../cli/scenario.ts';
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
    expect(timeline.failure).toMatchObject({
      name: 'DrainTimeout',
      cause: expect.stringContaining('PDB ledger'),
    });
    const html = renderReportHtml(timeline);
    expect(html).toContain('0 of 4 replaced');
    expect(html).toMatch(/<p class="cause"><strong>DrainTimeout<\/strong> at [\d:]+: Drain of /);
    expect(html).toContain('<g class="failure"');
    expect(html).toMatch(/Not reached, still on the old AMI: .*\(batch 2\)/);
    expect(html).toContain('class="refusal"');
  });
});
