import { afterAll, expect, it } from 'vitest';
import { createJob } from '@gopherqueue/core';
import pg from 'pg';
import { MIGRATIONS, quoteIdent } from './migrations.js';
import { PostgresStore } from './postgres-store.js';
import { insertJobsJson, insertJobsSql, newJob } from './submit-jobs.js';
import { dropSchemas, TEST_POSTGRES_URL, uniqueSchema } from './test-database.js';
import { describeWithPostgres } from './describe-with-postgres.js';

const schemas: string[] = [];

/** Builds a schema as the first migration left it, holding `jobs`. */
async function schemaAtVersion1(jobs: ReturnType<typeof newJob>[]): Promise<string> {
  const schema = uniqueSchema('gq_migrate');
  schemas.push(schema);
  const s = quoteIdent(schema);
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${s}`);
    await client.query(
      `CREATE TABLE ${s}.migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const first = MIGRATIONS[0]!;
    await client.query(first.sql(s));
    await client.query(`INSERT INTO ${s}.migrations (version, name) VALUES ($1, $2)`, [
      first.version,
      first.name,
    ]);
    // Only the columns the first migration made (later ones added retry_on, no_retry_on, uniq,
    // debounce, expires_at, grp, traceparent and transitions).
    await client.query(
      insertJobsSql(s, '$1', [
        'retry_on',
        'no_retry_on',
        'uniq',
        'debounce',
        'expires_at',
        'grp',
        'traceparent',
        'transitions',
      ]),
      [insertJobsJson(jobs)],
    );
  } finally {
    await client.end();
  }
  return schema;
}

function migrationTests(): void {
  afterAll(() => dropSchemas(schemas));

  it('scopes the idempotency keys of a schema made before keys were per queue', async () => {
    const now = Date.now();
    const stored = newJob(
      createJob('t', 'a', { queue: 'qa', idempotencyKey: 'k' }, now),
      now,
      () => undefined,
    );
    const schema = await schemaAtVersion1([stored]);
    const store = await PostgresStore.open({ connectionString: TEST_POSTGRES_URL, schema });
    try {
      const again = (queue: string) =>
        store.submit(createJob('t', 'again', { queue, idempotencyKey: 'k' }));
      const same = await again('qa');
      expect(same.deduplicated).toBe(true);
      expect(same.job).toMatchObject({ id: stored.id, queue: 'qa', payload: 'a' });
      const other = await again('qb');
      expect(other.deduplicated).toBe(false);
      expect(other.job).toMatchObject({ queue: 'qb', payload: 'again' });
      expect((await again('qb')).job.id).toBe(other.job.id);
      expect((await store.counts()).total).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('reads a job stored before transitions were recorded without any, then records its next', async () => {
    const now = Date.now();
    const stored = newJob(createJob('t', 'old', {}, now), now, () => undefined);
    const schema = await schemaAtVersion1([stored]);
    const store = await PostgresStore.open({ connectionString: TEST_POSTGRES_URL, schema });
    try {
      const before = await store.get(stored.id);
      expect(before?.state).toBe('scheduled');
      expect(before).not.toHaveProperty('transitions');
      const [claimed] = await store.claim({ workerId: 'w', limit: 1, leaseMs: 60_000 });
      expect(claimed?.id).toBe(stored.id);
      expect(claimed?.transitions).toEqual([
        { state: 'running', at: claimed!.startedAt, attempt: 1 },
      ]);
      expect((await store.get(stored.id))?.transitions).toEqual(claimed?.transitions);
    } finally {
      await store.close();
    }
  });

  it('lists the jobs of a schema made when lists followed seq newest first by id', async () => {
    const now = Date.now();
    // Created 1, 2, 3 (ids ascending) but inserted newest first: their seqs run against their ids.
    const jobs = [1, 2, 3]
      .map((n) => newJob(createJob('t', n, {}, now), now, () => undefined))
      .reverse();
    const schema = await schemaAtVersion1(jobs);
    const store = await PostgresStore.open({ connectionString: TEST_POSTGRES_URL, schema });
    try {
      const first = await store.list({ limit: 2 });
      expect(first.jobs.map((job) => job.payload)).toEqual([3, 2]);
      const second = await store.list({ limit: 2, cursor: first.nextCursor! });
      expect(second.jobs.map((job) => job.payload)).toEqual([1]);
      expect(second.nextCursor).toBeUndefined();
    } finally {
      await store.close();
    }
  });
}

describeWithPostgres('PostgresStore migrations', migrationTests);
