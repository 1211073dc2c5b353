import { describe, expect, it } from 'vitest';
import { LEASE_MS, useStore, WORKER, type StoreContractHarness } from './contract-fixture.js';

/** Idempotency keys: deduplication, races, release, and their scope (one queue). */
export function idempotencyContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  describe('within a queue', () => {
    it('returns the original job, flagged deduplicated, and stores nothing', async () => {
      const original = await f.submit('t', { idempotencyKey: 'once' }, 'first');
      f.clock.advance(10);
      const again = f.spec('t', { idempotencyKey: 'once' }, 'second');
      const result = await f.store.submit(again);
      expect(result).toEqual({ job: original, deduplicated: true });
      expect(await f.store.get(again.id)).toBeUndefined();
      expect((await f.store.counts()).total).toBe(1);
    });

    it('returns a finished original with its result', async () => {
      const original = await f.submit('t', { idempotencyKey: 'done' });
      const claimed = await f.claimOne();
      await f.store.complete(original.id, claimed.leaseToken!, { ok: true });
      const result = await f.store.submit(f.spec('t', { idempotencyKey: 'done' }));
      expect(result.deduplicated).toBe(true);
      expect(result.job).toMatchObject({
        id: original.id,
        state: 'completed',
        result: { ok: true },
      });
    });

    it('creates exactly one job from 100 concurrent submits of one key', async () => {
      const specs = Array.from({ length: 100 }, (_, i) =>
        f.spec('t', { idempotencyKey: 'race' }, i),
      );
      const results = await Promise.all(specs.map((s) => f.store.submit(s)));
      const created = results.filter((r) => !r.deduplicated);
      expect(created).toHaveLength(1);
      const id = created[0]!.job.id;
      expect(results.every((r) => r.job.id === id)).toBe(true);
      expect((await f.store.counts()).total).toBe(1);
      expect((await f.store.list()).jobs.map((j) => j.id)).toEqual([id]);
    });

    it('frees the key when the job is deleted', async () => {
      const original = await f.submit('t', { idempotencyKey: 'free-me' });
      await f.store.delete(original.id);
      const again = await f.store.submit(f.spec('t', { idempotencyKey: 'free-me' }));
      expect(again.deduplicated).toBe(false);
      expect(again.job.id).not.toBe(original.id);
      expect((await f.store.submit(f.spec('t', { idempotencyKey: 'free-me' }))).job.id).toBe(
        again.job.id,
      );
    });

    it('frees the key when the job is purged', async () => {
      const original = await f.submit('t', { idempotencyKey: 'purge-me' });
      const [claimed] = await f.store.claim({ workerId: WORKER, limit: 1, leaseMs: LEASE_MS });
      await f.store.complete(original.id, claimed!.leaseToken!, null);
      f.clock.advance(1000);
      const purged = await f.store.purgeFinished({
        states: ['completed'],
        finishedBefore: f.clock.now(),
      });
      expect(purged).toBe(1);
      const again = await f.store.submit(f.spec('t', { idempotencyKey: 'purge-me' }));
      expect(again.deduplicated).toBe(false);
      expect(again.job.id).not.toBe(original.id);
    });
  });

  describe('across queues', () => {
    it("lets the same key create one job in each queue, and never answers with another queue's job", async () => {
      const inB = await f.submit('charge', { queue: 'qb', idempotencyKey: 'order-1' }, 'secret-b');
      const a = await f.store.submit(
        f.spec('charge', { queue: 'qa', idempotencyKey: 'order-1' }, 'mine'),
      );
      expect(a.deduplicated).toBe(false);
      expect(a.job).toMatchObject({ queue: 'qa', payload: 'mine', idempotencyKey: 'order-1' });
      expect(a.job.id).not.toBe(inB.id);
      expect(
        await f.store.submit(f.spec('charge', { queue: 'qa', idempotencyKey: 'order-1' }, 'x')),
      ).toEqual({ job: a.job, deduplicated: true });
      expect(
        await f.store.submit(f.spec('charge', { queue: 'qb', idempotencyKey: 'order-1' }, 'x')),
      ).toEqual({ job: inB, deduplicated: true });
      expect((await f.store.counts()).total).toBe(2);
    });

    it('scopes keys per queue within a batch and against stored jobs', async () => {
      const stored = await f.submit('t', { queue: 'qa', idempotencyKey: 'k' }, 'stored');
      const specs = [
        f.spec('t', { queue: 'qb', idempotencyKey: 'k' }, 'b1'),
        f.spec('t', { queue: 'qa', idempotencyKey: 'k' }, 'a'),
        f.spec('t', { queue: 'qb', idempotencyKey: 'k' }, 'b2'),
        f.spec('t', { queue: 'qc', idempotencyKey: 'k' }, 'c'),
      ];
      const [b1, a, b2, c] = await f.store.submitBatch(specs);
      expect(b1).toMatchObject({ deduplicated: false, job: { id: specs[0]!.id, queue: 'qb' } });
      expect(a).toEqual({ job: stored, deduplicated: true });
      expect(b2).toEqual({ job: b1!.job, deduplicated: true });
      expect(c).toMatchObject({ deduplicated: false, job: { id: specs[3]!.id, queue: 'qc' } });
      expect((await f.store.counts()).total).toBe(3);
    });

    it('creates exactly one job per queue from concurrent submits of one key to two queues', async () => {
      const specs = Array.from({ length: 60 }, (_, i) =>
        f.spec('t', { queue: i % 2 === 0 ? 'qa' : 'qb', idempotencyKey: 'race' }, i),
      );
      const results = await Promise.all(specs.map((s) => f.store.submit(s)));
      const created = results.filter((r) => !r.deduplicated);
      expect(created.map((r) => r.job.queue).sort()).toEqual(['qa', 'qb']);
      results.forEach((r, i) => {
        expect(r.job.queue).toBe(specs[i]!.queue);
        expect(r.job.id).toBe(created.find((c) => c.job.queue === specs[i]!.queue)!.job.id);
      });
      expect((await f.store.counts()).total).toBe(2);
    });

    it('frees a key only in the queue of the deleted job', async () => {
      const a = await f.submit('t', { queue: 'qa', idempotencyKey: 'shared' });
      const b = await f.submit('t', { queue: 'qb', idempotencyKey: 'shared' });
      await f.store.delete(a.id);
      const again = await f.store.submit(f.spec('t', { queue: 'qa', idempotencyKey: 'shared' }));
      expect(again.deduplicated).toBe(false);
      expect(again.job.id).not.toBe(a.id);
      expect(await f.store.submit(f.spec('t', { queue: 'qb', idempotencyKey: 'shared' }))).toEqual({
        job: b,
        deduplicated: true,
      });
    });
  });
}
