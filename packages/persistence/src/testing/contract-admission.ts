import type { Job, JobSpec } from '@gopherqueue/core';
import { describe, expect, it } from 'vitest';
import { LEASE_MS, useStore, WORKER, type StoreContractHarness } from './contract-fixture.js';

/**
 * A job's life before it runs: unique keys (until started, until finished, for a duration),
 * debounce (payload replaced, run put off, bounded by maxWait) and expiry before start.
 */
export function admissionContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  describe('unique keys', () => {
    it("until 'started': a duplicate while waiting returns the first job; once started, a new one", async () => {
      const first = await f.submit('t', { unique: { key: 'u', until: 'started' } }, 1);
      const dup = f.spec('t', { unique: { key: 'u', until: 'started' } }, 2);
      const again = await f.store.submit(dup);
      expect(again).toEqual({ job: first, deduplicated: true, matched: 'unique' });
      expect(await f.store.get(dup.id)).toBeUndefined();
      await f.claimOne();
      const after = await f.store.submit(
        f.spec('t', { unique: { key: 'u', until: 'started' } }, 3),
      );
      expect(after.deduplicated).toBe(false);
      expect(after.job).toMatchObject({ state: 'scheduled', payload: 3 });
      expect(after.job.id).not.toBe(first.id);
      // The new job holds the key now.
      const third = await f.store.submit(f.spec('t', { unique: { key: 'u', until: 'started' } }));
      expect(third.job.id).toBe(after.job.id);
      expect(third.deduplicated).toBe(true);
    });

    it("until 'finished': held while running, released once the job is finished", async () => {
      const first = await f.submit('t', { unique: { key: 'f' } });
      expect(first.unique).toEqual({ key: 'f', until: 'finished' });
      const claimed = await f.claimOne();
      const whileRunning = await f.store.submit(f.spec('t', { unique: { key: 'f' } }));
      expect(whileRunning.deduplicated).toBe(true);
      expect(whileRunning.job.id).toBe(first.id);
      expect(whileRunning.job.state).toBe('running');
      await f.store.complete(first.id, claimed.leaseToken!, 'ok');
      const after = await f.store.submit(f.spec('t', { unique: { key: 'f' } }));
      expect(after.deduplicated).toBe(false);
      expect(after.job.id).not.toBe(first.id);
      expect((await f.store.counts()).total).toBe(2);
    });

    it("until 'finished': a cancelled holder frees the key", async () => {
      const first = await f.submit('t', { unique: { key: 'c' } });
      await f.store.cancel(first.id);
      const after = await f.store.submit(f.spec('t', { unique: { key: 'c' } }));
      expect(after.deduplicated).toBe(false);
    });

    it('for a duration: held from the first submit until it elapsed, whatever the state', async () => {
      const first = await f.submit('t', { unique: { key: 'd', until: '10s' } });
      expect(first.unique).toEqual({ key: 'd', until: 10_000 });
      const claimed = await f.claimOne();
      await f.store.complete(first.id, claimed.leaseToken!, null);
      f.clock.advance(9_999);
      const within = await f.store.submit(f.spec('t', { unique: { key: 'd', until: '10s' } }));
      expect(within).toMatchObject({
        deduplicated: true,
        job: { id: first.id, state: 'completed' },
      });
      f.clock.advance(1);
      const after = await f.store.submit(f.spec('t', { unique: { key: 'd', until: '10s' } }));
      expect(after.deduplicated).toBe(false);
      expect(after.job.createdAt).toBe(f.clock.now());
    });

    it('is scoped per queue and kept apart from idempotency and debounce keys', async () => {
      const a = await f.submit('t', { queue: 'a', unique: { key: 'k' } });
      const b = await f.store.submit(f.spec('t', { queue: 'b', unique: { key: 'k' } }));
      expect(b.deduplicated).toBe(false);
      const idem = await f.store.submit(f.spec('t', { queue: 'a', idempotencyKey: 'k' }));
      expect(idem.deduplicated).toBe(false);
      const deb = await f.store.submit(
        f.spec('t', { queue: 'a', debounce: { key: 'k', wait: 1000 } }),
      );
      expect(deb.deduplicated).toBe(false);
      expect((await f.store.submit(f.spec('t', { queue: 'a', unique: { key: 'k' } }))).job.id).toBe(
        a.id,
      );
    });

    it('creates exactly one job from 50 concurrent submits of one key', async () => {
      const specs = Array.from({ length: 50 }, (_, i) =>
        f.spec('t', { unique: { key: 'race', until: 'started' } }, i),
      );
      const results = await Promise.all(specs.map((spec) => f.store.submit(spec)));
      const created = results.filter((r) => !r.deduplicated);
      expect(created).toHaveLength(1);
      expect(new Set(results.map((r) => r.job.id))).toEqual(new Set([created[0]!.job.id]));
      expect((await f.store.counts()).total).toBe(1);
    });

    it('dedupes between the jobs of one batch', async () => {
      const results = await f.store.submitBatch([
        f.spec('t', { unique: { key: 'batch' } }, 1),
        f.spec('t', { unique: { key: 'batch' } }, 2),
      ]);
      expect(results.map((r) => r.deduplicated)).toEqual([false, true]);
      expect(results[1]!.job.id).toBe(results[0]!.job.id);
      expect((await f.store.counts()).total).toBe(1);
    });

    it('a restored job holds its unique and debounce keys', async () => {
      const holder = await f.submit('t', { unique: { key: 'r' } });
      const waiting = await f.submit('t', { queue: 'd', debounce: { key: 'r', wait: '1m' } });
      const exported = [await f.get(holder.id), await f.get(waiting.id)];
      const other = await harness.create(f.clock);
      try {
        expect(await other.restore(exported)).toBe(2);
        const spec = f.spec('t', { unique: { key: 'r' } });
        expect((await other.submit(spec)).job.id).toBe(holder.id);
        const again = f.spec('t', { queue: 'd', debounce: { key: 'r', wait: '1m' } }, 'new');
        expect((await other.submit(again)).job).toMatchObject({ id: waiting.id, payload: 'new' });
        expect((await other.counts()).total).toBe(2);
      } finally {
        await harness.destroy(other);
      }
    });

    it('a restored job leaves a unique key a stored job took with that job', async () => {
      const stored = await f.submit('t', { unique: { key: 'mine' } });
      const foreign = { ...stored, id: f.spec('t').id, payload: 'imported' };
      expect(await f.store.restore([foreign])).toBe(1);
      const again = await f.store.submit(f.spec('t', { unique: { key: 'mine' } }));
      expect(again.job.id).toBe(stored.id);
    });

    it('a deleted holder frees the key', async () => {
      const first = await f.submit('t', { unique: { key: 'del' } });
      await f.store.delete(first.id);
      const after = await f.store.submit(f.spec('t', { unique: { key: 'del' } }));
      expect(after.deduplicated).toBe(false);
    });
  });

  describe('debounce', () => {
    const debounce = { key: 'deb', wait: '5s', maxWait: '1m' };

    it('waits `wait` on the store clock, then later submits replace the payload and put it off', async () => {
      const t0 = f.clock.now();
      const first = await f.submit('t', { debounce }, 'one');
      expect(first).toMatchObject({ state: 'delayed', runAt: t0 + 5000 });
      f.clock.advance(2000);
      const second = f.spec('t', { debounce }, 'two');
      const result = await f.store.submit(second);
      expect(result.deduplicated).toBe(true);
      expect(result.matched).toBe('debounce');
      expect(result.job).toMatchObject({ id: first.id, payload: 'two', runAt: t0 + 7000 });
      expect(await f.store.get(second.id)).toBeUndefined();
      expect(await f.get(first.id)).toMatchObject({ payload: 'two', runAt: t0 + 7000 });
      f.clock.advance(4999);
      expect(await f.store.claim({ workerId: WORKER, limit: 5, leaseMs: LEASE_MS })).toEqual([]);
      f.clock.advance(1);
      const claimed = await f.claimOne();
      expect(claimed).toMatchObject({ id: first.id, payload: 'two' });
      expect((await f.store.counts()).total).toBe(1);
    });

    it('maxWait bounds a stream that never goes quiet', async () => {
      const t0 = f.clock.now();
      const first = await f.submit('t', { debounce }, 0);
      let last = first;
      for (let i = 1; i <= 30; i++) {
        f.clock.advance(2000);
        if (i >= 30) break;
        last = (await f.store.submit(f.spec('t', { debounce }, i))).job;
        expect(last.id).toBe(first.id);
        expect(await f.store.claim({ workerId: WORKER, limit: 5, leaseMs: LEASE_MS })).toEqual([]);
      }
      // The 29th submit came at t0 + 58 s: it could only put the job off to t0 + 60 s.
      expect(last).toMatchObject({ payload: 29, runAt: t0 + 60_000 });
      expect(f.clock.now()).toBe(t0 + 60_000);
      const claimed = await f.claimOne();
      expect(claimed).toMatchObject({ id: first.id, payload: 29 });
    });

    it('a submit after the job started creates a new job', async () => {
      const first = await f.submit('t', { debounce: { key: 'k', wait: 1000 } }, 'a');
      f.clock.advance(1000);
      await f.claimOne();
      const next = await f.store.submit(f.spec('t', { debounce: { key: 'k', wait: 1000 } }, 'b'));
      expect(next.deduplicated).toBe(false);
      expect(next.job.id).not.toBe(first.id);
      expect(next.job).toMatchObject({ payload: 'b', state: 'delayed' });
    });

    it('100 concurrent submits leave one job with one of their payloads', async () => {
      const specs = Array.from({ length: 100 }, (_, i) => f.spec('t', { debounce }, i));
      const results = await Promise.all(specs.map((spec) => f.store.submit(spec)));
      expect(results.filter((r) => !r.deduplicated)).toHaveLength(1);
      expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
      expect((await f.store.counts()).total).toBe(1);
    });

    it('in one batch, the last payload wins', async () => {
      const results = await f.store.submitBatch([
        f.spec('t', { debounce }, 'x'),
        f.spec('t', { debounce }, 'y'),
        f.spec('t', { debounce }, 'z'),
      ]);
      expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
      expect(await f.get(results[0]!.job.id)).toMatchObject({ payload: 'z' });
      expect((await f.store.counts()).total).toBe(1);
    });
  });

  describe('bounds', () => {
    it.each([
      ['unique.key', { unique: { key: 'x'.repeat(513), until: 'finished' } }],
      ['unique.until', { unique: { key: 'k', until: 0 } }],
      ['debounce.waitMs', { debounce: { key: 'k', waitMs: Number.NaN, maxWaitMs: 1000 } }],
      ['expiresAt', { expiresAt: 1e300 }],
    ])(
      'refuses a hand-made spec with a bad %s, naming it, and stores nothing',
      async (field, bad) => {
        const spec = { ...f.spec('t'), ...bad } as JobSpec;
        await expect(f.store.submit(spec)).rejects.toMatchObject({
          code: 'GQ_INVALID_ARGUMENT',
          details: { field },
        });
        const job = { ...(await f.submit('t')), ...bad, id: f.spec('t').id } as Job;
        await expect(f.store.restore([job])).rejects.toMatchObject({ details: { field } });
        expect((await f.store.counts()).total).toBe(1);
      },
    );
  });

  describe('expiry before start', () => {
    it('expire cancels a job not started by its expiresAt, with reason expired', async () => {
      const job = await f.submit('t', { ttl: '1s' });
      expect(job.expiresAt).toBe(f.clock.now() + 1000);
      expect(await f.store.expire(10)).toEqual([]);
      f.clock.advance(1000);
      const expired = await f.store.expire(10);
      expect(expired.map((j) => [j.id, j.state, j.cancelReason])).toEqual([
        [job.id, 'cancelled', 'expired'],
      ]);
      expect(await f.get(job.id)).toMatchObject({ state: 'cancelled', cancelReason: 'expired' });
      expect(await f.store.expire(10)).toEqual([]);
    });

    it('expires jobs in a paused queue and jobs waiting on dependencies, and their dependents', async () => {
      await f.store.pauseQueue('p');
      const paused = await f.submit('t', { queue: 'p', ttl: '1s' });
      const parent = await f.submit('t', { queue: 'p' });
      const waiting = await f.submit('t', { dependsOn: [parent.id], ttl: '2s' });
      const dependent = await f.submit('t', { dependsOn: [paused.id] });
      f.clock.advance(2000);
      const expired = await f.store.expire(10);
      expect(expired.map((j) => j.id).sort()).toEqual([paused.id, waiting.id].sort());
      expect(await f.get(dependent.id)).toMatchObject({
        state: 'cancelled',
        cancelReason: 'dependency_failed',
      });
      expect(await f.get(parent.id)).toMatchObject({ state: 'scheduled' });
    });

    it('a claim never starts an expired job', async () => {
      const expiring = await f.submit('t', { ttl: '1s', priority: 'critical' });
      const other = await f.submit('t', { priority: 'low' });
      const dependent = await f.submit('d', { dependsOn: [expiring.id] });
      f.clock.advance(1000);
      const claimed = await f.store.claim({ workerId: WORKER, limit: 5, leaseMs: LEASE_MS });
      expect(claimed.map((j) => j.id)).toEqual([other.id]);
      await f.store.expire(10);
      expect(await f.get(expiring.id)).toMatchObject({
        state: 'cancelled',
        cancelReason: 'expired',
      });
      // The embedded store cancels the dependents of a job its claim expired right after it.
      for (let i = 0; i < 100 && (await f.get(dependent.id)).state === 'pending'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await f.get(dependent.id)).toMatchObject({
        state: 'cancelled',
        cancelReason: 'dependency_failed',
      });
    });

    it('a job started before its expiry is not expired', async () => {
      const job = await f.submit('t', { ttl: '1s' });
      const claimed = await f.claimOne();
      f.clock.advance(5000);
      expect(await f.store.expire(10)).toEqual([]);
      await f.store.release(job.id, claimed.leaseToken!);
      expect(await f.store.expire(10)).toEqual([]);
      expect((await f.claimOne()).id).toBe(job.id);
    });

    it('a retried expired job runs: its expiry no longer applies', async () => {
      const job = await f.submit('t', { ttl: '1s' });
      f.clock.advance(1000);
      await f.store.expire(10);
      const retried = await f.store.retry(job.id);
      expect(retried).toMatchObject({ state: 'scheduled' });
      expect(retried.expiresAt).toBeUndefined();
      expect(await f.store.expire(10)).toEqual([]);
      expect((await f.claimOne()).id).toBe(job.id);
    });

    it('takes at most `limit`, earliest expiry first', async () => {
      const late = await f.submit('t', { ttl: '3s' });
      const early = await f.submit('t', { ttl: '1s' });
      const mid = await f.submit('t', { ttl: '2s' });
      f.clock.advance(3000);
      expect((await f.store.expire(2)).map((j) => j.id)).toEqual([early.id, mid.id]);
      expect((await f.store.expire(2)).map((j) => j.id)).toEqual([late.id]);
    });
  });
}
