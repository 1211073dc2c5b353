import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJob, type Job, type Store } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { openBenchPostgres, postgresReachable } from './bench-postgres.js';
import { measure, type BenchRow } from './table.js';

const KEYS = 1000;

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

/** Rounds of each pair: the machine is noisy, so each round measures both rows back to back. */
const ROUNDS = 5;

/** A store for one row, and how to dispose of it. */
interface Opened {
  store: Store;
  close: () => Promise<void>;
}

/**
 * One variant: ROUNDS rounds of the unlimited drain then the limited one, each on a fresh store,
 * alternating so both see the same load. Returns the fastest round of each (on a shared,
 * loaded machine the fastest is the one least disturbed), the limited row with the ratio of the
 * two and each round's own ratio.
 */
async function pairRows(
  variant: string,
  open: () => Promise<Opened>,
  jobs: number,
): Promise<BenchRow[]> {
  const free: BenchRow[] = [];
  const grouped: BenchRow[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const limited of [false, true]) {
      const { store, close } = await open();
      try {
        (limited ? grouped : free).push(await groupRow(variant, store, jobs, limited));
      } finally {
        await close();
      }
    }
  }
  const fastest = (rows: BenchRow[]): BenchRow =>
    rows.reduce((best, row) => (row.seconds < best.seconds ? row : best));
  const base = fastest(free);
  const best = fastest(grouped);
  const percent = (ratio: number): string => `${(ratio * 100).toFixed(0)} %`;
  const rounds = free.map((row, i) => percent(row.seconds / (grouped[i] as BenchRow).seconds));
  // CPU time per job of this process (the store's own work on LevelStore, the driver's on
  // PostgreSQL), the median of the rounds: less disturbed by a loaded machine than wall time.
  const cpu = (rows: BenchRow[]): number => {
    const sorted = rows.map((row) => Number(row.extra?.['cpu ms/job'])).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] as number;
  };
  return [
    { ...base, extra: { ...base.extra, 'vs baseline': 'baseline' } },
    {
      ...best,
      extra: {
        ...best.extra,
        'vs baseline': `${percent(base.seconds / best.seconds)} (rounds ${rounds.join(', ')})`,
        'cpu vs baseline': percent(cpu(free) / cpu(grouped)),
      },
      target: '>= 80 % of baseline',
    },
  ];
}

/**
 * Claims with 1,000 group keys on LevelStore (memory, disk) and PostgresStore (one node), each
 * against the same drain without a per-key limit on the same kind of store.
 */
export async function groupBench(jobs: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  rows.push(
    ...(await pairRows(
      'LevelStore, memory',
      async () => {
        const store = await LevelStore.open({ memory: true, durability: 'relaxed' });
        return { store, close: () => store.close() };
      },
      jobs,
    )),
  );
  rows.push(
    ...(await pairRows(
      'LevelStore, disk, durable',
      async () => {
        const dir = await mkdtemp(join(tmpdir(), 'gq-bench-groups-'));
        const store = await LevelStore.open({ location: dir });
        return {
          store,
          close: async () => {
            await store.close();
            await rm(dir, { recursive: true, force: true });
          },
        };
      },
      jobs,
    )),
  );
  if (!(await postgresReachable('groups'))) return rows;
  rows.push(
    ...(await pairRows(
      'PostgresStore, 1 node',
      () => openBenchPostgres('gq_bench_groups'),
      Math.min(jobs, 5000),
    )),
  );
  return rows;
}
