import chromium from '@sparticuz/chromium';
import { type Browser, chromium as playwright } from 'playwright-core';

/**
 * Headless Chromium from the npm registry alone: @sparticuz/chromium carries the binary (and the
 * libraries it needs) inside its tarball, so `npm ci` on a fresh machine is enough, with no browser
 * download and no system package.
 */
export async function launchChromium(): Promise<Browser> {
  return playwright.launch({
    executablePath: await chromium.executablePath(),
    // Lambda needs one process; here it would make closing a page close the browser.
    args: chromium.args.filter((arg) => arg !== '--single-process'),
    headless: true,
  });
}
