import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createJob, type Store } from '@gopherqueue/core';
import { LevelStore, PostgresStore } from '@gopherqueue/persistence';
import { Scheduler } from '@gopherqueue/scheduler';
import { WorkerPool } from '@gopherqueue/worker';
import {
  dropSchemas,
  probeTestDatabase,
  uniqueSchema,
} from '../packages/persistence/src/postgres/test-database.js';
import { until } from './latency-probe.js';
import type { BenchRow } from './table.js';

const RATE = 5000;
const PERIOD_MS = 1000;
/** Windows the drain spans: the first fills at once, the others as the window frees. */
const WINDOWS = 6;
/** Windows left out of the rate: the first, and one more while the pace settles. */
const WARMUP = 2;
const URL = process.env.GQ_BENCH_POSTGRES_URL ?? process.env.GQ_TEST_POSTGRES_URL;

/**
 * Drains WINDOWS x 5,000 preloaded jobs of a queue limited to `5000/1s` with 32 handlers, and
 * reports the rate it holds once going: the starts after the first WARMUP windows, over the time
 * from the last start of those to the last start. A sliding window lets a window's starts come
 * as fast as the engine takes them and holds the next ones until the window frees them, so the
 * first window alone says nothing of the rate; the second still stretches a little, as each
 * start freed waits for a wake-up and a claim, then the pace repeats from window to window.
 * `max/1s` is the most starts the handlers saw in any second (their own clock, a little after
 * each claim, so it may exceed the limit by the jitter of the handlers' start).
 */
async function rateRow(variant: string, store: Store): Promise<BenchRow> {
  const jobs = RATE * WINDOWS;
  await store.setQueue('rated', { rate: { limit: RATE, periodMs: PERIOD_MS } });
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
  const pool = new WorkerPool({ store, scheduler, concurrency: 32 });
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
  starts.sort((a, b) => a - b);
  const steady = jobs - RATE * WARMUP;
  const seconds = ((starts[jobs - 1] as number) - (starts[RATE * WARMUP - 1] as number)) / 1000;
  let most = 0;
  for (let i = 0, j = 0; j < starts.length; j++) {
    while ((starts[j] as number) - (starts[i] as number) >= PERIOD_MS) i++;
    most = Math.max(most, j - i + 1);
  }
  const rate = steady / seconds;
  return {
    suite: 'rate',
    workload: `drain at rate ${RATE}/1s, 32 handlers (${WINDOWS} windows, the last ${WINDOWS - WARMUP})`,
    variant,
    jobs: steady,
    seconds,
    extra: {
      'vs target': `${rate >= RATE ? '+' : ''}${((rate / RATE - 1) * 100).toFixed(2)} %`,
      'max/1s': String(most),
    },
    target: '5,000/s +-2 %',
  };
}

/**
 * A rate-limited drain on LevelStore (in memory, then on disk, durable) and on PostgresStore (one
 * node). The memory row shows the limiter where the engine has throughput to spare; the others
 * also show whether the store's own drain keeps up with 5,000/s on this machine.
 */
export async function rateBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const memory = await LevelStore.open({ memory: true, durability: 'relaxed' });
  try {
    rows.push(await rateRow('LevelStore, memory', memory));
  } finally {
    await memory.close();
  }
  const dir = await mkdtemp(join(tmpdir(), 'gq-bench-rate-'));
  const level = await LevelStore.open({ location: dir });
  try {
    rows.push(await rateRow('LevelStore, disk, durable', level));
  } finally {
    await level.close();
    await rm(dir, { recursive: true, force: true });
  }
  const db = await probeTestDatabase();
  if (!db.available && URL === undefined) {
    console.error(`rate bench on postgres skipped: ${db.url} is unreachable`);
    return rows;
  }
  const schema = uniqueSchema('gq_bench_rate');
  try {
    const pg = await PostgresStore.open({
      ...(URL === undefined ? {} : { connectionString: URL }),
      schema,
      poolSize: 8,
    });
    try {
      rows.push(await rateRow('PostgresStore, 1 node', pg));
    } finally {
      await pg.close();
    }
  } finally {
    await dropSchemas([schema]);
  }
  return rows;
}
