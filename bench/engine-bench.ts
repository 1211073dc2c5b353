import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createJob, type Durability } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { Scheduler } from '@gopherqueue/scheduler';
import { WorkerPool } from '@gopherqueue/worker';
import { inParallel, measure, percentile, type BenchRow } from './table.js';

interface Engine {
  store: LevelStore;
  scheduler: Scheduler;
  pool: WorkerPool;
  close(): Promise<void>;
}

async function openEngine(
  memory: boolean,
  durability: Durability,
  onStart: (id: string) => void,
): Promise<Engine> {
  const dir = await mkdtemp(join(tmpdir(), 'gq-bench-'));
  const store = await LevelStore.open({ location: dir, memory, durability });
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
    async close() {
      await pool.stop();
      await scheduler.stop();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await sleep(2);
}

const VARIANTS = [
  { name: 'disk, durable', memory: false, durability: 'durable' as const },
  { name: 'memory', memory: true, durability: 'relaxed' as const },
];

/** The engine end to end: drain, submit while running, and submit-to-start latency at 1,000/s. */
export async function engineBench(jobs: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const variant of VARIANTS) {
    const base = { suite: 'engine', variant: variant.name, jobs };

    let engine = await openEngine(variant.memory, variant.durability, () => undefined);
    for (let i = 0; i < jobs; i += 500) {
      await engine.store.submitBatch(
        Array.from({ length: Math.min(500, jobs - i) }, () => createJob('noop', null)),
      );
    }
    rows.push(
      await measure(
        { ...base, workload: 'drain, 32 concurrent handlers', target: '30,000/s' },
        async () => {
          engine.pool.start();
          await until(() => engine.pool.stats().completed >= jobs);
        },
      ),
    );
    await engine.close();

    engine = await openEngine(variant.memory, variant.durability, () => undefined);
    engine.pool.start();
    rows.push(
      await measure(
        { ...base, workload: 'submit from 32 producers while running, to completion' },
        async () => {
          await inParallel(jobs, 32, async () => {
            await engine.scheduler.enqueue(createJob('noop', null));
          });
          await until(() => engine.pool.stats().completed >= jobs);
        },
      ),
    );
    await engine.close();

    const submittedAt = new Map<string, number>();
    const waits: number[] = [];
    engine = await openEngine(variant.memory, variant.durability, (id) => {
      const at = submittedAt.get(id);
      if (at !== undefined) waits.push(performance.now() - at);
    });
    engine.pool.start();
    const rate = 1000;
    const seconds = 10;
    const total = rate * seconds;
    const row = await measure(
      {
        ...base,
        jobs: total,
        workload: `submit-to-start at ${rate}/s for ${seconds} s`,
        target: 'p99 3 ms',
      },
      async () => {
        const t0 = performance.now();
        const pending: Promise<unknown>[] = [];
        for (let i = 0; i < total; i++) {
          const due = t0 + (i * 1000) / rate;
          const ahead = due - performance.now();
          if (ahead > 1) await sleep(ahead);
          const spec = createJob('noop', null);
          submittedAt.set(spec.id, performance.now());
          pending.push(engine.scheduler.enqueue(spec));
        }
        await Promise.all(pending);
        await until(() => engine.pool.stats().completed >= total);
      },
    );
    waits.sort((a, b) => a - b);
    row.extra = {
      ...row.extra,
      'p50 ms': percentile(waits, 50).toFixed(2),
      'p99 ms': percentile(waits, 99).toFixed(2),
    };
    rows.push(row);
    await engine.close();
  }
  const rssMb = process.resourceUsage().maxRSS / 1024;
  rows.push({
    suite: 'engine',
    workload: 'peak RSS of the bench process',
    variant: '',
    jobs: 0,
    seconds: 1,
    extra: { 'peak RSS MB': rssMb.toFixed(0) },
  });
  return rows;
}
