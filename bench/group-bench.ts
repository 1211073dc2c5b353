import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJob, type Job, type Store } from '@gopherqueue/core';
import { LevelStore, PostgresStore } from '@gopherqueue/persistence';
import {
  dropSchemas,
  probeTestDatabase,
  uniqueSchema,
} from '../packages/persistence/src/postgres/test-database.js';
import { measure, type BenchRow } from './table.js';

const KEYS = 1000;
const URL = process.env.GQ_BENCH_POSTGRES_URL ?? process.env.GQ_TEST_POSTGRES_URL;

/**
 * Claims and completes `jobs` preloaded jobs spread over 1,000 group keys, 50 per claim, with
 * the queue at `group_concurrency: 2` (or, for the baseline, no per-key limit): what the per-key
 * bookkeeping costs a claim. Store calls only, no handlers.
 */
async function groupRow(
  variant: string,
  store: Store,
  jobs: number,
  limited: boolean,
): Promise<BenchRow> {
  const queue = limited ? 'grouped' : 'free';
  if (limited) await store.setQueue(queue, { groupConcurrency: 2 });
  for (let i = 0; i < jobs; i += 500) {
    await store.submitBatch(
      Array.from({ length: Math.min(500, jobs - i) }, (_, k) =>
        createJob('noop', null, { queue, group: `customer-${(i + k) % KEYS}` }),
      ),
    );
  }
  return measure(
    {
      suite: 'groups',
      workload: `claim 50 + complete, ${KEYS} group keys, ${limited ? 'group_concurrency 2' : 'no per-key limit'}`,
      variant,
      jobs,
    },
    async () => {
      let done = 0;
      while (done < jobs) {
        const claimed: Job[] = await store.claim({
          workerId: 'bench',
          limit: 50,
          leaseMs: 60_000,
          queues: [queue],
        });
        if (claimed.length === 0) throw new Error(`claim found nothing after ${done} jobs`);
        await Promise.all(
          claimed.map((job) => store.complete(job.id, job.leaseToken as string, null)),
        );
        done += claimed.length;
      }
    },
  );
}

/** Claims with 1,000 group keys on LevelStore (memory, disk) and PostgresStore (one node). */
export async function groupBench(jobs: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const limited of [false, true]) {
    const memory = await LevelStore.open({ memory: true, durability: 'relaxed' });
    try {
      rows.push(await groupRow('LevelStore, memory', memory, jobs, limited));
    } finally {
      await memory.close();
    }
  }
  const dir = await mkdtemp(join(tmpdir(), 'gq-bench-groups-'));
  const level = await LevelStore.open({ location: dir });
  try {
    rows.push(await groupRow('LevelStore, disk, durable', level, jobs, true));
  } finally {
    await level.close();
    await rm(dir, { recursive: true, force: true });
  }
  const db = await probeTestDatabase();
  if (!db.available && URL === undefined) {
    console.error(`groups bench on postgres skipped: ${db.url} is unreachable`);
    return rows;
  }
  for (const limited of [false, true]) {
    const schema = uniqueSchema('gq_bench_groups');
    try {
      const pg = await PostgresStore.open({
        ...(URL === undefined ? {} : { connectionString: URL }),
        schema,
        poolSize: 8,
      });
      try {
        rows.push(await groupRow('PostgresStore, 1 node', pg, Math.min(jobs, 5000), limited));
      } finally {
        await pg.close();
      }
    } finally {
      await dropSchemas([schema]);
    }
  }
  return rows;
}
