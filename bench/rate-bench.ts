import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createJob, type Store } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { Scheduler } from '@gopherqueue/scheduler';
import { WorkerPool } from '@gopherqueue/worker';
import { openBenchPostgres, postgresReachable } from './bench-postgres.js';
import { until } from './latency-probe.js';
import type { BenchRow } from './table.js';

const RATE = 5000;
const PERIOD_MS = 1000;
/** Windows the drain spans: the first fills at once, the others as the window frees. */
const WINDOWS = 6;
/** Windows left out of the rate: the first, and one more while the pace settles. */
const WARMUP = 2;
/** Handlers of every row; PostgreSQL also runs with {@link MANY_HANDLERS}. */
const HANDLERS = 32;
/**
 * Enough handlers that a claim on PostgreSQL takes up to 128 jobs: its round trips then cost a
 * quarter as much per job, and the capacity is above the rate, so the row measures the limiter.
 */
const MANY_HANDLERS = 128;

/**
 * Drains `jobs` preloaded no-op jobs of one queue (limited to `5000/1s` when `rated`) with
 * `handlers` handlers, and returns the handlers' start times, sorted.
 */
async function drain(
  store: Store,
  jobs: number,
  rated: boolean,
  handlers: number,
): Promise<number[]> {
  if (rated) await store.setQueue('rated', { rate: { limit: RATE, periodMs: PERIOD_MS } });
  for (let i = 0; i < jobs; i += 500) {
    await store.submitBatch(
      Array.from({ length: Math.min(500, jobs - i) }, () =>
        createJob('noop', null, { queue: 'rated' }),
      ),
    );
  }
  const starts: number[] = [];
  const scheduler = new Scheduler({ store });
  await scheduler.start();
  const pool = new WorkerPool({ store, scheduler, concurrency: handlers });
  pool.register('noop', () => {
    starts.push(performance.now());
    return null;
  });
  try {
    pool.start();
    await until(() => pool.stats().completed >= jobs);
  } finally {
    await pool.stop();
    await scheduler.stop();
  }
  return starts.sort((a, b) => a - b);
}

/** The starts per second from the `first`-th start to the last one. */
function pace(starts: readonly number[], first: number): { jobs: number; seconds: number } {
  const jobs = starts.length - 1 - first;
  return { jobs, seconds: ((starts.at(-1) as number) - (starts[first] as number)) / 1000 };
}

/**
 * Two rows on one kind of store, each on a fresh store: the CAPACITY baseline, the same drain
 * without a rate (how fast the store and these handlers go on this machine now, over its last
 * 20,000 starts), then the drain at
 * `5000/1s`, reporting the rate it holds once going: the starts after the first WARMUP windows,
 * over the time from the last start of those to the last start. A sliding window lets a
 * window's starts come as fast as the engine takes them and holds the next ones until the
 * window frees them, so the first window alone says nothing of the rate. Each start of a
 * window is freed exactly one period after the start it replaces; any time between that moment
 * and the claim (a wake-up, a claim, a machine too busy to run the handlers) is lost for good,
 * so the drain can hold 5,000/s only while the capacity is above it. `period p50` is the median
 * time between a start and the start one window earlier (5,000 starts before): the limiter's
 * own pace, 1,000 ms when nothing is lost. `max/1s` is the most starts the handlers saw in any
 * second (their own clock, a little after each claim, so it may exceed the limit by the jitter
 * of the handlers' start).
 */
async function rateRows(
  variant: string,
  open: () => Promise<{ store: Store; close: () => Promise<void> }>,
  handlers = HANDLERS,
): Promise<BenchRow[]> {
  const jobs = RATE * WINDOWS;
  const workload = `drain ${jobs} jobs, ${handlers} handlers`;
  const free = await open();
  let capacity: { jobs: number; seconds: number };
  try {
    // The same starts as the rated row's (the last WINDOWS - WARMUP windows' worth), so the
    // start-up of the process and of the store counts in neither.
    capacity = pace(await drain(free.store, jobs, false, handlers), RATE * WARMUP - 1);
  } finally {
    await free.close();
  }
  const limited = await open();
  let starts: number[];
  try {
    starts = await drain(limited.store, jobs, true, handlers);
  } finally {
    await limited.close();
  }
  const steady = pace(starts, RATE * WARMUP - 1);
  const periods: number[] = [];
  for (let i = RATE * WARMUP; i < jobs; i++) {
    periods.push((starts[i] as number) - (starts[i - RATE] as number));
  }
  periods.sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < starts.length; j++) {
    while ((starts[j] as number) - (starts[i] as number) >= PERIOD_MS) i++;
    most = Math.max(most, j - i + 1);
  }
  const rate = steady.jobs / steady.seconds;
  const capacityRate = capacity.jobs / capacity.seconds;
  const percent = (ratio: number): string =>
    `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(2)} %`;
  return [
    {
      suite: 'rate',
      workload: `${workload}, no rate (capacity, the last ${jobs - RATE * WARMUP})`,
      variant,
      ...capacity,
      extra: { 'vs target': percent(capacityRate / RATE) },
    },
    {
      suite: 'rate',
      workload: `${workload}, rate ${RATE}/1s (the last ${WINDOWS - WARMUP} of ${WINDOWS} windows)`,
      variant,
      ...steady,
      extra: {
        'vs target': percent(rate / RATE),
        'vs capacity': `${((rate / capacityRate) * 100).toFixed(0)} %`,
        'period p50': `${(periods[Math.floor(periods.length / 2)] as number).toFixed(1)} ms`,
        'max/1s': String(most),
      },
      target: '5,000/s +-2 %',
    },
  ];
}

/**
 * A rate-limited drain on LevelStore (in memory, then on disk, durable) and on PostgresStore (one
 * node, with 32 and with 128 handlers), each after the same drain without a rate on the same kind
 * of store.
 */
export async function rateBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  rows.push(
    ...(await rateRows('LevelStore, memory', async () => {
      const store = await LevelStore.open({ memory: true, durability: 'relaxed' });
      return { store, close: () => store.close() };
    })),
  );
  rows.push(
    ...(await rateRows('LevelStore, disk, durable', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'gq-bench-rate-'));
      const store = await LevelStore.open({ location: dir });
      return {
        store,
        close: async () => {
          await store.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    })),
  );
  if (!(await postgresReachable('rate'))) return rows;
  const postgres = (): ReturnType<typeof openBenchPostgres> => openBenchPostgres('gq_bench_rate');
  rows.push(...(await rateRows('PostgresStore, 1 node', postgres)));
  rows.push(...(await rateRows('PostgresStore, 1 node', postgres, MANY_HANDLERS)));
  return rows;
}
