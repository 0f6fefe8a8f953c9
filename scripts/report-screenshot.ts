import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defaultScenario } from '../cli/scenario.ts';
import { renderReportHtml } from '../report/html.ts';
import { timelineFromSimulation } from '../report/timeline.ts';
import { simulate } from '../simulator/runner.ts';
import { loadScenario } from '../simulator/scenario.ts';
import { launchChromium } from './chromium.ts';

/** `npm run report:screenshot [SCENARIO] [OUT.png]`: the report of a simulated rollout, as the browser draws it. */
const [scenario = fileURLToPath(defaultScenario), out = 'docs/report-screenshot.png'] = process.argv.slice(2);
const html = join(await mkdtemp(join(tmpdir(), 'report-')), 'report.html');
await writeFile(html, renderReportHtml(timelineFromSimulation(await simulate(await loadScenario(scenario)))));
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1240, height: 300 } });
  await page.goto(pathToFileURL(html).href);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`Screenshot: ${out}`);
} finally {
  await browser.close();
}
