import { afterAll, expect, it } from 'vitest';
import { createJob } from '@gopherqueue/core';
import { describeWithPostgres } from './describe-with-postgres.js';
import { dropSchemas, uniqueSchema, withTestStore } from './test-database.js';

describeWithPostgres('PostgresStore rows changed by hand', () => {
  const schema = uniqueSchema('gq_odd_rows');
  afterAll(() => dropSchemas([schema]));

  it('reads lists and tags that are not what a job holds as empty, and counts an odd priority in its state only', async () => {
    await withTestStore(schema, async ({ store, s, client }) => {
      const [a, b, c] = (
        await store.submitBatch([createJob('t', 1), createJob('t', 2), createJob('t', 3)])
      ).map((result) => result.job);
      await client.query(
        `UPDATE ${s}.jobs SET errors = '"x"', tags = 'null', depends_on = '5', waiting_on = '{}'
         WHERE id = $1`,
        [a!.id],
      );
      await client.query(
        `UPDATE ${s}.jobs SET errors = '[null, 7, {"message": "m", "attempt": 1, "at": 0}]'
         WHERE id = $1`,
        [b!.id],
      );
      await client.query(`UPDATE ${s}.jobs SET priority = 9 WHERE id = $1`, [c!.id]);
      const counts = await store.counts();
      expect([counts.total, counts.byState.scheduled]).toEqual([3, 3]);
      expect(counts.byPriority.scheduled).toEqual([0, 0, 2, 0, 0]);
      const listed = (await store.list({})).jobs;
      expect(listed.map((job) => job.id)).toEqual([c!.id, b!.id, a!.id]);
      const odd = await store.get(a!.id);
      expect([odd?.errors, odd?.tags, odd?.dependsOn, odd?.waitingOn]).toEqual([[], {}, [], []]);
      expect((await store.get(b!.id))?.errors).toEqual([{ message: 'm', attempt: 1, at: 0 }]);
      expect((await store.list({ tag: { key: 'k', value: 'v' } })).jobs).toEqual([]);
      const claimed = await store.claim({ workerId: 'w', limit: 3, leaseMs: 60_000 });
      expect(claimed.map((job) => job.id)).toEqual([a!.id, b!.id, c!.id]);
      expect(claimed[0]?.tags).toEqual({});
    });
  });

  it('claims from a rate-limited queue whose stored window is not a list of starts', async () => {
    await withTestStore(schema, async ({ store, s, client }) => {
      await store.setQueue('r', { rate: { limit: 5, periodMs: 3_600_000 } });
      await store.submitBatch([1, 2, 3].map((i) => createJob('t', i, { queue: 'r' })));
      await client.query(`UPDATE ${s}.queues SET rate_log = '"x"' WHERE name = 'r'`);
      expect((await store.getQueue('r')).rateRemaining).toBe(5);
      const first = await store.claim({ workerId: 'w', limit: 2, leaseMs: 60_000, queues: ['r'] });
      expect(first.map((job) => job.payload)).toEqual([1, 2]);
      // Entries that are not [time, count] pairs are passed over; the pair within the hour counts.
      await client.query(`UPDATE ${s}.queues SET rate_log = $1 WHERE name = 'r'`, [
        JSON.stringify([null, [Date.now() - 1000, 4], [7], 'x']),
      ]);
      expect((await store.getQueue('r')).rateRemaining).toBe(1);
      const next = await store.claim({ workerId: 'w', limit: 5, leaseMs: 60_000, queues: ['r'] });
      expect(next.map((job) => job.payload)).toEqual([3]);
      expect((await store.getQueue('r')).rateRemaining).toBe(0);
    });
  });
});
