import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultScenario } from '../../cli/scenario.ts';
import { renderReportHtml } from '../../report/html.ts';
import { timelineFromSimulation } from '../../report/timeline.ts';
import { launchChromium } from '../../scripts/chromium.ts';
import { type SimulationReport, simulate } from '../../simulator/runner.ts';
import { loadScenario } from '../../simulator/scenario.ts';

const shared = (name: string) => new URL(`../../../shared/scenarios/${name}`, import.meta.url);
const ours = (name: string) => new URL(`../simulator/scenarios/${name}`, import.meta.url);

/** Where each planned node belongs, read from the plans the executions recorded: its last plan wins. */
function plannedBatches(report: SimulationReport) {
  const plans = report.timeline.filter((e) => e.event === 'RolloutPlanned');
  const executions = [...new Set(plans.map((e) => String(e.detail.execution)))];
  const placed = new Map<string, { execution: string; run: number; batch: number }>();
  for (const event of plans) {
    const { batches } = event.detail.plan as { batches: { index: number; nodes: { nodeName: string }[] }[] };
    const execution = String(event.detail.execution);
    for (const batch of batches)
      for (const node of batch.nodes)
        placed.set(node.nodeName, { execution, run: executions.indexOf(execution), batch: batch.index });
  }
  return { placed, several: executions.length > 1 };
}

interface Rendered {
  rows: {
    node: string;
    role: string;
    header: string;
    bars: { phase: string; left: number; width: number }[];
  }[];
  ticks: { minutes: number; x: number }[];
  failureLines: { x: number; height: number }[];
  causes: string[];
  outcome: string;
}

let browser: Browser;
let launchSeconds = 0;

beforeAll(async () => {
  const started = performance.now();
  browser = await launchChromium();
  launchSeconds = (performance.now() - started) / 1000;
});

afterAll(async () => {
  await browser?.close();
});

/** The report of the scenario as headless Chromium lays it out: rows under their batch headers, bars in pixels. */
async function render(scenario: URL): Promise<{ report: SimulationReport; rendered: Rendered }> {
  const report = await simulate(await loadScenario(scenario));
  const file = join(await mkdtemp(join(tmpdir(), 'report-')), 'report.html');
  await writeFile(file, renderReportHtml(timelineFromSimulation(report)));
  const page = await browser.newPage({ viewport: { width: 1240, height: 400 } });
  try {
    await page.goto(pathToFileURL(file).href);
    // Positions as laid out; playwright types the elements, so the page needs no DOM typings here.
    const headers = await page.$$eval('svg text.batch', (texts) =>
      texts.map((text) => ({ label: text.textContent ?? '', top: text.getBoundingClientRect().top })),
    );
    const groups = await page.$$eval('g[data-node]', (elements) =>
      elements.map((group) => ({
        node: group.getAttribute('data-node') ?? '',
        role: group.getAttribute('data-role') ?? '',
        top: group.getBoundingClientRect().top,
        bars: [...group.querySelectorAll('rect.bar')].map((bar) => ({
          phase: bar.getAttribute('data-phase') ?? '',
          left: bar.getBoundingClientRect().left,
          width: bar.getBoundingClientRect().width,
        })),
      })),
    );
    const rendered: Rendered = {
      rows: groups.map(({ top, ...row }) => ({
        ...row,
        header: headers.filter((header) => header.top < top).at(-1)?.label ?? '',
      })),
      ticks: await page.$$eval('svg text.tick', (ticks) =>
        ticks.map((tick) => {
          const { left, width } = tick.getBoundingClientRect();
          return { minutes: Number.parseFloat(tick.textContent ?? ''), x: left + width / 2 };
        }),
      ),
      failureLines: await page.$$eval('g.failure line', (lines) =>
        lines.map((line) => {
          const { left, width, height } = line.getBoundingClientRect();
          return { x: left + width / 2, height };
        }),
      ),
      causes: await page.$$eval('p.cause', (paragraphs) => paragraphs.map((p) => p.textContent ?? '')),
      outcome: (await page.locator('dd.outcome').textContent()) ?? '',
    };
    return { report, rendered };
  } finally {
    await page.close();
  }
}

/** Pixels of a moment of the simulation, from the axis as drawn (its ticks count from the first execution). */
function pixelOf(rendered: Rendered, report: SimulationReport) {
  const [zero, last] = [rendered.ticks[0], rendered.ticks.at(-1)];
  if (!zero || !last || last.minutes === 0) throw new Error('the axis has fewer than two ticks');
  const origin = report.timeline.find((e) => e.event === 'ExecutionStarted')?.t ?? 0;
  return (t: number) => zero.x + ((t - origin) / (last.minutes * 60)) * (last.x - zero.x);
}

/** One row per planned node, under the header of its batch, its drain drawn where its batch drained. */
function expectRowsInTheirBatches(report: SimulationReport, rendered: Rendered): void {
  const { placed, several } = plannedBatches(report);
  const old = rendered.rows.filter((row) => row.role !== 'replacement');
  expect(old.map((row) => row.node).sort()).toEqual([...placed.keys()].sort());
  const pixel = pixelOf(rendered, report);
  for (const row of old) {
    const { execution, run, batch } = placed.get(row.node) ?? { execution: '', run: -1, batch: -1 };
    expect(row.header, row.node).toBe(several ? `Run ${run + 1}, batch ${batch + 1}` : `Batch ${batch + 1}`);
    const drained = report.timeline.find(
      (e) =>
        e.event === 'StateEntered' &&
        e.detail.execution === execution &&
        e.detail.state === 'Drain' &&
        e.detail.batch === batch,
    );
    const drain = row.bars.filter((bar) => bar.phase === 'drain').at(-1);
    expect(drain === undefined, `${row.node} drawn drained when its batch was`).toBe(drained === undefined);
    if (drain && drained) expect(Math.abs(drain.left - pixel(drained.t)), row.node).toBeLessThan(3);
    for (const bar of row.bars) expect(bar.width, `${row.node} ${bar.phase}`).toBeGreaterThan(0);
  }
}

describe('the rollout report in headless Chromium', () => {
  it('launches the Chromium that npm installed', () => {
    expect(browser.isConnected()).toBe(true);
    console.info(`Headless Chromium launched in ${launchSeconds.toFixed(1)} s`);
  });

  it('draws the default rollout: every planned node replaced in its batch, no failure', async () => {
    const { report, rendered } = await render(defaultScenario);
    expect(report.status).toBe('SUCCEEDED');
    expectRowsInTheirBatches(report, rendered);
    for (const row of rendered.rows.filter((r) => r.role === 'replaced'))
      expect(
        row.bars.map((bar) => bar.phase),
        row.node,
      ).toContain('terminate');
    expect(rendered.failureLines).toEqual([]);
    expect(rendered.outcome).toBe('SUCCEEDED');
  });

  it('draws a failing rollout: the untouched nodes in their batches, the failure marked, its pods and PDB in words', async () => {
    const { report, rendered } = await render(shared('pdb-blocks.json'));
    expect(report.status).toBe('FAILED');
    expectRowsInTheirBatches(report, rendered);
    expect(rendered.rows.filter((row) => row.role === 'untouched')).toHaveLength(3);
    const pixel = pixelOf(rendered, report);
    const failed = report.timeline.filter((e) => e.event === 'TaskFailed').at(-1);
    expect(rendered.failureLines).toHaveLength(1);
    expect(rendered.failureLines[0]?.height).toBeGreaterThan(50);
    expect(Math.abs((rendered.failureLines[0]?.x ?? 0) - pixel(failed?.t ?? 0))).toBeLessThan(3);
    expect(rendered.causes).toEqual([
      expect.stringMatching(/^DrainTimeout at .*finance\/ledger-\d refused by PDB ledger/),
    ]);
    expect(rendered.outcome).toBe('FAILED: DrainTimeout');
  });

  it('draws a re-run rollout: both executions on one axis, the rollback, the first one’s failure and the outcome of the last', async () => {
    const { report, rendered } = await render(ours('rerun-after-failure.json'));
    expectRowsInTheirBatches(report, rendered);
    for (const row of rendered.rows.filter((r) => r.role !== 'replacement'))
      expect(
        row.bars.map((bar) => bar.phase),
        row.node,
      ).toContain('terminate');
    expect(rendered.rows.some((row) => row.bars.some((bar) => bar.phase === 'rollback'))).toBe(true);
    expect(rendered.failureLines).toHaveLength(1);
    expect(rendered.causes).toEqual([
      expect.stringMatching(/^Run 1: DrainTimeout at .*shop\/web-[\w-]+ refused by PDB web/),
    ]);
    expect(rendered.outcome).toBe('SUCCEEDED');
  });
});
