import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { measure, percentile, type BenchRow } from './table.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Server {
  url: string;
  child: ChildProcess;
  startsFile: string;
  stop(): Promise<void>;
}

/** Starts `gq serve` in its own process (durable, on disk) so the load generator does not share its CPU. */
async function startServer(): Promise<Server> {
  const dir = await mkdtemp(join(tmpdir(), 'gq-bench-http-'));
  const startsFile = join(dir, 'starts.log');
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'apps/gq/bin/gq.js'),
      'serve',
      '--http',
      '127.0.0.1:0',
      '--data-dir',
      join(dir, 'data'),
      '--workers',
      '32',
      '--handlers',
      join(ROOT, 'bench/fixtures/bench-handlers.mjs'),
      '--log-level',
      'error',
    ],
    { env: { ...process.env, GQ_BENCH_STARTS: startsFile }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`gq serve exited with ${code}`)));
  });
  return {
    url,
    child,
    startsFile,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Sends `amount` requests from 32 connections with autocannon; fails on any non-2xx answer.
 * Resolves with the seconds from the start to the last answer: autocannon itself ends a run with
 * a fixed `amount` only at its next one-second tick, so its own end (or a timer around it) read
 * 100 requests as a second and 10,000 as two, whatever the server did.
 */
async function load(url: string, amount: number, body: () => unknown): Promise<number> {
  const started = process.hrtime.bigint();
  let answered = 0;
  let last = started;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method: 'POST',
        connections: 32,
        amount,
        headers: { 'content-type': 'application/json' },
        requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(body()) }) }],
      },
      (err, done) => (err ? reject(err as Error) : resolve(done)),
    );
    instance.on('response', () => {
      answered++;
      last = process.hrtime.bigint();
    });
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  if (answered !== amount) throw new Error(`${url}: ${answered} answers to ${amount} requests`);
  return Number(last - started) / 1e9;
}

/** A row of `jobs` jobs sent by {@link load}, timed to its last answer. */
async function loadRow(
  base: Omit<BenchRow, 'seconds' | 'extra'>,
  send: () => Promise<number>,
): Promise<BenchRow> {
  return { ...base, seconds: await send() };
}

const now = () => performance.timeOrigin + performance.now();

/** Longer than the handlers' flush interval of their start lines (50 ms). */
const STARTS_FLUSH_WAIT_MS = 200;

/** Requests of each kind a fresh server takes before its row is measured. */
const WARM_UP = 2000;

/** Batch requests (of 100 jobs) a fresh server takes before the batch row is measured. */
const BATCH_WARM_UP = 200;

/**
 * Sends `total` single submits evenly spaced at `rate` a second over keep-alive connections
 * (autocannon's rate limit sends each second's requests in bursts, which measures its queueing).
 * Each payload carries the wall-clock time it was sent.
 */
async function paced(url: string, total: number, rate: number, agent: Agent): Promise<void> {
  const send = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 201 ? resolve() : reject(new Error(`status ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const ahead = t0 + (i * 1000) / rate - performance.now();
    if (ahead > 1) await sleep(ahead);
    pending.push(send(JSON.stringify({ type: 'noop', payload: { sentAt: now() } })));
  }
  await Promise.all(pending);
}

async function completed(server: Server, total: number): Promise<void> {
  for (;;) {
    const res = await fetch(`${server.url}/api/v1/stats`);
    const stats = (await res.json()) as { queue: { completed: number } };
    if (stats.queue.completed >= total) return;
    await sleep(20);
  }
}

/**
 * HTTP: submits from 32 connections (single and batches of 100), and submit-to-start at 1,000/s.
 * autocannon generates the load (Node's fetch costs more CPU per request than the server does).
 */
export async function httpBench(jobs: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const base = { suite: 'http', variant: 'disk, durable', jobs };
  // Each row's server first takes WARM_UP requests of its kind, not measured, and runs their
  // jobs: a fresh server compiles its code paths during its first requests, which made up half
  // of the single-submit row's time (about 2,000/s cold against 4,000/s warm on the same run).
  let server = await startServer();
  await load(`${server.url}/api/v1/jobs`, WARM_UP, () => ({ type: 'noop', payload: null }));
  await completed(server, WARM_UP);
  rows.push(
    await loadRow({ ...base, workload: 'POST /jobs, 32 connections', target: '12,000/s' }, () =>
      load(`${server.url}/api/v1/jobs`, jobs, () => ({ type: 'noop', payload: null })),
    ),
  );
  await server.stop();

  server = await startServer();
  const batch = () => ({
    jobs: Array.from({ length: 100 }, () => ({ type: 'noop', payload: null })),
  });
  // As many batch requests first as the single row's warm-up has requests of one job: with only
  // two batches a connection (6,400 jobs) the row measured a server still compiling its per-job
  // paths, about 10,000 jobs/s against 33,000 once warm in one probe.
  await load(`${server.url}/api/v1/jobs/batch`, BATCH_WARM_UP, batch);
  await completed(server, BATCH_WARM_UP * 100);
  rows.push(
    await loadRow(
      { ...base, workload: 'POST /jobs/batch (100 each), 32 connections', target: '80,000/s' },
      () => load(`${server.url}/api/v1/jobs/batch`, Math.ceil(jobs / 100), batch),
    ),
  );
  await server.stop();

  server = await startServer();
  const rate = 1000;
  const total = rate * 10;
  // Two seconds at the same rate first, not measured: a fresh server compiles its code paths (and,
  // run from the sources, transforms them) during its first requests, which alone made the p99.
  // One agent for both: the measured requests go over the warm-up's open connections, as a
  // steady client's would (opening 32 connections made the first measured second's tail).
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  await paced(`${server.url}/api/v1/jobs`, 2 * rate, rate, agent);
  await completed(server, 2 * rate);
  // The handlers append their lines every 50 ms: let the warm-up's reach the file first.
  await sleep(STARTS_FLUSH_WAIT_MS);
  await writeFile(server.startsFile, '');
  const row = await measure(
    {
      ...base,
      jobs: total,
      workload: `HTTP submit-to-start at ${rate}/s for 10 s`,
      target: 'p99 5 ms',
    },
    async () => {
      await paced(`${server.url}/api/v1/jobs`, total, rate, agent);
      await completed(server, total + 2 * rate);
    },
  );
  await sleep(STARTS_FLUSH_WAIT_MS);
  const all = (await readFile(server.startsFile, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [sent, started] = line.split(' ');
      return Number(started) - Number(sent);
    });
  if (all.length !== total) {
    throw new Error(`the handlers recorded ${all.length} starts; ${total} were measured`);
  }
  if (process.env.GQ_BENCH_DEBUG === '1') {
    for (let second = 0; second < 10; second++) {
      const slice = all.slice(second * rate, (second + 1) * rate).sort((a, b) => a - b);
      const p = (q: number): string => percentile(slice, q).toFixed(2);
      console.error(`second ${second}: p50 ${p(50)} p99 ${p(99)} max ${p(100)}`);
    }
  }
  const waits = all.sort((a, b) => a - b);
  row.extra = {
    ...row.extra,
    'p50 ms': percentile(waits, 50).toFixed(2),
    'p99 ms': percentile(waits, 99).toFixed(2),
  };
  rows.push(row);
  agent.destroy();
  await server.stop();
  // CPU of this process is the load generator's, not the server's: drop it to avoid misreading.
  for (const r of rows) delete r.extra?.['cpu ms/job'];
  return rows;
}
