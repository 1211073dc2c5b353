import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJob, type Durability, type Store } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { inParallel, measure, type BenchRow } from './table.js';

interface Variant {
  name: string;
  durability: Durability;
  memory: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'disk, durable', durability: 'durable', memory: false },
  { name: 'disk, relaxed', durability: 'relaxed', memory: false },
  { name: 'memory', durability: 'relaxed', memory: true },
];

async function withStore<T>(variant: Variant, fn: (store: Store) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'gq-bench-'));
  const store = await LevelStore.open({
    location: dir,
    memory: variant.memory,
    durability: variant.durability,
  });
  try {
    return await fn(store);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const spec = () => createJob('noop', { n: 1 });

/** Runs only the rows whose variant and workload contain these texts. */
export interface StoreBenchFilter {
  variant?: string | undefined;
  workload?: string | undefined;
}

/**
 * Runs every hot path untimed in memory first, so the first timed rows measure compiled code, as a
 * long-running server would run it, not the JIT's first pass.
 */
async function warmUp(): Promise<void> {
  await withStore({ name: 'warm-up', durability: 'relaxed', memory: true }, async (store) => {
    await inParallel(3000, 32, async () => {
      await store.submit(spec());
    });
    for (let i = 0; i < 3000; i += 500) await store.submitBatch(Array.from({ length: 500 }, spec));
    for (;;) {
      const claimed = await store.claim({ workerId: 'warm-up', limit: 32, leaseMs: 30_000 });
      if (claimed.length === 0) return;
      await Promise.all(
        claimed.map((job) => store.complete(job.id, job.leaseToken as string, null)),
      );
    }
  });
}

/** The store alone: submits (single, 32 callers, bulk) and claim + complete with 32 in flight. */
export async function storeBench(jobs: number, filter: StoreBenchFilter = {}): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const wanted = (workload: string) =>
    filter.workload === undefined || workload.includes(filter.workload);
  await warmUp();
  for (const variant of VARIANTS) {
    if (filter.variant !== undefined && !variant.name.includes(filter.variant)) continue;
    const base = { suite: 'store', variant: variant.name, jobs };
    const singleJobs = variant.durability === 'durable' ? Math.min(jobs, 2000) : jobs;
    if (wanted('submit, one at a time'))
      rows.push(
        await withStore(variant, (store) =>
          measure(
            {
              ...base,
              jobs: singleJobs,
              workload: 'submit, one at a time',
              target: variant.durability === 'durable' ? 'fsync bound' : '40,000/s',
            },
            async () => {
              for (let i = 0; i < singleJobs; i++) await store.submit(spec());
            },
          ),
        ),
      );
    if (wanted('submit, 32 callers'))
      rows.push(
        await withStore(variant, (store) =>
          measure({ ...base, workload: 'submit, 32 callers', target: '50,000/s' }, () =>
            inParallel(jobs, 32, async () => {
              await store.submit(spec());
            }),
          ),
        ),
      );
    if (wanted('bulk submit, batches of 500'))
      rows.push(
        await withStore(variant, (store) =>
          measure(
            { ...base, workload: 'bulk submit, batches of 500', target: '250,000/s' },
            async () => {
              for (let i = 0; i < jobs; i += 500) {
                await store.submitBatch(Array.from({ length: Math.min(500, jobs - i) }, spec));
              }
            },
          ),
        ),
      );
    if (wanted('claim + complete, 32 in flight'))
      rows.push(
        await withStore(variant, async (store) => {
          for (let i = 0; i < jobs; i += 500)
            await store.submitBatch(Array.from({ length: Math.min(500, jobs - i) }, spec));
          let done = 0;
          return measure(
            { ...base, workload: 'claim + complete, 32 in flight', target: '30,000/s' },
            () =>
              Promise.all(
                Array.from({ length: 32 }, async (_, lane) => {
                  for (;;) {
                    const [job] = await store.claim({
                      workerId: `w${lane}`,
                      limit: 1,
                      leaseMs: 30_000,
                    });
                    if (!job) return;
                    await store.complete(job.id, job.leaseToken as string, null);
                    done++;
                  }
                }),
              ).then(() => {
                if (done !== jobs) throw new Error(`claimed ${done} of ${jobs}`);
              }),
          );
        }),
      );
  }
  return rows;
}
