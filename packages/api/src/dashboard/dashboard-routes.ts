import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import type { Context, Hono } from 'hono';
import type { ApiEnv } from '../env.js';
import { dashboardPage } from './dashboard-page.js';
import { DASHBOARD_JS } from './dashboard-script.js';
import { DASHBOARD_CSS } from './dashboard-style.js';

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

const PAGES = new Set(['queues', 'jobs', 'dead-letter', 'workers']);

/**
 * The web dashboard at `/` and `/ui`: a server-rendered shell per page whose script reads the
 * HTTP API of the same origin (so the API's authentication, roles and browser checks apply to
 * every read and action) and stays live through the event stream. Its assets come from this
 * server only, enforced by its Content-Security-Policy.
 */
export function registerDashboardRoutes(app: Hono<ApiEnv>): void {
  const page = (c: Context<ApiEnv>, name: string, jobId?: string): Response => {
    const html = dashboardPage(name, c.get('options').version, jobId);
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
  app.get('/ui/jobs/:id', (c) => page(c, 'job', c.req.param('id')));
  app.get('/ui/:page', (c) => {
    const name = c.req.param('page');
    if (!PAGES.has(name)) return c.notFound();
    return page(c, name);
  });
}
