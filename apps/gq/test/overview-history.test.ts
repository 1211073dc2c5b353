import { existsSync } from 'node:fs';
import { GopherQueueClient } from '@gopherqueue/api';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, spawnServer, tempDir, type GqProcess } from './helpers/gq-process.js';

const CHROMIUM = '/usr/bin/chromium';
// Without Chromium the test is skipped, except under CI (which installs it), where it fails.
const available = existsSync(CHROMIUM) || process.env.CI === 'true';

let server: GqProcess;
let dir: { path: string; remove(): Promise<void> };
let browser: Browser;

beforeAll(async () => {
  if (!available) return;
  dir = await tempDir('gq-overview-history-');
  server = await spawnServer(dir.path);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox'],
  });
});

afterAll(async () => {
  await browser?.close();
  await killAll();
  await dir?.remove();
});

describe.skipIf(!available)("the overview's charts of the last hour", () => {
  it('draw the server history and follow it without a reload, the page below staying put', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${server.url}/ui/`);
    const summary = page.locator('#history-summary');
    await summary.filter({ hasText: /: 0 completed, 0 failed\.$/ }).waitFor({ timeout: 30_000 });
    // Two uPlot charts: throughput, and wait and run time.
    await page.locator('#history .uplot').nth(1).waitFor({ timeout: 30_000 });
    expect(await page.locator('#history .uplot').count()).toBe(2);
    const table = page.getByRole('table', { name: 'Jobs by queue and state' });
    const before = await table.boundingBox();

    const client = new GopherQueueClient({ baseUrl: server.url });
    const jobs = [
      await client.submit('echo', 1),
      await client.submit('echo', 2),
      await client.submit('error', 'boom', { maxAttempts: 1 }),
    ];
    for (const job of jobs) await client.wait(job.id, '30s');
    // The charts re-read the history every few seconds: no reload.
    await summary.filter({ hasText: /: 2 completed, 1 failed\.$/ }).waitFor({ timeout: 30_000 });
    expect(await page.locator('#history .uplot').count()).toBe(2);
    expect((await table.boundingBox())?.y).toBe(before?.y);
    expect(errors).toEqual([]);
    await page.close();
  });
});
