import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, spawnServer, tempDir, type GqProcess } from './helpers/gq-process.js';
import { gq } from './helpers/run-cli.js';

const CHROMIUM = '/usr/bin/chromium';
// Without Chromium the tests are skipped, except under CI (which installs it), where they fail.
const available = existsSync(CHROMIUM) || process.env.CI === 'true';

let server: GqProcess;
let dir: { path: string; remove(): Promise<void> };
let browser: Browser;
let operatorKey: string;

beforeAll(async () => {
  if (!available) return;
  dir = await tempDir('gq-dashboard-auth-');
  const made = await gq([
    'keys',
    'create',
    '--role',
    'operator',
    '--name',
    'ui',
    '--data-dir',
    dir.path,
  ]);
  operatorKey = /^key:\s+(\S+)$/m.exec(made.stdout)?.[1] as string;
  server = await spawnServer(dir.path, ['--auth']);
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

describe.skipIf(!available)('the dashboard under --auth', () => {
  it('asks for a key, keeps it in an HttpOnly SameSite=Strict cookie, and refuses cross-origin or tokenless actions', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/ui/`);
    await page.getByLabel('API key').fill(operatorKey);
    await page.getByRole('button', { name: 'Log in' }).click();
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
});
