import { afterAll, expect, it } from 'vitest';
import { createJob } from '@gopherqueue/core';
import { PostgresStore } from './postgres-store.js';
import { dropSchemas, TEST_POSTGRES_URL, uniqueSchema } from './test-database.js';
import { describeWithPostgres } from './describe-with-postgres.js';

const schemas: string[] = [];

function fresh(): string {
  const schema = uniqueSchema('gq_admission');
  schemas.push(schema);
  return schema;
}

/** Two nodes on one schema, each with its own pool. */
async function twoNodes(): Promise<[PostgresStore, PostgresStore]> {
  const schema = fresh();
  const a = await PostgresStore.open({ connectionString: TEST_POSTGRES_URL, schema, poolSize: 8 });
  const b = await PostgresStore.open({ connectionString: TEST_POSTGRES_URL, schema, poolSize: 8 });
  return [a, b];
}

function admissionTests(): void {
  afterAll(() => dropSchemas(schemas));

  it('concurrent unique submits from two nodes create exactly one job', async () => {
    const [a, b] = await twoNodes();
    try {
      for (let round = 0; round < 5; round++) {
        const key = `report-${round}`;
        const specs = Array.from({ length: 40 }, (_, i) =>
          createJob('report', i, { unique: { key, until: 'started' } }),
        );
        const results = await Promise.all(
          specs.map((spec, i) => (i % 2 === 0 ? a : b).submit(spec)),
        );
        const created = results.filter((r) => !r.deduplicated);
        expect(created).toHaveLength(1);
        expect(new Set(results.map((r) => r.job.id))).toEqual(new Set([created[0]!.job.id]));
        expect(results.filter((r) => r.deduplicated).every((r) => r.matched === 'unique')).toBe(
          true,
        );
      }
      expect((await a.counts()).total).toBe(5);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('racing transactions of one key (submitBatch, one transaction each) create exactly one job', async () => {
    const [a, b] = await twoNodes();
    try {
      const specs = Array.from({ length: 12 }, (_, i) =>
        createJob('report', i, { unique: { key: 'tx-race' } }),
      );
      const results = await Promise.all(
        specs.map((spec, i) => (i % 2 === 0 ? a : b).submitBatch([spec])),
      );
      const flat = results.flat();
      expect(flat.filter((r) => !r.deduplicated)).toHaveLength(1);
      expect(new Set(flat.map((r) => r.job.id)).size).toBe(1);
      expect((await a.counts()).total).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('concurrent debounce submits from two nodes leave one waiting job', async () => {
    const [a, b] = await twoNodes();
    try {
      const specs = Array.from({ length: 40 }, (_, i) =>
        createJob('digest', i, { debounce: { key: 'user-1', wait: '1h' } }),
      );
      const results = await Promise.all(specs.map((spec, i) => (i % 2 === 0 ? a : b).submit(spec)));
      expect(results.filter((r) => !r.deduplicated)).toHaveLength(1);
      expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
      const job = await a.get(results[0]!.job.id);
      expect(job?.state).toBe('delayed');
      expect((await b.counts()).total).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a unique submit racing a claim on another node sees the started job', async () => {
    const [a, b] = await twoNodes();
    try {
      const first = await a.submit(createJob('t', 1, { unique: { key: 'k', until: 'started' } }));
      const [claimed] = await b.claim({ workerId: 'w', limit: 1, leaseMs: 30_000 });
      expect(claimed?.id).toBe(first.job.id);
      const again = await a.submit(createJob('t', 2, { unique: { key: 'k', until: 'started' } }));
      expect(again.deduplicated).toBe(false);
      // Purging the first job drops its key row; the second still holds the key.
      await b.complete(first.job.id, claimed!.leaseToken!, null);
      await a.purgeFinished({ states: ['completed'], finishedBefore: Date.now() + 1000 });
      const third = await b.submit(createJob('t', 3, { unique: { key: 'k', until: 'started' } }));
      expect(third.job.id).toBe(again.job.id);
    } finally {
      await a.close();
      await b.close();
    }
  });
}

describeWithPostgres('PostgresStore unique and debounce keys across nodes', admissionTests);
