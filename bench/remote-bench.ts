import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { processCpuMs } from './proc-cpu.js';
import { serve, stop, type Served } from './serve-process.js';
import { median, type BenchRow } from './table.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GQ = join(ROOT, 'apps/gq/bin/gq.js');
/** The `noop` handler: loaded by `gq serve` for the reference drain, else by `gq work` only. */
const HANDLERS = join(ROOT, 'bench/fixtures/remote-handlers.mjs');
const QUEUE = 'remote-bench';
const CONCURRENCY = 32;
/** Rounds of each variant, alternating; the row is the median round. */
const ROUNDS = 3;

async function call(
  served: Served,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const res = await fetch(`${served.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? undefined : res.json();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function completed(served: Served): Promise<number> {
  const stats = (await call(served, 'GET', '/api/v1/stats')) as { queue: { completed: number } };
  return stats.queue.completed;
}

/** Submits `n` jobs of `type` to the paused bench queue, in batches of 100. */
async function fill(served: Served, type: string, n: number): Promise<void> {
  await call(served, 'PATCH', `/api/v1/queues/${QUEUE}`, { paused: true });
  for (let i = 0; i < n; i += 100) {
    const jobs = Array.from({ length: Math.min(100, n - i) }, () => ({
      type,
      queue: QUEUE,
      payload: null,
    }));
    await call(served, 'POST', '/api/v1/jobs/batch', { jobs });
  }
}

/** Starts `gq work` against `served`; resolves once the server lists it as a worker. */
async function startWorker(served: Served, claimAhead: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      GQ,
      'work',
      '--server',
      served.url,
      '--handlers',
      HANDLERS,
      '--concurrency',
      String(CONCURRENCY),
      '--claim-ahead',
      String(claimAhead),
      '--log-level',
      'error',
    ],
    {
      cwd: ROOT,
      env: { ...process.env, GQ_FROM_SOURCE: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error('gq work exited before the server listed it');
      const { workers } = (await call(served, 'GET', '/api/v1/workers')) as {
        workers: { kind: string }[];
      };
      if (workers.some((w) => w.kind === 'remote')) return child;
      await sleep(20);
    }
  } catch (error) {
    // The caller never gets the child: stop it here, or it would outlive the bench.
    child.kill('SIGKILL');
    throw error;
  }
}

interface Round {
  jobsPerSecond: number;
  serverCpuMsPerJob: number | undefined;
  workerCpuMsPerJob: number | undefined;
}

/**
 * One drain of `n` pre-filled jobs: the queue is resumed and the clock runs until the server
 * counts them all completed, by `gq serve`'s own 32 handlers (`claimAhead` undefined) or by one
 * `gq work` with 32 handlers over the lease API.
 */
async function drainRound(n: number, claimAhead: number | undefined): Promise<Round> {
  const dir = await mkdtemp(join(tmpdir(), 'gq-bench-remote-'));
  const local = claimAhead === undefined;
  const served = await serve(
    join(dir, 'data'),
    local ? ['--workers', String(CONCURRENCY), '--handlers', HANDLERS] : ['--workers', '1'],
  );
  let worker: ChildProcess | undefined;
  try {
    await fill(served, 'noop', n);
    if (!local) worker = await startWorker(served, claimAhead);
    const server0 = processCpuMs(served.child.pid);
    const worker0 = processCpuMs(worker?.pid);
    const t0 = performance.now();
    await call(served, 'PATCH', `/api/v1/queues/${QUEUE}`, { paused: false });
    // A drain that stops moving for 30 s is a fault of the setup, not a figure: fail the run.
    let done = 0;
    let movedAt = performance.now();
    while (done < n) {
      await sleep(5);
      const now = await completed(served);
      if (now > done) [done, movedAt] = [now, performance.now()];
      else if (performance.now() - movedAt > 30_000) {
        throw new Error(`the drain stopped at ${done} of ${n} completed jobs`);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const server1 = processCpuMs(served.child.pid);
    const worker1 = processCpuMs(worker?.pid);
    const perJob = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined ? undefined : (b - a) / n;
    return {
      jobsPerSecond: n / seconds,
      serverCpuMsPerJob: perJob(server0, server1),
      workerCpuMsPerJob: perJob(worker0, worker1),
    };
  } finally {
    if (worker !== undefined) {
      const exited = new Promise((done) => worker?.once('exit', done));
      worker.kill('SIGTERM');
      await exited;
    }
    await stop(served.child);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Remote workers: `n` jobs pre-filled on the embedded store (durable), drained by one `gq work`
 * process with 32 handlers over the lease API (claiming 256 ahead, its default, and none), against
 * `gq serve`'s own pool of 32 handlers on the same jobs. Each variant runs ROUNDS times, alternating,
 * each on a fresh data directory; the row is the median round, with the CPU each process spent per
 * job over the drain (Linux only). The two processes share the machine's cores.
 */
export async function remoteBench(n: number): Promise<BenchRow[]> {
  const variants: { name: string; claimAhead: number | undefined }[] = [
    { name: 'gq serve, 32 handlers', claimAhead: undefined },
    { name: 'gq work, 32 handlers, claim-ahead 256', claimAhead: 256 },
    { name: 'gq work, 32 handlers, claim-ahead 0', claimAhead: 0 },
  ];
  const rounds = variants.map(() => [] as Round[]);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, variant] of variants.entries()) {
      rounds[i]?.push(await drainRound(n, variant.claimAhead));
    }
  }
  const reference = median((rounds[0] ?? []).map((round) => round.jobsPerSecond));
  return variants.map((variant, i) => {
    const mine = rounds[i] ?? [];
    const rate = median(mine.map((round) => round.jobsPerSecond));
    const cpu = (pick: (round: Round) => number | undefined): string => {
      const values = mine.map(pick).filter((v): v is number => v !== undefined);
      return values.length === 0 ? '' : median(values).toFixed(3);
    };
    return {
      suite: 'remote',
      workload: `drain ${n} pre-filled jobs`,
      variant: variant.name,
      jobs: n,
      seconds: n / rate,
      extra: {
        'server cpu ms/job': cpu((round) => round.serverCpuMsPerJob),
        'worker cpu ms/job': cpu((round) => round.workerCpuMsPerJob),
        'vs gq serve': i === 0 ? '' : `${Math.round((rate / reference) * 100)} %`,
        rounds: mine
          .map((round) => Math.round(round.jobsPerSecond).toLocaleString('en-US'))
          .join(', '),
      },
    };
  });
}
