import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from './gq-process.js';

/** Debian's Chromium. */
export const CHROMIUM = '/usr/bin/chromium';
/** Without Chromium the browser tests are skipped, except under CI (which installs it). */
export const chromiumAvailable = existsSync(CHROMIUM) || process.env.CI === 'true';

/** Headless Chromium that calls no host of its own (updates, sync, first-run pages). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

/** Every console error and uncaught exception of `page`, as they come. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return errors;
}

/** Where the browser tests leave their screenshots (ignored by git). */
export const SCREENSHOT_DIR = join(REPO_ROOT, 'apps/gq/test-results/screenshots');

/** Saves a full-page screenshot of `page` as `<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
