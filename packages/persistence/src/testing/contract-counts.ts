import { describe, expect, it } from 'vitest';
import type { Job } from '@gopherqueue/core';
import {
  priorityCounts,
  stateCounts,
  useStore,
  type StoreContractHarness,
} from './contract-fixture.js';

/** counts, listQueues, nextRunAt and purgeFinished. */
export function countsContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  describe('counts', () => {
    it('starts at zero', async () => {
      expect(await f.store.counts()).toEqual({
        total: 0,
        byState: stateCounts(),
        byPriority: priorityCounts(),
      });
    });

    it('counts exactly by state and priority through submits and transitions', async () => {
      const a = await f.submit('t');
      const b = await f.submit('t');
      const c = await f.submit('t');
      await f.submit('t', { priority: 'high' });
      await f.submit('t', { priority: 'bulk', delay: 60_000 });
      const p = await f.submit('t', { priority: 'critical', dependsOn: [a.id] });
      expect(await f.store.counts()).toEqual({
        total: 6,
        byState: stateCounts({ pending: 1, scheduled: 4, delayed: 1 }),
        byPriority: priorityCounts({
          pending: [1, 0, 0, 0, 0],
          scheduled: [0, 1, 3, 0, 0],
          delayed: [0, 0, 0, 0, 1],
        }),
      });
      const high = await f.claimOne();
      expect(high.priority).toBe(1);
      expect(await f.store.counts()).toMatchObject({
        total: 6,
        byState: stateCounts({ pending: 1, scheduled: 3, running: 1, delayed: 1 }),
      });
      await f.store.complete(high.id, high.leaseToken!, null);
      const claimedA = await f.claimOne();
      expect(claimedA.id).toBe(a.id);
      await f.store.fail(a.id, claimedA.leaseToken!, {
        error: { message: 'no', errorClass: 'permanent' },
        outcome: { state: 'failed' },
      });
      expect((await f.get(p.id)).state).toBe('cancelled');
      const claimedB = await f.claimOne();
      expect(claimedB.id).toBe(b.id);
      await f.store.fail(b.id, claimedB.leaseToken!, {
        error: { message: 'again', errorClass: 'error' },
        outcome: { state: 'retrying', runAt: f.clock.now() + 1000 },
      });
      await f.store.cancel(c.id, 'operator');
      expect(await f.store.counts()).toEqual({
        total: 6,
        byState: stateCounts({ completed: 1, failed: 1, retrying: 1, cancelled: 2, delayed: 1 }),
        byPriority: priorityCounts({
          completed: [0, 1, 0, 0, 0],
          failed: [0, 0, 1, 0, 0],
          retrying: [0, 0, 1, 0, 0],
          cancelled: [1, 0, 1, 0, 0],
          delayed: [0, 0, 0, 0, 1],
        }),
      });
      await f.store.delete(c.id);
      await f.store.retry(a.id);
      expect(await f.store.counts()).toEqual({
        total: 5,
        byState: stateCounts({ completed: 1, scheduled: 1, retrying: 1, cancelled: 1, delayed: 1 }),
        byPriority: priorityCounts({
          completed: [0, 1, 0, 0, 0],
          scheduled: [0, 0, 1, 0, 0],
          retrying: [0, 0, 1, 0, 0],
          cancelled: [1, 0, 0, 0, 0],
          delayed: [0, 0, 0, 0, 1],
        }),
      });
    });
  });

  describe('listQueues', () => {
    it('reports every queue with its counts by state and whether it is paused', async () => {
      const t0 = f.clock.now();
      await f.submit('t', { queue: 'emails' });
      await f.submit('t', { queue: 'emails', delay: 5000 });
      await f.submit('t', { queue: 'reports' });
      await f.submit('t');
      const claimed = await f.claimOne({ queues: ['reports'] });
      await f.store.complete(claimed.id, claimed.leaseToken!, null);
      await f.store.pauseQueue('emails');
      const byName = async (): Promise<Record<string, unknown>> => {
        const queues = await f.store.listQueues();
        return Object.fromEntries(queues.map((q) => [q.name, q]));
      };
      expect(await byName()).toEqual({
        default: {
          name: 'default',
          paused: false,
          concurrency: null,
          rate: null,
          byState: stateCounts({ scheduled: 1 }),
          oldestWaitingAt: t0,
        },
        emails: {
          name: 'emails',
          paused: true,
          concurrency: null,
          rate: null,
          byState: stateCounts({ scheduled: 1, delayed: 1 }),
          oldestWaitingAt: t0,
        },
        reports: {
          name: 'reports',
          paused: false,
          concurrency: null,
          rate: null,
          byState: stateCounts({ completed: 1 }),
        },
      });
      await f.store.resumeQueue('emails');
      expect(await byName()).toMatchObject({ emails: { name: 'emails', paused: false } });
    });
  });

  describe('nextRunAt', () => {
    it('is the earliest runAt among runnable jobs, undefined when there are none', async () => {
      const t0 = f.clock.now();
      expect(await f.store.nextRunAt()).toBeUndefined();
      await f.submit('t', { delay: 5000 });
      expect(await f.store.nextRunAt()).toBe(t0 + 5000);
      await f.submit('t', { delay: 2000 });
      expect(await f.store.nextRunAt()).toBe(t0 + 2000);
      f.clock.advance(100);
      const now = await f.submit('t', { queue: 'other' });
      expect(await f.store.nextRunAt()).toBe(t0 + 100);
      await f.store.pauseQueue('other');
      expect(await f.store.nextRunAt()).toBe(t0 + 2000);
      await f.store.resumeQueue('other');
      const claimed = await f.claimOne();
      expect(claimed.id).toBe(now.id);
      expect(await f.store.nextRunAt()).toBe(t0 + 2000);
      await f.store.fail(claimed.id, claimed.leaseToken!, {
        error: { message: 'x', errorClass: 'error' },
        outcome: { state: 'retrying', runAt: t0 + 1500 },
      });
      expect(await f.store.nextRunAt()).toBe(t0 + 1500);
    });

    it('ignores pending, running and finished jobs', async () => {
      const a = await f.submit('t');
      await f.submit('t', { dependsOn: [a.id] });
      const claimed = await f.claimOne();
      expect(await f.store.nextRunAt()).toBeUndefined();
      await f.store.cancel(claimed.id);
      expect(await f.store.nextRunAt()).toBeUndefined();
    });
  });

  describe('purgeFinished', () => {
    /** Finishes one job in each finished state, 100 ms apart starting at t0 + 100. */
    async function finishAll(): Promise<Job[]> {
      const jobs: Job[] = [];
      for (const type of ['completed', 'failed', 'dead_letter', 'cancelled']) {
        jobs.push(await f.submit(type, { idempotencyKey: `key-${type}` }));
      }
      const claimed = await f.store.claim({
        workerId: 'w',
        limit: 3,
        leaseMs: 60_000,
        types: ['completed', 'failed', 'dead_letter'],
      });
      const [c, x, d] = claimed;
      f.clock.advance(100);
      await f.store.complete(c!.id, c!.leaseToken!, null);
      f.clock.advance(100);
      await f.store.fail(x!.id, x!.leaseToken!, {
        error: { message: 'no', errorClass: 'permanent' },
        outcome: { state: 'failed' },
      });
      f.clock.advance(100);
      await f.store.fail(d!.id, d!.leaseToken!, {
        error: { message: 'no', errorClass: 'error' },
        outcome: { state: 'dead_letter' },
      });
      f.clock.advance(100);
      await f.store.cancel(jobs[3]!.id);
      return jobs;
    }

    it('deletes only the given states that finished strictly before the cutoff', async () => {
      const t0 = f.clock.now();
      const live = await f.submit('live');
      const [completed, failed, dead, cancelled] = await finishAll();
      expect(
        await f.store.purgeFinished({ states: ['completed', 'failed'], finishedBefore: t0 + 200 }),
      ).toBe(1);
      expect(await f.store.get(completed!.id)).toBeUndefined();
      expect((await f.get(failed!.id)).state).toBe('failed');
      expect(
        await f.store.purgeFinished({ states: ['dead_letter'], finishedBefore: t0 + 1000 }),
      ).toBe(1);
      expect(await f.store.get(dead!.id)).toBeUndefined();
      expect(await f.store.counts()).toEqual({
        total: 3,
        byState: stateCounts({ scheduled: 1, failed: 1, cancelled: 1 }),
        byPriority: priorityCounts({
          scheduled: [0, 0, 1, 0, 0],
          failed: [0, 0, 1, 0, 0],
          cancelled: [0, 0, 1, 0, 0],
        }),
      });
      expect(
        await f.store.purgeFinished({
          states: ['completed', 'failed', 'dead_letter', 'cancelled'],
          finishedBefore: t0 + 401,
        }),
      ).toBe(2);
      expect(await f.store.getMany([failed!.id, cancelled!.id, live.id])).toEqual([
        undefined,
        undefined,
        live,
      ]);
      expect((await f.store.counts()).total).toBe(1);
    });

    it('respects the limit and frees the purged idempotency keys', async () => {
      const jobs = await finishAll();
      const all = ['completed', 'failed', 'dead_letter', 'cancelled'] as const;
      const cutoff = f.clock.now() + 1;
      expect(await f.store.purgeFinished({ states: all, finishedBefore: cutoff, limit: 3 })).toBe(
        3,
      );
      expect((await f.store.counts()).total).toBe(1);
      expect(await f.store.purgeFinished({ states: all, finishedBefore: cutoff, limit: 3 })).toBe(
        1,
      );
      expect(await f.store.purgeFinished({ states: all, finishedBefore: cutoff })).toBe(0);
      expect(await f.store.counts()).toEqual({
        total: 0,
        byState: stateCounts(),
        byPriority: priorityCounts(),
      });
      for (const job of jobs) {
        const again = await f.store.submit(f.spec('t', { idempotencyKey: job.idempotencyKey! }));
        expect(again.deduplicated).toBe(false);
        expect(again.job.id).not.toBe(job.id);
      }
    });
  });
}
