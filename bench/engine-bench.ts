import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJob, type Durability } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { Scheduler } from '@gopherqueue/scheduler';
import { WorkerPool } from '@gopherqueue/worker';
import { LatencyProbe, until } from './latency-probe.js';
import { inParallel, measure, type BenchRow } from './table.js';

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

    const probe = new LatencyProbe();
    engine = await openEngine(variant.memory, variant.durability, probe.started);
    engine.pool.start();
    const latencyEngine = engine;
    rows.push(
      await probe.run(
        base,
        'p99 3 ms',
        (spec) => latencyEngine.scheduler.enqueue(spec),
        () => latencyEngine.pool.stats().completed,
      ),
    );
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
