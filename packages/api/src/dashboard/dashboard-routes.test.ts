import { afterEach, describe, expect, it } from 'vitest';
import { MAX_SESSIONS_PER_KEY } from './dashboard-sessions.js';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';

let f: ApiFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

describe('the dashboard routes', () => {
  it('serves pages and assets from this server only, and 404 for an unknown page', async () => {
    const fx = (f = await createApiFixture());
    const root = await fx.app.request('/');
    expect([root.status, root.headers.get('location')]).toEqual([302, '/ui/']);
    const page = await fx.app.request('/ui/jobs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('data-page="jobs"');
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    const uplot = await fx.app.request('/ui/assets/uplot.js');
    expect(uplot.status).toBe(200);
    expect(await uplot.text()).toContain('uPlot');
    expect((await fx.app.request('/ui/nothing')).status).toBe(404);
    expect((await fx.app.request('/ui/assets/other.js')).status).toBe(404);
    for (const name of ['schedules', 'keys', 'audit']) {
      expect([name, (await fx.app.request(`/ui/${name}`)).status]).toEqual([name, 200]);
    }
    const detail = await fx.app.request('/ui/jobs/"><script>');
    expect(await detail.text()).not.toContain('"><script>');
  });

  it('logs a key in as a session that shows what its role may do', async () => {
    const fx = (f = await createApiFixture({ auth: 'required' }));
    const viewer = await fx.key('viewer');
    const bad = await fx.call('POST', '/ui/login', { body: { key: 'gq_nope' } });
    expect(bad.status).toBe(401);
    const login = await fx.app.request('/ui/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: viewer }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(
      /^gq_session=[\w-]+; Max-Age=28800; Path=\/; HttpOnly; SameSite=Strict$/,
    );
    const session = cookie.split(';')[0] as string;
    const page = await fx.app.request('/ui/', { headers: { cookie: session } });
    const html = await page.text();
    expect(html).toContain('<meta name="gq-can" content="jobs:read stats:read">');
    expect(html).toMatch(/<meta name="gq-csrf" content="[\w-]+">/);
    // A viewer gets no link to the admins' pages.
    expect(html).toContain('href="/ui/schedules"');
    expect(html).not.toContain('href="/ui/keys"');
    expect(html).not.toContain('href="/ui/audit"');
    const stats = await fx.app.request('/api/v1/stats', { headers: { cookie: session } });
    expect(stats.status).toBe(200);
    // Without a session the page knows no role and the API asks for a key.
    const anonymous = await (await fx.app.request('/ui/')).text();
    expect(anonymous).not.toContain('gq-can');
    const admin = await fx.key('admin');
    const adminLogin = await fx.app.request('/ui/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: admin }),
    });
    const adminSession = (adminLogin.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const adminHtml = await (
      await fx.app.request('/ui/', { headers: { cookie: adminSession } })
    ).text();
    expect(adminHtml).toContain(
      '<meta name="gq-can" content="jobs:read stats:read jobs:submit jobs:manage queues:manage dlq:manage keys:manage audit:read">',
    );
    expect(adminHtml).toContain('href="/ui/keys"');
    expect(adminHtml).toContain('href="/ui/audit"');
    expect((await fx.app.request('/api/v1/stats')).status).toBe(401);
  });

  /** Logs `key` in and returns the session's cookie and CSRF token. */
  async function login(fx: ApiFixture, key: string): Promise<{ cookie: string; csrf: string }> {
    const res = await fx.app.request('/ui/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key }),
    });
    expect(res.status).toBe(200);
    const { csrf } = (await res.json()) as { csrf: string };
    return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] as string, csrf };
  }

  it('ends the sessions of a key when it is revoked', async () => {
    const fx = (f = await createApiFixture({ auth: 'required' }));
    const operator = await fx.key('operator');
    const session = await login(fx, operator);
    const submit = () =>
      fx.app.request('/api/v1/jobs', {
        method: 'POST',
        headers: {
          cookie: session.cookie,
          'x-csrf-token': session.csrf,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ type: 't' }),
      });
    expect((await submit()).status).toBe(201);
    const [record] = await fx.keys.list();
    await fx.keys.revoke(record!.id);
    expect((await submit()).status).toBe(401);
    const stats = await fx.app.request('/api/v1/stats', { headers: { cookie: session.cookie } });
    expect(stats.status).toBe(401);
    expect((await fx.store.counts()).total).toBe(1);
  });

  it(`keeps at most ${MAX_SESSIONS_PER_KEY} sessions of one key, not touching others'`, async () => {
    const fx = (f = await createApiFixture({ auth: 'required' }));
    const admin = await login(fx, await fx.key('admin'));
    const viewer = await fx.key('viewer');
    const first = await login(fx, viewer);
    const later: { cookie: string }[] = [];
    for (let i = 0; i < 1_000; i++) later.push(await login(fx, viewer));
    const status = async (cookie: string) =>
      (await fx.app.request('/api/v1/stats', { headers: { cookie } })).status;
    expect(await status(admin.cookie)).toBe(200);
    expect(await status(first.cookie)).toBe(401);
    expect(await status(later[1_000 - MAX_SESSIONS_PER_KEY]!.cookie)).toBe(200);
    expect(await status(later[1_000 - MAX_SESSIONS_PER_KEY - 1]!.cookie)).toBe(401);
  });
});
