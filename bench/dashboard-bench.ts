import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createJob, type Job, type JobSpec } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import type { BrowserType } from 'playwright-core';
import { serve, stop } from './serve-process.js';
import { percentile, type BenchRow } from './table.js';

/** No handler runs it: the waiting jobs stay waiting while the bench reads. */
const TYPE = 'dashboard.waiting';
const QUEUES = ['default', 'email', 'reports', 'webhooks'];
const BATCH = 1000;
const REPEAT = 20;

/**
 * The state of the i-th job of the fill, by tenths: 7 completed, 1 dead letter, 1 waiting
 * (scheduled: ready to run), 1 delayed by an hour.
 */
function stateOf(i: number): 'completed' | 'dead_letter' | 'pending' | 'delayed' {
  const tenth = i % 10;
  return tenth < 7
    ? 'completed'
    : tenth === 7
      ? 'dead_letter'
      : tenth === 8
        ? 'pending'
        : 'delayed';
}

/** A finished job as an export holds it, for `restore`. */
function finished(spec: JobSpec, state: 'completed' | 'dead_letter', now: number): Job {
  return {
    ...spec,
    runAt: now - 2000,
    state,
    attempt: 1,
    waitingOn: [],
    errors: [],
    seq: 0,
    createdAt: now - 2000,
    updatedAt: now - 1000,
    startedAt: now - 1500,
    finishedAt: now - 1000,
    ...(state === 'completed' ? { result: { ok: true } } : {}),
  };
}

/**
 * Fills `dir` with `n` jobs over four queues through the store's bulk paths, a batch of 1,000 at
 * a time: `submitBatch` for the waiting ones, `restore` (the import path) for the finished ones.
 */
async function fill(dir: string, n: number): Promise<number> {
  const store = await LevelStore.open({ location: dir, durability: 'relaxed' });
  const t0 = performance.now();
  try {
    const now = Date.now();
    for (let i = 0; i < n; i += BATCH) {
      const waiting: JobSpec[] = [];
      const done: Job[] = [];
      for (let k = i; k < Math.min(n, i + BATCH); k++) {
        const state = stateOf(k);
        const queue = QUEUES[k % QUEUES.length] as string;
        const spec = createJob(
          TYPE,
          { k },
          { queue, ...(state === 'delayed' ? { delay: 3_600_000 } : {}) },
          now,
        );
        if (state === 'completed' || state === 'dead_letter') done.push(finished(spec, state, now));
        else waiting.push(spec);
      }
      if (waiting.length > 0) await store.submitBatch(waiting);
      if (done.length > 0) await store.restore(done);
    }
  } finally {
    await store.close();
  }
  return (performance.now() - t0) / 1000;
}

/** `GET path`: its milliseconds and its body (a 200 is required). */
async function get(url: string, path: string): Promise<{ ms: number; body: string }> {
  const t0 = performance.now();
  const res = await fetch(url + path, { headers: { 'accept-encoding': 'gzip' } });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${body}`);
  return { ms: performance.now() - t0, body };
}

/** Runs `once` `REPEAT` times after one warm-up run; the sorted milliseconds. */
async function repeat(once: () => Promise<number>): Promise<number[]> {
  await once();
  const ms: number[] = [];
  for (let i = 0; i < REPEAT; i++) ms.push(await once());
  return ms.sort((a, b) => a - b);
}

function row(workload: string, variant: string, ms: number[], target = ''): BenchRow {
  return {
    suite: 'dashboard',
    workload,
    variant,
    jobs: ms.length,
    seconds: ms.reduce((a, b) => a + b, 0) / 1000,
    extra: { 'p50 ms': percentile(ms, 50).toFixed(1), 'p99 ms': percentile(ms, 99).toFixed(1) },
    target,
  };
}

/** Records, in the page, when `#counts` and the history summary first show (ms since navigation). */
const MARKS = `(() => {
  const seen = (id, test) => { const el = document.getElementById(id); return el !== null && test(el); };
  const observer = new MutationObserver(() => {
    if (window.__counts === undefined && seen('counts', () => true)) window.__counts = performance.now();
    if (window.__history === undefined && seen('history-summary', (el) => el.textContent.includes('completed'))) window.__history = performance.now();
    if (window.__counts !== undefined && window.__history !== undefined) observer.disconnect();
  });
  observer.observe(document, { childList: true, subtree: true, characterData: true });
})();`;

/**
 * Milliseconds from the start of a navigation of Chromium to the overview until its counts are
 * in the page, and until its history summary is (the page's own clock: no browser start-up);
 * undefined without playwright-core or /usr/bin/chromium.
 */
async function browserTimes(
  url: string,
): Promise<{ counts: number[]; charts: number[] } | undefined> {
  let chromium: BrowserType;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return undefined;
  }
  const browser = await chromium
    .launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] })
    .catch(() => undefined);
  if (browser === undefined) return undefined;
  const counts: number[] = [];
  const charts: number[] = [];
  try {
    const page = await browser.newPage();
    await page.addInitScript(MARKS);
    for (let i = 0; i <= REPEAT; i++) {
      await page.goto(`${url}/ui/`);
      // A function, not a string: the page's Content-Security-Policy forbids eval.
      const marks = await page.waitForFunction(() => {
        const w = globalThis as unknown as { __counts?: number; __history?: number };
        return w.__counts !== undefined && w.__history !== undefined && [w.__counts, w.__history];
      });
      const [c, h] = (await marks.jsonValue()) as [number, number];
      if (i === 0) continue; // the warm-up
      counts.push(c);
      charts.push(h);
    }
  } finally {
    await browser.close();
  }
  return { counts: counts.sort((a, b) => a - b), charts: charts.sort((a, b) => a - b) };
}

/**
 * `pnpm bench dashboard [--jobs N]` (N at least 100,000 here, 1,000,000 by default): fills the
 * embedded store with N jobs, starts `gq serve` on it, and times what the dashboard's overview
 * asks for over loopback (the page, then `/stats` and `/queues` at once, then `/stats/history`),
 * 20 times after a warm-up, and pages of 50 jobs of one state (the first and the next by cursor).
 */
export async function dashboardBench(n: number): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'gq-bench-dashboard-'));
  try {
    const fillSeconds = await fill(dir, n);
    const variant = `${n.toLocaleString('en-US')} stored`;
    const rows: BenchRow[] = [
      {
        suite: 'dashboard',
        workload: 'fill (submitBatch + restore, relaxed, batches of 1000)',
        variant,
        jobs: n,
        seconds: fillSeconds,
      },
    ];
    const served = await serve(dir);
    try {
      const { url } = served;
      const one = (path: string) => async () => (await get(url, path)).ms;
      const endpoints: Record<string, number[]> = {};
      for (const path of [
        '/live',
        '/ui/',
        '/api/v1/stats',
        '/api/v1/queues',
        '/api/v1/stats/history',
      ]) {
        endpoints[path] = await repeat(one(path));
      }
      const overview = await repeat(async () => {
        const t0 = performance.now();
        await get(url, '/ui/');
        await Promise.all([get(url, '/api/v1/stats'), get(url, '/api/v1/queues')]);
        await get(url, '/api/v1/stats/history');
        return performance.now() - t0;
      });
      rows.push(
        row(
          'overview: /ui/, then /stats + /queues, then /stats/history',
          variant,
          overview,
          '< 300 ms',
        ),
      );
      for (const [path, ms] of Object.entries(endpoints))
        rows.push(row(`GET ${path}`, variant, ms));
      const assets = await repeat(async () => {
        const t0 = performance.now();
        await Promise.all(
          ['app.js', 'app.css', 'uplot.js', 'uplot.css'].map((a) => get(url, `/ui/assets/${a}`)),
        );
        return performance.now() - t0;
      });
      rows.push(row('the four assets at once (gzip)', variant, assets));

      for (const state of ['completed', 'scheduled']) {
        const first = `/api/v1/jobs?state=${state}&limit=50`;
        const page = JSON.parse((await get(url, first)).body) as {
          count: number;
          next_cursor?: string;
        };
        if (page.count !== 50 || page.next_cursor === undefined) {
          throw new Error(`${first}: ${page.count} jobs, no next cursor`);
        }
        const next = `${first}&cursor=${encodeURIComponent(page.next_cursor)}`;
        rows.push(row(`GET ${first}`, variant, await repeat(one(first)), '< 20 ms'));
        rows.push(row(`the next page of it (cursor)`, variant, await repeat(one(next)), '< 20 ms'));
      }
      rows.push(
        row(
          'GET /api/v1/jobs?limit=50 (no filter)',
          variant,
          await repeat(one('/api/v1/jobs?limit=50')),
        ),
      );

      const browser = await browserTimes(url).catch((err: unknown) => {
        console.error(`dashboard: the Chromium measurement failed: ${String(err)}`);
        return undefined;
      });
      if (browser === undefined) {
        console.error(
          'dashboard: no Chromium (/usr/bin/chromium) or playwright-core: no browser rows',
        );
      } else {
        rows.push(
          row('Chromium: navigation start to the counts in the page', variant, browser.counts),
        );
        rows.push(
          row('Chromium: navigation start to the history summary', variant, browser.charts),
        );
      }
    } finally {
      await stop(served.child);
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
