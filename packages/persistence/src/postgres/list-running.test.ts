import { afterAll, expect, it } from 'vitest';
import { createJob, type Job, type ListFilter } from '@gopherqueue/core';
import { describeWithPostgres } from './describe-with-postgres.js';
import { listSql } from './job-queries.js';
import type { PostgresStore } from './postgres-store.js';
import { dropSchemas, uniqueSchema, withTestStore } from './test-database.js';

const schemas: string[] = [];

/** Every job `filter` lists, page after page of `limit`, in the order the pages give them. */
async function listAll(store: PostgresStore, filter: ListFilter, limit: number): Promise<Job[]> {
  const jobs: Job[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await store.list({
      ...filter,
      limit,
      ...(cursor === undefined ? {} : { cursor }),
    });
    jobs.push(...page.jobs);
    if (page.nextCursor === undefined) return jobs;
    cursor = page.nextCursor;
  }
  throw new Error('more than 1000 pages');
}

/** Ids newest first, as lists order them. */
const newestFirst = (jobs: readonly Job[]): string[] =>
  jobs.map((job) => job.id).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));

describeWithPostgres('PostgresStore lists with running jobs', () => {
  afterAll(() => dropSchemas(schemas));

  it('keeps running jobs out of the list indexes and still lists them with every filter', async () => {
    const schema = uniqueSchema('gq_list_running');
    schemas.push(schema);
    await withTestStore(schema, async ({ store, s, client }) => {
      // 1,200 jobs: types a, b, c and queues q0, q1 in turn, so every filter mixes states.
      const specs = Array.from({ length: 1200 }, (_, i) =>
        createJob(['a', 'b', 'c'][i % 3] as string, null, { queue: `q${i % 2}` }),
      );
      for (let i = 0; i < specs.length; i += 400) await store.submitBatch(specs.slice(i, i + 400));
      // 300 claimed (the oldest, in claim order), of which the first 100 complete.
      const claimed = await store.claim({ workerId: 'w', limit: 300, leaseMs: 600_000 });
      expect(claimed).toHaveLength(300);
      for (const job of claimed.slice(0, 100)) {
        await store.complete(job.id, job.leaseToken as string, null);
      }
      await client.query(`ANALYZE ${s}.jobs`);

      // The three list indexes leave out the 200 running jobs; the key index holds all 1,200.
      const { rows: defs } = await client.query<{ indexname: string; indexdef: string }>(
        `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1
           AND indexname LIKE 'jobs\\_%\\_id\\_settled' ORDER BY indexname`,
        [schema],
      );
      expect(defs.map((d) => d.indexname)).toEqual([
        'jobs_queue_id_settled',
        'jobs_state_id_settled',
        'jobs_type_id_settled',
      ]);
      for (const def of defs) expect(def.indexdef).toContain(`WHERE (state <> 'running'::text)`);

      const all = await listAll(store, {}, 1000);
      expect(all).toHaveLength(1200);
      const byState = (state: string): number => all.filter((job) => job.state === state).length;
      expect([byState('running'), byState('completed'), byState('scheduled')]).toEqual([
        200, 100, 900,
      ]);

      const filters: ListFilter[] = [
        { state: 'running' },
        { state: 'completed' },
        { state: 'scheduled' },
        { type: 'a' },
        { queue: 'q1' },
        { type: 'b', queue: 'q0' },
        { type: 'c', state: 'running' },
        { queue: 'q0', state: 'scheduled' },
        { type: 'a', priority: 2 },
      ];
      for (const filter of filters) {
        const expected = newestFirst(
          all.filter(
            (job) =>
              (filter.state === undefined || job.state === filter.state) &&
              (filter.type === undefined || job.type === filter.type) &&
              (filter.queue === undefined || job.queue === filter.queue) &&
              (filter.priority === undefined || job.priority === filter.priority),
          ),
        );
        if (filter.state === undefined) {
          // The filter meets running jobs and others, so both halves of the list are read.
          const states = new Set(all.filter((j) => expected.includes(j.id)).map((j) => j.state));
          expect([...states].sort()).toEqual(['completed', 'running', 'scheduled']);
        }
        // Pages of 7 cross from running jobs to the others and back many times.
        const listed = (await listAll(store, filter, 7)).map((job) => job.id);
        expect({ filter, listed }).toEqual({ filter, listed: expected });
      }
    });
  });

  it('reads running jobs through the lease index and the rest through the partial indexes', async () => {
    const schema = uniqueSchema('gq_list_running');
    schemas.push(schema);
    await withTestStore(schema, async ({ store, s, client }) => {
      for (let i = 0; i < 10_000; i += 500) {
        await store.submitBatch(
          // One job in a hundred of the rare type: a list of it walks the type's index, where a
          // list of a common type may as well walk the key index and skip the others.
          Array.from({ length: 500 }, (_, k) =>
            createJob((i + k) % 100 === 0 ? 'rare' : 'common', null),
          ),
        );
      }
      const claimed = await store.claim({ workerId: 'w', limit: 100, leaseMs: 600_000 });
      for (const job of claimed.slice(0, 20)) {
        await store.complete(job.id, job.leaseToken as string, null);
      }
      await client.query(`ANALYZE ${s}.jobs`);
      const planOf = async (filter: ListFilter, values: unknown[]): Promise<string> => {
        const where = Object.keys(filter).map((key, i) => `${key} = $${i + 1}`);
        const sql = listSql(s, where, filter, `$${values.length}`);
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, values);
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      };
      const byType = await planOf({ type: 'rare' }, ['rare', 51]);
      expect(byType).toContain('jobs_type_id_settled');
      expect(byType).toContain('jobs_lease');
      expect(byType).not.toContain('Seq Scan');
      const running = await planOf({ state: 'running' }, ['running', 51]);
      expect(running).toContain('jobs_lease');
      // The key index serves only the page's rows, by id: it is never walked in search of them.
      expect(running).not.toContain('Index Scan Backward using jobs_pkey');
      expect(running).toContain('Index Cond: (id = jobs_1.id)');
      expect(running).not.toContain('Seq Scan');
      const completed = await planOf({ state: 'completed' }, ['completed', 51]);
      expect(completed).toContain('jobs_state_id_settled');
    });
  });
});
