import { createJob } from '@gopherqueue/core';
import { PostgresStore } from '@gopherqueue/persistence';
import { Scheduler } from '@gopherqueue/scheduler';
import { WorkerPool } from '@gopherqueue/worker';
import {
  dropSchemas,
  probeTestDatabase,
  uniqueSchema,
} from '../packages/persistence/src/postgres/test-database.js';
import { LatencyProbe, until } from './latency-probe.js';
import { postgresCpuMs } from './proc-cpu.js';
import { inParallel, measure as measureHere, type BenchRow } from './table.js';

/** The database the bench uses; each run gets a fresh schema, dropped after. */
const URL = process.env.GQ_BENCH_POSTGRES_URL ?? process.env.GQ_TEST_POSTGRES_URL;

/** One engine on its own PostgresStore (its own pool and LISTEN connection): a node. */
interface Node {
  store: PostgresStore;
  scheduler: Scheduler;
  pool: WorkerPool;
  stop(): Promise<void>;
}

async function openStore(schema: string): Promise<PostgresStore> {
  return PostgresStore.open({
    ...(URL === undefined ? {} : { connectionString: URL }),
    schema,
    poolSize: 8,
  });
}

async function openNode(schema: string, onStart: (id: string) => void): Promise<Node> {
  const store = await openStore(schema);
  const scheduler = new Scheduler({ store });
  await scheduler.start();
  const pool = new WorkerPool({ store, scheduler, concurrency: 32 });
  pool.register('noop', (ctx) => {
    onStart(ctx.id);
    return null;
  });
  return {
    store,
    scheduler,
    pool,
    async stop() {
      await pool.stop();
      await scheduler.stop();
      await store.close();
    },
  };
}

/**
 * {@link measureHere} with the CPU the PostgreSQL server spent per job as well, when it runs on
 * this machine (every `postgres` process counts, so other load on the server shows too): on one
 * machine the server's CPU per job bounds the rate as much as this process's does.
 */
async function measure(
  base: Omit<BenchRow, 'seconds' | 'extra'>,
  run: () => Promise<void>,
): Promise<BenchRow> {
  const server0 = postgresCpuMs();
  const row = await measureHere(base, run);
  const server1 = postgresCpuMs();
  if (server0 === undefined || server1 === undefined) return row;
  const perJob = (server1 - server0) / base.jobs;
  return { ...row, extra: { ...row.extra, 'postgres cpu ms/job': perJob.toFixed(3) } };
}

/** Runs `fn` on a fresh schema and drops it after, whatever happens. */
async function withSchema<T>(fn: (schema: string) => Promise<T>): Promise<T> {
  const schema = uniqueSchema('gq_bench');
  try {
    return await fn(schema);
  } finally {
    await dropSchemas([schema]);
  }
}

async function preload(store: PostgresStore, jobs: number): Promise<void> {
  for (let i = 0; i < jobs; i += 500) {
    await store.submitBatch(
      Array.from({ length: Math.min(500, jobs - i) }, () => createJob('noop', null)),
    );
  }
}

/** Drains `jobs` preloaded jobs with `nodes` engines in this process, 32 handlers each. */
async function drainRow(jobs: number, nodes: number, target?: string): Promise<BenchRow> {
  return withSchema(async (schema) => {
    const loader = await openStore(schema);
    await preload(loader, jobs);
    await loader.close();
    const engines: Node[] = [];
    for (let i = 0; i < nodes; i++) engines.push(await openNode(schema, () => undefined));
    const done = (): number => engines.reduce((n, e) => n + e.pool.stats().completed, 0);
    try {
      return await measure(
        {
          suite: 'postgres',
          workload: `drain, ${nodes} node${nodes > 1 ? 's' : ''} x 32 handlers (one process)`,
          variant: 'durable',
          jobs,
          ...(target === undefined ? {} : { target }),
        },
        async () => {
          for (const e of engines) e.pool.start();
          await until(() => done() >= jobs);
        },
      );
    } finally {
      for (const e of engines) await e.stop();
    }
  });
}

/**
 * PostgresStore alone and with the engine: submits (single, 32 producers, bulk 500), drain with
 * 32 handlers, submit-to-start latency at 1,000 jobs/s, and drain with 1, 2 and 3 nodes (each its
 * own store, pool and LISTEN connection, all in this process). Skipped when PostgreSQL is down.
 */
export async function postgresBench(jobs: number): Promise<BenchRow[]> {
  const db = await probeTestDatabase();
  if (!db.available && URL === undefined) {
    console.error(`postgres bench skipped: ${db.url} is unreachable (set GQ_BENCH_POSTGRES_URL)`);
    return [];
  }
  const rows: BenchRow[] = [];
  const base = { suite: 'postgres', variant: 'durable' };
  const single = Math.max(1, Math.floor(jobs / 5));

  await withSchema(async (schema) => {
    const store = await openStore(schema);
    try {
      rows.push(
        await measure({ ...base, workload: 'submit one at a time', jobs: single }, async () => {
          for (let i = 0; i < single; i++) await store.submit(createJob('noop', { n: i }));
        }),
      );
      rows.push(
        await measure({ ...base, workload: 'submit from 32 producers', jobs }, () =>
          inParallel(jobs, 32, async (i) => {
            await store.submit(createJob('noop', { n: i }));
          }),
        ),
      );
      rows.push(
        await measure({ ...base, workload: 'bulk submit, batches of 500', jobs }, () =>
          preload(store, jobs),
        ),
      );
    } finally {
      await store.close();
    }
  });

  rows.push(await drainRow(jobs, 1, '25,000/s'));

  await withSchema(async (schema) => {
    const probe = new LatencyProbe();
    const node = await openNode(schema, probe.started);
    node.pool.start();
    try {
      rows.push(
        await probe.run(
          base,
          'p99 20 ms',
          (spec) => node.scheduler.enqueue(spec),
          () => node.pool.stats().completed,
        ),
      );
    } finally {
      await node.stop();
    }
  });

  for (const nodes of [1, 2, 3]) rows.push(await drainRow(jobs * 2, nodes));
  return rows;
}
