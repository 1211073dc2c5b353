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

/** Rounds of each pair: the machine is noisy, so each round measures both rows back to back. */
const ROUNDS = 5;

/** A store for one row, and how to dispose of it. */
interface Opened {
  store: Store;
  close: () => Promise<void>;
}

/**
 * One variant: ROUNDS rounds of the unlimited drain then the limited one, each on a fresh store.
 * Returns the two rows of the median round by ratio (limited jobs/s over unlimited jobs/s), the
 * limited row with that ratio and the ratios of every round.
 */
async function pairRows(
  variant: string,
  open: () => Promise<Opened>,
  jobs: number,
): Promise<BenchRow[]> {
  const rounds: { free: BenchRow; grouped: BenchRow; ratio: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const pair: BenchRow[] = [];
    for (const limited of [false, true]) {
      const { store, close } = await open();
      try {
        pair.push(await groupRow(variant, store, jobs, limited));
      } finally {
        await close();
      }
    }
    const [free, grouped] = pair as [BenchRow, BenchRow];
    rounds.push({ free, grouped, ratio: free.seconds / grouped.seconds });
  }
  const ratios = rounds.map((r) => r.ratio).sort((a, b) => a - b);
  const median = rounds.find(
    (r) => r.ratio === ratios[Math.floor(ROUNDS / 2)],
  ) as (typeof rounds)[0];
  const percent = (ratio: number): string => `${(ratio * 100).toFixed(0)} %`;
  return [
    { ...median.free, extra: { ...median.free.extra, 'vs baseline': 'baseline' } },
    {
      ...median.grouped,
      extra: {
        ...median.grouped.extra,
        'vs baseline': `${percent(median.ratio)} (rounds ${ratios.map(percent).join(', ')})`,
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
  const db = await probeTestDatabase();
  if (!db.available && URL === undefined) {
    console.error(`groups bench on postgres skipped: ${db.url} is unreachable`);
    return rows;
  }
  rows.push(
    ...(await pairRows(
      'PostgresStore, 1 node',
      async () => {
        const schema = uniqueSchema('gq_bench_groups');
        let store: PostgresStore;
        try {
          store = await PostgresStore.open({
            ...(URL === undefined ? {} : { connectionString: URL }),
            schema,
            poolSize: 8,
          });
        } catch (err) {
          await dropSchemas([schema]);
          throw err;
        }
        return {
          store,
          close: async () => {
            try {
              await store.close();
            } finally {
              await dropSchemas([schema]);
            }
          },
        };
      },
      Math.min(jobs, 5000),
    )),
  );
  return rows;
}
