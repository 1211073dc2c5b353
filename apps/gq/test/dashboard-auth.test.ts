import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GopherQueueClient } from '@gopherqueue/api';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, pageErrors } from './helpers/browser.js';
import { killAll, spawnServer, tempDir, type GqProcess } from './helpers/gq-process.js';
import { gq } from './helpers/run-cli.js';

const available = chromiumAvailable;

let server: GqProcess;
let dir: { path: string; remove(): Promise<void> };
let browser: Browser;
let admin: GopherQueueClient;
let adminKey: string;
let operatorKey: string;
let viewerKey: string;
let qaKey: string;

/** A new browser context logged into the dashboard with `key`, on `path`. */
async function loggedIn(
  key: string,
  path = '/ui/',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}${path}`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('main h1').filter({ hasNotText: 'Log in' }).waitFor();
  return { context, page };
}

/** Opens `path` in `context` and waits for its heading `title`. */
async function visit(context: BrowserContext, path: string, title: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${server.url}${path}`);
  await page.getByRole('heading', { level: 1, name: title, exact: true }).waitFor();
  return page;
}

beforeAll(async () => {
  if (!available) return;
  dir = await tempDir('gq-dashboard-auth-');
  const made = await gq([
    'keys',
    'create',
    '--role',
    'admin',
    '--name',
    'root',
    '--json',
    '--data-dir',
    dir.path,
  ]);
  adminKey = (JSON.parse(made.stdout) as { key: string }).key;
  server = await spawnServer(dir.path, ['--auth']);
  admin = new GopherQueueClient({ baseUrl: server.url, apiKey: adminKey });
  operatorKey = (await admin.createKey({ name: 'ui', role: 'operator' })).key;
  viewerKey = (await admin.createKey({ name: 'look', role: 'viewer' })).key;
  qaKey = (await admin.createKey({ name: 'qa only', role: 'operator', queues: ['qa'] })).key;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await killAll();
  await dir?.remove();
});

describe.skipIf(!available)('the dashboard under --auth', { timeout: 120_000 }, () => {
  it('asks for a key, keeps it in an HttpOnly SameSite=Strict cookie, and refuses cross-origin or tokenless actions', async () => {
    const { context, page } = await loggedIn(operatorKey);
    await page.locator('[data-state="scheduled"] b').waitFor();
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'gq_session', httpOnly: true, sameSite: 'Strict' });
    expect(cookie!.expires).toBeGreaterThan(Date.now() / 1000);
    const csrf = await page.locator('meta[name="gq-csrf"]').getAttribute('content');
    expect(csrf).toMatch(/^[\w-]{40,}$/);

    const bulk = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${server.url}/api/v1/jobs/bulk`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          cookie: `gq_session=${cookie!.value}`,
          ...headers,
        },
        body: JSON.stringify({ action: 'retry', filter: { state: 'dead_letter' } }),
      });
    // Another origin is refused, token or not.
    const foreign = await bulk({ origin: 'http://evil.example', 'x-csrf-token': csrf! });
    expect(foreign.status).toBe(403);
    // The session's cookie alone does not act.
    expect((await bulk({})).status).toBe(403);
    expect((await bulk({ 'x-csrf-token': 'wrong' })).status).toBe(403);
    const ok = await bulk({ 'x-csrf-token': csrf! });
    expect(ok.status).toBe(200);
    // Without the cookie, nothing at all.
    const none = await fetch(`${server.url}/api/v1/stats`);
    expect(none.status).toBe(401);
    await context.close();
  });

  it('shows a viewer the data but no action, and refuses a forged action from its page', async () => {
    const running = await admin.submit('sleep', '10m');
    const dead = await admin.submit('error', 'viewer sees me', { maxAttempts: 1 });
    expect((await admin.wait(dead.id, '30s')).state).toBe('dead_letter');
    await admin.schedules.create({ name: 'viewer-hourly', every: '1h', job: { type: 'echo' } });
    const { context, page: first } = await loggedIn(viewerKey);
    await first.close();
    // Only the forms that read (filter, find by id) have buttons; nothing that acts.
    const buttons = (page: Page): Promise<string[]> =>
      page.locator('main button').allTextContents();
    const jobs = await visit(context, '/ui/jobs', 'Jobs');
    await jobs.locator(`tr[data-id="${dead.id}"]`).waitFor();
    expect(await buttons(jobs)).toEqual(['Filter', 'Open']);
    const deadLetter = await visit(context, '/ui/dead-letter', 'Dead letter');
    await deadLetter.locator(`tr[data-id="${dead.id}"]`).waitFor();
    expect(await buttons(deadLetter)).toEqual(['Filter', 'Open']);
    const queues = await visit(context, '/ui/queues', 'Queues');
    await queues.locator('tr[data-queue="default"]').waitFor();
    expect(await buttons(queues)).toEqual([]);
    const schedules = await visit(context, '/ui/schedules', 'Schedules');
    expect(await buttons(schedules)).toEqual([]);
    for (const id of [running.id, dead.id]) {
      const page = await visit(context, `/ui/jobs/${id}`, `Job ${id}`);
      await page.locator('dd[data-field="state"]').waitFor();
      expect(await buttons(page)).toEqual([]);
      await page.close();
    }
    // The page's own session and token, used by hand: the key's role still refuses.
    const page = await visit(context, `/ui/jobs/${running.id}`, `Job ${running.id}`);
    const statuses = await page.evaluate(`(async () => {
      const csrf = document.querySelector('meta[name="gq-csrf"]').content;
      const post = (path, body) => fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body) }).then((r) => r.status);
      return [
        await post('/api/v1/jobs/${running.id}/cancel', {}),
        await post('/api/v1/jobs/bulk', { action: 'retry', filter: { state: 'dead_letter' } }),
        await post('/api/v1/jobs/${dead.id}/retry', {}),
      ];
    })()`);
    expect(statuses).toEqual([403, 403, 403]);
    expect((await admin.get(running.id)).state).toBe('running');
    expect((await admin.get(dead.id)).state).toBe('dead_letter');
    await admin.cancel(running.id);
    await context.close();
  });

  it('never shows a key limited to queue qa a job of queue qb', async () => {
    const qaDone = await admin.submit('echo', { q: 'a' }, { queue: 'qa' });
    const qbDone = await admin.submit('echo', { q: 'b' }, { queue: 'qb' });
    const qaDead = await admin.submit('error', 'qa fails', { queue: 'qa', maxAttempts: 1 });
    const qbDead = await admin.submit('error', 'qb fails', { queue: 'qb', maxAttempts: 1 });
    for (const job of [qaDone, qbDone, qaDead, qbDead]) await admin.wait(job.id, '30s');
    const qbIds = [qbDone.id, qbDead.id];
    const qa = (await admin.queues()).find((q) => q.name === 'qa')!;
    const { context, page: overview } = await loggedIn(qaKey);
    // Overview: the counts and the table of queue qa alone.
    await overview.locator('#total').waitFor();
    expect(Number(await overview.locator('#total').textContent())).toBe(qa.total);
    expect(Number(await overview.locator('[data-state="dead_letter"] b').textContent())).toBe(
      qa.counts.dead_letter,
    );
    expect(
      await overview
        .getByRole('table', { name: 'Jobs by queue and state' })
        .locator('tbody th')
        .allTextContents(),
    ).toEqual(['qa']);
    const queues = await visit(context, '/ui/queues', 'Queues');
    await queues.locator('tr[data-queue="qa"]').waitFor();
    expect(await queues.locator('tr[data-queue] th').allTextContents()).toEqual(['qa']);
    const jobs = await visit(context, '/ui/jobs', 'Jobs');
    await jobs.locator(`tr[data-id="${qaDone.id}"]`).waitFor();
    const deadLetter = await visit(context, '/ui/dead-letter', 'Dead letter');
    await deadLetter.locator(`tr[data-id="${qaDead.id}"]`).waitFor();
    for (const page of [overview, queues, jobs, deadLetter]) {
      const text = (await page.locator('body').textContent()) ?? '';
      expect([page.url(), qbIds.filter((id) => text.includes(id)), text.includes('qb')]).toEqual([
        page.url(),
        [],
        false,
      ]);
    }
    expect(await jobs.locator('tbody tr td:nth-child(4)').allTextContents()).toEqual(
      expect.arrayContaining(['qa']),
    );
    expect(new Set(await jobs.locator('tbody tr td:nth-child(4)').allTextContents())).toEqual(
      new Set(['qa']),
    );
    // A qb job's page: not found, and nothing of the job.
    for (const id of qbIds) {
      const page = await context.newPage();
      await page.goto(`${server.url}/ui/jobs/${id}`);
      await page.getByRole('alert').waitFor();
      expect(await page.getByRole('alert').textContent()).toMatch(/not found/);
      expect(await page.locator('#job-fields').count()).toBe(0);
      expect(await page.locator('main').textContent()).not.toContain('qb');
      await page.close();
    }
    await context.close();
  });

  it('refuses the actions a page of another origin sends with the logged-in browser', async () => {
    const running = await admin.submit('sleep', '10m');
    await expect
      .poll(async () => (await admin.get(running.id)).state, { timeout: 30_000 })
      .toBe('running');
    const target = server.url;
    // The attacker: a page on another loopback port (another origin), sending a form POST and
    // a fetch with the browser's cookies to the server's action endpoints.
    const attacker: Server = createServer((req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><title>attacker</title>
<form id="f" method="POST" action="${target}/api/v1/jobs/bulk" enctype="text/plain">
<input name='{"action":"cancel","filter":{"state":"running"},"x":"' value='"}'>
</form>
<script>
fetch(${JSON.stringify(`${target}/api/v1/jobs/${running.id}/cancel`)}, { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{}' })
  .finally(() => document.getElementById('f').submit());
</script>`);
    });
    await new Promise<void>((done) => attacker.listen(0, '127.0.0.1', done));
    const attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
    expect(new URL(attackerUrl).origin).not.toBe(new URL(target).origin);
    try {
      const { context, page: dashboard } = await loggedIn(operatorKey);
      await dashboard.locator('[data-state="running"] b').waitFor();
      const page = await context.newPage();
      const answers = new Map<string, number>();
      const both = new Promise<void>((done) => {
        page.on('response', (response) => {
          const url = new URL(response.url());
          if (url.origin !== new URL(target).origin) return;
          answers.set(url.pathname, response.status());
          if (answers.size === 2) done();
        });
      });
      await page.goto(attackerUrl);
      await both;
      expect(Object.fromEntries(answers)).toEqual({
        [`/api/v1/jobs/${running.id}/cancel`]: 403,
        '/api/v1/jobs/bulk': 403,
      });
      // The form's navigation shows the server's refusal.
      await page.getByText('another origin').waitFor();
      expect(page.url()).toBe(`${target}/api/v1/jobs/bulk`);
      // Nothing changed.
      expect((await admin.get(running.id)).state).toBe('running');
      await context.close();
    } finally {
      await new Promise((done) => attacker.close(done));
      await admin.cancel(running.id);
    }
  });

  it('shows an admin the keys and the audit log without a console error', async () => {
    const { context, page: first } = await loggedIn(adminKey);
    await first.close();
    const keys = await context.newPage();
    const keyErrors = pageErrors(keys);
    await keys.goto(`${server.url}/ui/keys`);
    await keys.getByRole('heading', { level: 1, name: 'API keys', exact: true }).waitFor();
    const names = await keys.locator('tr[data-key] td:nth-child(2)').allTextContents();
    expect(new Set(names)).toEqual(new Set(['root', 'ui', 'look', 'qa only']));
    const audit = await context.newPage();
    const auditErrors = pageErrors(audit);
    await audit.goto(`${server.url}/ui/audit`);
    await audit.getByRole('heading', { level: 1, name: 'Audit log', exact: true }).waitFor();
    expect(await audit.locator('main tbody tr td:nth-child(3)').allTextContents()).toEqual(
      expect.arrayContaining(['key.create']),
    );
    expect([keyErrors, auditErrors]).toEqual([[], []]);
    // Viewer and operator pages offer no link to them.
    const viewer = await loggedIn(viewerKey);
    expect(await viewer.page.getByRole('link', { name: 'API keys' }).count()).toBe(0);
    expect(await viewer.page.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    await viewer.context.close();
    await context.close();
  });
});
