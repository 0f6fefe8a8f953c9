import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { defaultScenario } from '../../cli/scenario.ts';
import { renderReportHtml } from '../../report/html.ts';
import { timelineFromSimulation } from '../../report/timeline.ts';
import { simulate } from '../../simulator/runner.ts';
import { loadScenario } from '../../simulator/scenario.ts';

const chromiumPath = '/usr/bin/chromium';
const screenshot = new URL('../../docs/report-screenshot.png', import.meta.url);
const run = promisify(execFile);

/** Debian's chromium, installed when missing; the reason it cannot be, otherwise. */
async function chromiumUnavailable(): Promise<string | undefined> {
  if (existsSync(chromiumPath)) return undefined;
  const install = () =>
    run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { timeout: 600_000 });
  try {
    await install().catch(async () => {
      await run('apt-get', ['update'], { timeout: 300_000 });
      await install();
    });
  } catch (error) {
    return `apt-get install chromium failed: ${(error as Error).message.split('\n')[0]}`;
  }
  return existsSync(chromiumPath) ? undefined : `apt-get installed chromium, but ${chromiumPath} is missing`;
}

const unavailable = await chromiumUnavailable();
if (unavailable) console.warn(`Skipping the headless Chromium report test: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('the rollout report in headless Chromium', () => {
  it('renders a bar group for every node the default scenario replaced', async () => {
    const report = await simulate(await loadScenario(defaultScenario));
    const timeline = timelineFromSimulation(report);
    const file = join(await mkdtemp(join(tmpdir(), 'report-')), 'report.html');
    await writeFile(file, renderReportHtml(timeline));

    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1240, height: 300 } });
      await page.goto(pathToFileURL(file).href);
      await mkdir(new URL('.', screenshot), { recursive: true });
      await page.screenshot({ path: screenshot.pathname, fullPage: true });

      const rendered = await page.$$eval('g[data-node]', (groups) =>
        groups.map((group) => ({
          node: group.getAttribute('data-node'),
          role: group.getAttribute('data-role'),
          barWidths: [...group.querySelectorAll('rect')].map((bar) => bar.getBoundingClientRect().width),
        })),
      );
      const replaced = report.instances
        .filter(
          (i) =>
            i.nodeGroup === timeline.target.nodeGroupName &&
            i.amiId !== timeline.target.amiId &&
            i.state === 'terminated',
        )
        .map((i) => i.nodeName);
      expect(report.status).toBe('SUCCEEDED');
      expect(replaced.length).toBeGreaterThan(0);
      expect(
        rendered
          .filter((group) => group.role === 'replaced')
          .map((group) => group.node)
          .sort(),
      ).toEqual([...replaced].sort());
      for (const group of rendered) {
        expect(group.barWidths.length, `bars of ${group.node}`).toBeGreaterThan(0);
        expect(Math.min(...group.barWidths), `bar widths of ${group.node}`).toBeGreaterThan(0);
      }
      expect(await page.locator('header').textContent()).toContain('SUCCEEDED');
    } finally {
      await browser.close();
    }
  });
});
