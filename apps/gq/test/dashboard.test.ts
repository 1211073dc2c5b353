import { GopherQueueClient } from '@gopherqueue/api';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumAvailable,
  launchChromium,
  pageErrors,
  screenshot,
  SCREENSHOT_DIR,
} from './helpers/browser.js';
import {
  eventually,
  killAll,
  spawnServer,
  spawnWorker,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';

const available = chromiumAvailable;

let server: GqProcess;
let dir: { path: string; remove(): Promise<void> };
let client: GopherQueueClient;
let browser: Browser;
/** Every URL the pages asked for. */
const requested: string[] = [];
/** The console errors and uncaught exceptions of every page opened, by path. */
const errors = new Map<string, string[]>();

async function open(path: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('request', (request) => requested.push(request.url()));
  errors.set(path, pageErrors(page));
  await page.goto(server.url + path);
  return page;
}

/** An API call of the server (no key: loopback). */
async function call(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text === '' ? null : (JSON.parse(text) as unknown);
}

/** The text of the job page's field `name` (its `<dd>`). */
function field(page: Page, name: string) {
  return page.locator(`dd[data-field="${name}"]`);
}

beforeAll(async () => {
  if (!available) return;
  dir = await tempDir('gq-dashboard-');
  server = await spawnServer(dir.path);
  client = new GopherQueueClient({ baseUrl: server.url });
  await spawnWorker(server.url, ['--types', 'remote.flaky,remote.logging']);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await killAll();
  await dir?.remove();
});

describe.skipIf(!available)('the dashboard in Chromium', { timeout: 120_000 }, () => {
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

  it('loads every page without a console error', async () => {
    const done = await client.submit('echo', { hello: 'dashboard' });
    expect((await client.wait(done.id, '20s')).state).toBe('completed');
    await call('POST', '/schedules', { name: 'hourly', every: '1h', job: { type: 'echo' } });
    const pages: [string, string][] = [
      ['/ui/', 'Overview'],
      ['/ui/queues', 'Queues'],
      ['/ui/jobs', 'Jobs'],
      [`/ui/jobs/${done.id}`, `Job ${done.id}`],
      ['/ui/dead-letter', 'Dead letter'],
      ['/ui/schedules', 'Schedules'],
      ['/ui/workers', 'Workers'],
    ];
    for (const [path, title] of pages) {
      const page = await open(path);
      await page.getByRole('heading', { level: 1, name: title, exact: true }).waitFor();
      expect([path, errors.get(path)]).toEqual([path, []]);
      await page.close();
    }
  });

  it("moves a running sleep job's progress on its page without a reload, in place", async () => {
    const job = await client.submit('sleep', '20s');
    const page = await open(`/ui/jobs/${job.id}`);
    await field(page, 'state')
      .filter({ hasText: /^running$/ })
      .waitFor({ timeout: 30_000 });
    // A string, evaluated in the page (these tests compile without the DOM's types).
    await page.evaluate('window.kept = true');
    const percent = async (): Promise<number> =>
      parseInt((await page.locator('#progress-text').textContent()) ?? '');
    await expect.poll(percent, { timeout: 30_000 }).toBeGreaterThan(0);
    const first = await percent();
    const payloadAt = (await page.locator('#job-payload').boundingBox())?.y;
    await expect.poll(percent, { timeout: 30_000 }).toBeGreaterThan(first);
    // The text and the bar, read at once: the same value.
    const [text, bar] = await page.evaluate<[string, string]>(
      "[document.getElementById('progress-text').textContent, document.getElementById('progress-bar').getAttribute('value')]",
    );
    expect(parseInt(text)).toBeGreaterThan(first);
    expect(Number(bar)).toBe(parseInt(text));
    // The same document (no reload), and what follows the progress did not move.
    expect(await page.evaluate('window.kept')).toBe(true);
    expect((await page.locator('#job-payload').boundingBox())?.y).toBe(payloadAt);
    expect(errors.get(`/ui/jobs/${job.id}`)).toEqual([]);
    await client.cancel(job.id);
    await page.close();
  });

  it('cancels a running job from its page', async () => {
    const job = await client.submit('sleep', '10m');
    const page = await open(`/ui/jobs/${job.id}`);
    await field(page, 'state')
      .filter({ hasText: /^running$/ })
      .waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await field(page, 'state')
      .filter({ hasText: /^cancelled$/ })
      .waitFor({ timeout: 30_000 });
    expect((await client.get(job.id)).state).toBe('cancelled');
    // The timeline lists each state the job entered, at the times the server recorded.
    const stored = await client.get(job.id);
    const items = await page.locator('#timeline li').allTextContents();
    expect(items).toEqual([
      `${stored.transitions![0]!.at} submitted: scheduled`,
      `${stored.transitions![1]!.at} attempt 1 started`,
      `${stored.transitions![2]!.at} cancelled`,
    ]);
    expect(stored.transitions!.map((t) => [t.state, t.attempt])).toEqual([
      ['scheduled', 0],
      ['running', 1],
      ['cancelled', 1],
    ]);
    // A cancelled job offers retry, not cancel.
    expect(await page.getByRole('button', { name: 'Cancel job' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Retry job' }).count()).toBe(1);
    await page.close();
  });

  it('follows the light or dark scheme, and cancels by keyboard alone', async () => {
    const job = await client.submit('sleep', '10m');
    const page = await open(`/ui/jobs/${job.id}`);
    await field(page, 'state')
      .filter({ hasText: /^running$/ })
      .waitFor({ timeout: 30_000 });
    const background = (): Promise<string> =>
      page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await background()).toBe('rgb(255, 255, 255)');
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await background()).toBe('rgb(15, 18, 22)');
    // Tab from the top of the page to the cancel button, then Enter.
    let focused = '';
    for (let i = 0; i < 40 && focused !== 'job-cancel'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate<string>('document.activeElement.id');
    }
    expect(focused).toBe('job-cancel');
    await page.keyboard.press('Enter');
    await field(page, 'state')
      .filter({ hasText: /^cancelled$/ })
      .waitFor({ timeout: 30_000 });
    expect((await client.get(job.id)).state).toBe('cancelled');
    await page.close();
  });

  it('requeues 50 dead-lettered jobs of one type and queue in one request', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      ids.push((await client.submit('error', `boom ${i}`, { queue: 'bulkq', maxAttempts: 1 })).id);
    }
    const other = await client.submit('error', 'elsewhere', { queue: 'otherq', maxAttempts: 1 });
    for (const id of [...ids, other.id]) {
      expect((await client.wait(id, '60s')).state).toBe('dead_letter');
    }
    // Paused, the queue keeps the requeued jobs waiting (else they would run and fail again).
    await call('PATCH', '/queues/bulkq', { paused: true });
    const page = await open('/ui/dead-letter?type=error&queue=bulkq');
    const bulkRequests: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/api/v1/jobs/bulk') bulkRequests.push(r.method());
    });
    await page.locator('#job-table tbody tr').first().waitFor();
    await page
      .getByRole('button', { name: 'Requeue all dead-lettered jobs of type error, queue bulkq' })
      .click();
    await page.getByRole('status').filter({ hasText: 'requeue all: 50 of 50 jobs' }).waitFor();
    expect(bulkRequests).toEqual(['POST']);
    const states = await Promise.all(ids.map(async (id) => (await client.get(id)).state));
    expect(new Set(states)).toEqual(new Set(['scheduled']));
    expect((await client.get(other.id)).state).toBe('dead_letter');
    await page.getByText('No jobs.').waitFor();
    await page.close();
  });

  it('filters the jobs page by tag, with the other filters', async () => {
    await call('PATCH', '/queues/tagq', { paused: true });
    const prod = [
      await client.submit('tagged', 1, { queue: 'tagq', tags: { env: 'prod' } }),
      await client.submit('tagged', 2, { queue: 'tagq', tags: { env: 'prod' } }),
    ];
    const staging = await client.submit('tagged', 3, { queue: 'tagq', tags: { env: 'staging' } });
    const page = await open('/ui/jobs?queue=tagq');
    await page.locator('#job-table tbody tr').nth(2).waitFor();
    await page.getByLabel('Tag').fill('env:prod');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/tag=env%3Aprod/);
    const rows = page.locator('#job-table tbody tr');
    await rows.nth(1).waitFor();
    const text = (await rows.allInnerTexts()).join('\n');
    expect(await rows.count()).toBe(2);
    for (const job of prod) expect(text).toContain(job.id);
    expect(text).not.toContain(staging.id);
    await page.close();
  });

  it('pauses a queue and edits its limits from the queues page', async () => {
    await client.submit('dashboard.nobody', null, { queue: 'limited' });
    const page = await open('/ui/queues');
    await page.getByRole('button', { name: 'Pause limited' }).click();
    await page.getByRole('button', { name: 'Resume limited' }).waitFor();
    expect(((await call('GET', '/queues/limited')) as { paused: boolean }).paused).toBe(true);
    await page.locator('#limit-queue').selectOption('limited');
    await page.getByLabel('Concurrency').fill('3');
    await page.getByLabel('Rate (like 100/1s)').fill('10/1s');
    await page.getByLabel('Per group').fill('2');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByRole('status').filter({ hasText: 'limits of limited saved' }).waitFor();
    expect(await call('GET', '/queues/limited')).toMatchObject({
      paused: true,
      concurrency: 3,
      rate: '10/1s',
      group_concurrency: 2,
    });
    await page
      .locator('tr[data-queue="limited"] td[data-limits]')
      .filter({ hasText: 'concurrency 3, rate 10/1s, per group 2' })
      .waitFor();
    await page.getByRole('button', { name: 'Resume limited' }).click();
    await page.getByRole('button', { name: 'Pause limited' }).waitFor();
    expect(((await call('GET', '/queues/limited')) as { paused: boolean }).paused).toBe(false);
    await page.close();
  });

  it('lists schedules with their next runs, pauses one and runs one now', async () => {
    await call('POST', '/schedules', {
      name: 'nightly',
      cron: '0 3 * * *',
      job: { type: 'dashboard.nightly', queue: 'nightlyq' },
    });
    const page = await open('/ui/schedules');
    const row = page.locator('tr[data-schedule="nightly"]');
    await row.locator('time').first().waitFor();
    const shown = await row.locator('time').allTextContents();
    const stored = (await call('GET', '/schedules/nightly')) as { next_runs: string[] };
    expect(shown).toEqual(stored.next_runs.slice(0, 3));
    await page.getByRole('button', { name: 'Pause nightly' }).click();
    await row
      .locator('td[data-paused]')
      .filter({ hasText: /^paused$/ })
      .waitFor();
    expect(((await call('GET', '/schedules/nightly')) as { paused: boolean }).paused).toBe(true);
    await page.getByRole('button', { name: 'Run nightly now' }).click();
    await page.getByRole('status').filter({ hasText: 'triggered nightly' }).waitFor();
    const made = (await call('GET', '/jobs?type=dashboard.nightly')) as { jobs: unknown[] };
    expect(made.jobs).toHaveLength(1);
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

  it("shows a job's log lines, payload and result on its page", async () => {
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
    const stored = await client.get(job.id);
    expect(JSON.parse((await page.locator('#job-payload pre').textContent()) ?? '')).toEqual({
      lines: 2,
    });
    expect(JSON.parse((await page.locator('#job-result pre').textContent()) ?? '')).toEqual(
      stored.result,
    );
    await page.close();
  });

  it("links a job's dependencies and dependents both ways", async () => {
    const parent = await client.submit('echo', 'parent');
    const first = await client.submit('echo', 'first', { dependsOn: [parent.id] });
    const second = await client.submit('echo', 'second', { dependsOn: [parent.id] });
    expect((await client.wait(second.id, '60s')).state).toBe('completed');
    const page = await open(`/ui/jobs/${parent.id}`);
    const dependents = page.locator('#job-dependents a');
    await dependents.first().waitFor();
    const hrefs = await Promise.all(
      (await dependents.all()).map((link) => link.getAttribute('href')),
    );
    expect(hrefs).toEqual([`/ui/jobs/${second.id}`, `/ui/jobs/${first.id}`]);
    expect(await page.locator('#job-dependents li').allTextContents()).toEqual([
      `${second.id} echo, completed`,
      `${first.id} echo, completed`,
    ]);
    await dependents.first().click();
    await page.waitForURL(`**/ui/jobs/${second.id}`);
    const back = page.locator('#job-deps a');
    await back.waitFor();
    expect(await back.getAttribute('href')).toBe(`/ui/jobs/${parent.id}`);
    expect(await page.locator('#job-dependents').textContent()).toContain('none');
    await page.close();
  });

  it('saves screenshots of the overview, a job and the queues', async () => {
    const job = await client.submit('echo', { screenshot: true });
    expect((await client.wait(job.id, '20s')).state).toBe('completed');
    const saved: string[] = [];
    for (const [path, name, title] of [
      ['/ui/', 'overview', 'Overview'],
      [`/ui/jobs/${job.id}`, 'job', `Job ${job.id}`],
      ['/ui/queues', 'queues', 'Queues'],
    ] as const) {
      const page = await open(path);
      await page.getByRole('heading', { level: 1, name: title, exact: true }).waitFor();
      saved.push(await screenshot(page, name));
      await page.close();
    }
    console.log(`dashboard screenshots in ${SCREENSHOT_DIR}`);
    expect(saved.map((p) => p.slice(SCREENSHOT_DIR.length + 1))).toEqual([
      'overview.png',
      'job.png',
      'queues.png',
    ]);
  });

  it('asks nothing of any host but the server', () => {
    expect(requested.length).toBeGreaterThan(0);
    const origin = new URL(server.url).origin;
    expect(requested.filter((url) => new URL(url).origin !== origin)).toEqual([]);
  });
});
