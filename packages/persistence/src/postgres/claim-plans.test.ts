import type pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { createJob, type JobSpec } from '@gopherqueue/core';
import { CLAIM_SETTINGS, COMPLETE_SETTINGS } from './batched-flushes.js';
import { claimStatement, completeStatements } from './batched-ops.js';
import { describeWithPostgres } from './describe-with-postgres.js';
import type { PostgresStore } from './postgres-store.js';
import { planLimitedClaim } from './queue-limits.js';
import { dropSchemas, uniqueSchema, withTestStore, type StoreFixture } from './test-database.js';

const schemas: string[] = [];

/** The plan of `sql` in a transaction that ran `settings` first, rolled back. */
async function planOf(client: pg.Client, settings: string, sql: string): Promise<string> {
  await client.query('BEGIN');
  try {
    await client.query(settings);
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await client.query('ROLLBACK');
  }
}

/** Runs `fn` with a store on a fresh schema (dropped after the file) and a client of its own. */
async function withStore(fn: (f: StoreFixture) => Promise<void>): Promise<void> {
  const schema = uniqueSchema('gq_claim_plans');
  schemas.push(schema);
  await withTestStore(schema, fn);
}

/** Submits `count` jobs of type `t` in batches of 500, each made by `make(i)`. */
async function fill(
  store: PostgresStore,
  count: number,
  make: (i: number) => JobSpec = () => createJob('t', null),
): Promise<void> {
  for (let i = 0; i < count; i += 500) {
    await store.submitBatch(Array.from({ length: 500 }, (_, k) => make(i + k)));
  }
}

describeWithPostgres('PostgresStore claim plans', () => {
  afterAll(() => dropSchemas(schemas));

  it('walks the claim index once ANALYZE has seen a backlog all in one queue', async () => {
    await withStore(async ({ store, s, client }) => {
      await fill(store, 5000);
      // What autovacuum does to a table that grew: afterwards the planner knows every job is of
      // one queue.
      await client.query(`ANALYZE ${s}.jobs`);
      const claim = claimStatement(s, [{ workerId: 'w', limit: 32, leaseMs: 60_000 }], Date.now());
      const plan = await planOf(client, CLAIM_SETTINGS, claim);
      expect(plan).toContain('Index Scan using jobs_claim on jobs');
      // Read in index order and stopped at the limit: no scan of the table, no sort of it.
      expect(plan).not.toContain('Seq Scan on jobs');
      expect(plan).not.toMatch(/LockRows[^\n]*\n\s*->\s+Sort/);
      // The store claims in order all the same.
      const claimed = await store.claim({ workerId: 'w', limit: 32, leaseMs: 60_000 });
      expect(claimed.map((job) => job.seq)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    });
  });

  it('finds the jobs a batch completes by their ids, however many jobs run', async () => {
    await withStore(async ({ store, s, client }) => {
      await fill(store, 5000);
      const running = [];
      for (let i = 0; i < 4; i++) {
        running.push(...(await store.claim({ workerId: 'w', limit: 500, leaseMs: 600_000 })));
      }
      expect(running).toHaveLength(2000);
      const inputs = running.slice(0, 32).map((job) => ({
        id: job.id,
        token: job.leaseToken as string,
        result: null,
        now: Date.now(),
      }));
      // No ANALYZE since the claims: the statistics do not know that 2,000 jobs run.
      const [update] = completeStatements(s, inputs);
      const plan = await planOf(client, COMPLETE_SETTINGS, update as string);
      expect(plan).toContain('Index Scan using jobs_pkey on jobs j');
      expect(plan).not.toContain('jobs_lease');
      const done = await Promise.all(
        inputs.map((input) => store.complete(input.id, input.token, null)),
      );
      expect(done.map((job) => job.state)).toEqual(inputs.map(() => 'completed'));
    });
  });

  it('finds a batch of 200 completions by their ids, not by a scan of the whole table', async () => {
    await withStore(async ({ store, s, client }) => {
      await fill(store, 10_000);
      const running = await store.claim({ workerId: 'w', limit: 200, leaseMs: 600_000 });
      await client.query(`ANALYZE ${s}.jobs`);
      const inputs = running.map((job) => ({
        id: job.id,
        token: job.leaseToken as string,
        result: null,
        now: Date.now(),
      }));
      const [update] = completeStatements(s, inputs);
      // Left to itself, the planner finds a hash join over a scan of all 10,000 rows cheaper than
      // 200 lookups by key.
      const unset = await planOf(client, 'SET LOCAL synchronous_commit = off', update as string);
      expect(unset).toContain('Seq Scan on jobs j');
      const plan = await planOf(client, COMPLETE_SETTINGS, update as string);
      expect(plan).toContain('Index Scan using jobs_pkey on jobs j');
      expect(plan).not.toContain('Seq Scan on jobs');
      const done = await Promise.all(
        inputs.map((input) => store.complete(input.id, input.token, null)),
      );
      expect(done.map((job) => job.state)).toEqual(inputs.map(() => 'completed'));
      expect((await store.counts()).byState).toMatchObject({ completed: 200, scheduled: 9800 });
    });
  });

  it('gives each claimer of one statement its own worker and lease length', async () => {
    await withStore(async ({ store, s, client }) => {
      await fill(store, 500);
      const now = 1_800_000_000_000;
      const claim = async (requests: { workerId: string; limit: number; leaseMs: number }[]) => {
        const { rows } = await client.query<{
          rn: number;
          worker_id: string;
          lease_expires_at: string;
        }>(claimStatement(s, requests, now));
        return rows
          .sort((a, b) => a.rn - b.rn)
          .map((row) => [row.rn, row.worker_id, Number(row.lease_expires_at) - now]);
      };
      // Claimers that differ: one array element per job, picked by its place in claim order.
      expect(
        await claim([
          { workerId: 'a', limit: 2, leaseMs: 60_000 },
          { workerId: 'b', limit: 3, leaseMs: 120_000 },
        ]),
      ).toEqual([
        [1, 'a', 60_000],
        [2, 'a', 60_000],
        [3, 'b', 120_000],
        [4, 'b', 120_000],
        [5, 'b', 120_000],
      ]);
      // Claimers alike (as in most flushes): one value for all.
      expect(
        await claim([
          { workerId: "o'neil", limit: 2, leaseMs: 5_000 },
          { workerId: "o'neil", limit: 1, leaseMs: 5_000 },
        ]),
      ).toEqual([
        [1, "o'neil", 5_000],
        [2, "o'neil", 5_000],
        [3, "o'neil", 5_000],
      ]);
    });
  });

  it('reads each probe of a key-limited claim in index order once ANALYZE has seen its keys', async () => {
    await withStore(async ({ store, s, client }) => {
      await store.setQueue('g', { groupConcurrency: 1000 });
      await fill(store, 20_000, (i) => createJob('t', null, { queue: 'g', group: `k${i % 2}` }));
      await client.query(`ANALYZE ${s}.jobs`);
      const queue = {
        name: 'g',
        paused: false,
        concurrency: null,
        rate_limit: null,
        rate_period_ms: null,
        rate_log: [],
        group_concurrency: 1000,
        ordered: false,
        aging_ms: null,
      };
      const options = { workerId: 'w', limit: 32, leaseMs: 60_000 };
      const { statements } = planLimitedClaim(s, options, Date.now(), [[queue], []]);
      const plan = await planOf(
        client,
        'SET LOCAL synchronous_commit = off',
        statements[0] as string,
      );
      // The five probes (one per priority) and the part for other queues each read the queue's
      // index in order to their limit: no table scan, no sort of a probe's range.
      expect(plan.match(/Index Scan using jobs_runnable_queue on jobs/g)).toHaveLength(6);
      expect(plan).not.toMatch(/Sort Key: j_\d+\.run_at, j_\d+\.seq/);
      expect(plan).not.toContain('Seq Scan on jobs');
      const claimed = await store.claim(options);
      expect(claimed.map((job) => job.seq)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    });
  });
});
