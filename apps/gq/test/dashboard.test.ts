import { existsSync } from 'node:fs';
import { GopherQueueClient } from '@gopherqueue/api';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  killAll,
  spawnServer,
  spawnWorker,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';

const CHROMIUM = '/usr/bin/chromium';
// Without Chromium the tests are skipped, except under CI (which installs it), where they fail.
const available = existsSync(CHROMIUM) || process.env.CI === 'true';

let server: GqProcess;
let dir: { path: string; remove(): Promise<void> };
let client: GopherQueueClient;
let browser: Browser;
/** Every URL the pages asked for. */
const requested: string[] = [];

async function open(path: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('request', (request) => requested.push(request.url()));
  await page.goto(server.url + path);
  return page;
}

beforeAll(async () => {
  if (!available) return;
  dir = await tempDir('gq-dashboard-');
  server = await spawnServer(dir.path);
  client = new GopherQueueClient({ baseUrl: server.url });
  await spawnWorker(server.url, ['--types', 'remote.flaky,remote.logging']);
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

describe.skipIf(!available)('the dashboard in Chromium', () => {
  it('shows counts by state that update live when a job is submitted through the API', async () => {
    const page = await open('/ui/');
    const scheduled = page.locator('[data-state="scheduled"] b');
    await scheduled.waitFor();
    const before = Number(await scheduled.textContent());
    await client.submit('dashboard.nobody', null);
    // Live: the count changes without a reload (the page's event stream).
    await page
      .locator('[data-state="scheduled"] b')
      .filter({ hasText: new RegExp(`^${before + 1}$`) })
      .waitFor();
    expect(Number(await scheduled.textContent())).toBe(before + 1);
    await page.close();
  });

  it('retries three selected dead-lettered jobs', async () => {
    const jobs = [];
    for (let i = 0; i < 4; i++) {
      jobs.push(await client.submit('remote.flaky', { failures: 5 }, { maxAttempts: 1 }));
    }
    for (const job of jobs) expect((await client.wait(job.id, '20s')).state).toBe('dead_letter');
    const page = await open('/ui/dead-letter');
    const chosen = jobs.slice(0, 3);
    for (const job of chosen) {
      await page.getByLabel(`select job ${job.id}`).check();
    }
    await page.getByRole('button', { name: 'Requeue selected' }).click();
    await page.getByRole('status').filter({ hasText: 'retry: 3 of 3 jobs' }).waitFor();
    // Requeued, each ran once more (and, still failing, went back to the dead letter).
    for (const job of chosen) {
      await eventually(
        async () => ((await client.get(job.id)).attempt === 2 ? true : undefined),
        `job ${job.id} run again`,
      );
    }
    expect((await client.get(jobs[3]!.id)).attempt).toBe(1);
    await page.close();
  });

  it("shows a job's log lines on its page", async () => {
    const job = await client.submit('remote.logging', { lines: 2 });
    expect((await client.wait(job.id, '20s')).state).toBe('completed');
    const page = await open(`/ui/jobs/${job.id}`);
    const log = page.getByRole('table', { name: 'Log lines' });
    await log.waitFor();
    expect(await log.locator('tbody tr').allTextContents()).toEqual([
      expect.stringContaining('line 1'),
      expect.stringContaining('line 2'),
      expect.stringContaining('done'),
    ]);
    await page.close();
  });

  it('asks nothing of any host but the server', () => {
    expect(requested.length).toBeGreaterThan(0);
    const origin = new URL(server.url).origin;
    expect(requested.filter((url) => new URL(url).origin !== origin)).toEqual([]);
  });
});
