import { afterAll, describe, expect, it } from 'vitest';
import { createJob, type Job } from '@gopherqueue/core';
import { PostgresStore } from './postgres-store.js';
import {
  dropSchemas,
  probeTestDatabase,
  REQUIRE_POSTGRES,
  skipNotice,
  TEST_POSTGRES_URL,
  uniqueSchema,
} from './test-database.js';

const db = await probeTestDatabase();
const schemas: string[] = [];

async function nodes(count: number): Promise<PostgresStore[]> {
  const schema = uniqueSchema('gq_limited_claim');
  schemas.push(schema);
  const stores: PostgresStore[] = [];
  for (let i = 0; i < count; i++) {
    stores.push(
      await PostgresStore.open({ connectionString: TEST_POSTGRES_URL, schema, poolSize: 4 }),
    );
  }
  return stores;
}

function perKey(jobs: readonly Job[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const job of jobs) counts.set(job.group ?? '', (counts.get(job.group ?? '') ?? 0) + 1);
  return counts;
}

function limitedClaimTests(): void {
  afterAll(() => dropSchemas(schemas));

  it('names the queues of a claim as quoted literals, quotes and backslashes included', async () => {
    const [store] = (await nodes(1)) as [PostgresStore];
    try {
      // Jobs' queue names have no quotes, but a claim may name any queue.
      const odd = `it's a \\ "queue"`;
      await store.setQueue(odd, { groupConcurrency: 1 });
      await store.setQueue('g.1', { groupConcurrency: 2 });
      await store.submitBatch(
        ['a', 'b', 'c'].flatMap((key) =>
          [1, 2, 3].map(() => createJob('t', null, { queue: 'g.1', group: key })),
        ),
      );
      const claim = (queues: string[]): Promise<Job[]> =>
        store.claim({ workerId: 'w', limit: 10, leaseMs: 60_000, queues });
      expect(await claim([odd])).toEqual([]);
      const claimed = await claim([odd, 'g.1']);
      expect(claimed).toHaveLength(6);
      expect(perKey(claimed)).toEqual(
        new Map([
          ['a', 2],
          ['b', 2],
          ['c', 2],
        ]),
      );
      expect((await store.getQueue(odd)).groupConcurrency).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('never runs more than group_concurrency jobs of a key across nodes claiming at once', async () => {
    const stores = await nodes(3);
    try {
      const [first] = stores as [PostgresStore];
      await first.setQueue('g', { groupConcurrency: 2 });
      await first.submitBatch(
        Array.from({ length: 100 }, (_, i) =>
          createJob('t', i, { queue: 'g', group: `k${i % 20}` }),
        ),
      );
      const held: Job[] = [];
      for (let round = 0; round < 4; round++) {
        const claims = await Promise.all(
          stores.flatMap((store, node) =>
            [0, 1].map((lane) =>
              store.claim({
                workerId: `n${node}-${lane}`,
                limit: 7,
                leaseMs: 60_000,
                queues: ['g'],
              }),
            ),
          ),
        );
        held.push(...claims.flat());
      }
      // 20 keys at 2 running each: 40 jobs, never a third of a key, and each once.
      expect(held).toHaveLength(40);
      expect(new Set(held.map((job) => job.id)).size).toBe(40);
      expect([...perKey(held).values()].every((n) => n === 2)).toBe(true);
      // A key frees a slot when one of its jobs completes: exactly one more of it starts.
      const done = held.find((job) => job.group === 'k3') as Job;
      await first.complete(done.id, done.leaseToken as string, null);
      const next = await Promise.all(
        stores.map((store, node) =>
          store.claim({ workerId: `m${node}`, limit: 10, leaseMs: 60_000, queues: ['g'] }),
        ),
      );
      expect(next.flat().map((job) => job.group)).toEqual(['k3']);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
}

if (db.available) {
  describe('PostgresStore claims of limited queues', limitedClaimTests);
} else if (REQUIRE_POSTGRES) {
  describe('PostgresStore claims of limited queues', () => {
    it('needs a reachable PostgreSQL when CI=true', () => {
      throw new Error(skipNotice(db, 'the PostgresStore tests'));
    });
  });
} else {
  console.warn(skipNotice(db, 'the PostgresStore tests'));
  describe.skip('PostgresStore claims of limited queues (PostgreSQL unreachable)', () => {
    it('runs against PostgreSQL', () => undefined);
  });
}
