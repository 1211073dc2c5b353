import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { hasPermission, type Permission, type Role } from '@gopherqueue/security';
import { isLoopback } from '../auth.js';
import type { Principal } from '../env.js';
import { HttpError } from '../errors.js';
import { readBody } from '../request.js';
import type { ApiEnv } from '../env.js';
import { dashboardPage } from './dashboard-page.js';
import { DASHBOARD_JS } from './dashboard-script.js';
import {
  csrfMatches,
  SESSION_COOKIE,
  SESSION_MS,
  type DashboardSessions,
} from './dashboard-sessions.js';
import { DASHBOARD_CSS } from './dashboard-style.js';

const loginSchema = z.object({ key: z.string().min(1).max(200) }).strict();

/** Nothing but this server: no script, style, image or connection to any other host. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
}

function asset(type: string, text: string): Asset {
  const body = Buffer.from(text);
  return { type, body, gzip: gzipSync(body) };
}

/** uPlot from the installed package (read once, at the first request for it): not copied here. */
function uplot(file: string, type: string): () => Asset {
  let loaded: Asset | undefined;
  return () => {
    if (loaded === undefined) {
      const require = createRequire(import.meta.url);
      const path = require.resolve(`uplot/dist/${file}`);
      loaded = asset(type, readFileSync(path, 'utf8'));
    }
    return loaded;
  };
}

const ASSETS: Record<string, () => Asset> = {
  'app.js': (
    (a: Asset) => () =>
      a
  )(asset('text/javascript; charset=utf-8', DASHBOARD_JS)),
  'app.css': (
    (a: Asset) => () =>
      a
  )(asset('text/css; charset=utf-8', DASHBOARD_CSS)),
  'uplot.js': uplot('uPlot.iife.min.js', 'text/javascript; charset=utf-8'),
  'uplot.css': uplot('uPlot.min.css', 'text/css; charset=utf-8'),
};

function send(c: Context<ApiEnv>, a: Asset, cache: string): Response {
  const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
  const headers: Record<string, string> = {
    'content-type': a.type,
    'cache-control': cache,
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    vary: 'accept-encoding',
  };
  if (gzip) headers['content-encoding'] = 'gzip';
  return c.body(new Uint8Array(gzip ? a.gzip : a.body), 200, headers);
}

/** What the pages may offer, by permission. */
const UI_PERMISSIONS: readonly Permission[] = [
  'jobs:read',
  'stats:read',
  'jobs:submit',
  'jobs:manage',
  'queues:manage',
  'dlq:manage',
  'keys:manage',
  'audit:read',
];

const PAGES = new Set(['queues', 'jobs', 'dead-letter', 'workers', 'schedules', 'keys', 'audit']);

/**
 * The web dashboard at `/` and `/ui`: a server-rendered shell per page whose script reads the
 * HTTP API of the same origin (so the API's authentication, roles and browser checks apply to
 * every read and action) and stays live through the event stream. Its assets come from this
 * server only, enforced by its Content-Security-Policy.
 */
export function registerDashboardRoutes(app: Hono<ApiEnv>, sessions: DashboardSessions): void {
  const page = (c: Context<ApiEnv>, name: string, jobId?: string): Response => {
    const options = c.get('options');
    const session = sessions.get(getCookie(c, SESSION_COOKIE));
    // The role the page's requests will act with, when known now: it hides what it may not do.
    const local =
      options.auth === 'off' ||
      (options.auth === 'protected' && isLoopback(options.getRemoteAddress?.(c)));
    const role: Role | undefined = session?.principal.role ?? (local ? 'admin' : undefined);
    const can =
      role === undefined ? undefined : UI_PERMISSIONS.filter((p) => hasPermission(role, p));
    const html = dashboardPage(name, options.version, jobId, session?.csrf, can);
    return send(c, asset('text/html; charset=utf-8', html), 'no-store');
  };
  app.get('/', (c) => c.redirect('/ui/', 302));
  app.get('/ui', (c) => page(c, 'overview'));
  app.get('/ui/', (c) => page(c, 'overview'));
  app.get('/ui/assets/:file', (c) => {
    const found = ASSETS[c.req.param('file')];
    if (found === undefined) return c.notFound();
    return send(c, found(), 'no-cache');
  });
  // Under --auth: a key given once, kept as an HttpOnly, SameSite=Strict session cookie.
  app.post('/ui/login', async (c) => {
    const { key } = await readBody(c, loginSchema);
    const record = await c.get('options').keys?.verify(key);
    if (record === undefined) throw new HttpError('unauthorized', 'invalid or revoked API key');
    const principal: Principal = { actor: record.id, role: record.role };
    if (record.queues !== undefined && record.queues.length > 0) principal.queues = record.queues;
    const { id, csrf } = sessions.create(principal);
    setCookie(c, SESSION_COOKIE, id, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      maxAge: SESSION_MS / 1000,
      secure: new URL(c.req.url).protocol === 'https:',
    });
    return c.json({ role: record.role, csrf });
  });
  app.post('/ui/logout', (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    const session = sessions.get(id);
    if (session !== undefined && !csrfMatches(session, c.req.header('x-csrf-token'))) {
      throw new HttpError('forbidden', 'a dashboard action needs its CSRF token (X-CSRF-Token)');
    }
    sessions.delete(id);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.body(null, 204);
  });
  app.get('/ui/jobs/:id', (c) => page(c, 'job', c.req.param('id')));
  app.get('/ui/:page', (c) => {
    const name = c.req.param('page');
    if (!PAGES.has(name)) return c.notFound();
    return page(c, name);
  });
}
