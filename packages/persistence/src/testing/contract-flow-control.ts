import { describe, expect, it } from 'vitest';
import type { ClaimOptions, Job, QueuePatch } from '@gopherqueue/core';
import {
  expectCode,
  ids,
  LEASE_MS,
  stateCounts,
  useStore,
  WORKER,
  type StoreContractHarness,
} from './contract-fixture.js';

/** Queue settings (`getQueue`/`setQueue`) and the limits a claim obeys. */
export function flowControlContract(harness: StoreContractHarness): void {
  const f = useStore(harness);
  const claim = (options: Partial<ClaimOptions> = {}): Promise<Job[]> =>
    f.store.claim({ workerId: WORKER, limit: 100, leaseMs: LEASE_MS, ...options });
  const submitMany = async (count: number, queue: string, type = 't'): Promise<Job[]> => {
    const results = await f.store.submitBatch(
      Array.from({ length: count }, () => f.spec(type, { queue })),
    );
    return results.map((r) => r.job);
  };

  describe('queue settings', () => {
    it('reads a queue never seen as unpaused, unlimited and empty', async () => {
      expect(await f.store.getQueue('nowhere')).toEqual({
        name: 'nowhere',
        paused: false,
        concurrency: null,
        rate: null,
        rateRemaining: null,
        byState: stateCounts(),
      });
    });

    it('sets, keeps and clears limits field by field', async () => {
      const set = await f.store.setQueue('emails', {
        concurrency: 5,
        rate: { limit: 100, periodMs: 1000 },
      });
      expect(set).toMatchObject({
        name: 'emails',
        concurrency: 5,
        rate: { limit: 100, periodMs: 1000 },
      });
      expect(set.rateRemaining).toBe(100);
      await f.store.setQueue('emails', { concurrency: 7 });
      expect(await f.store.getQueue('emails')).toMatchObject({
        concurrency: 7,
        rate: { limit: 100, periodMs: 1000 },
        paused: false,
      });
      await f.store.pauseQueue('emails');
      expect(await f.store.getQueue('emails')).toMatchObject({ concurrency: 7, paused: true });
      await f.store.resumeQueue('emails');
      await f.store.setQueue('emails', { rate: null });
      expect(await f.store.getQueue('emails')).toMatchObject({
        concurrency: 7,
        rate: null,
        rateRemaining: null,
        paused: false,
      });
      const listed = await f.store.listQueues();
      expect(listed).toEqual([
        { name: 'emails', paused: false, concurrency: 7, rate: null, byState: stateCounts() },
      ]);
      await f.store.setQueue('emails', { concurrency: null });
      const limited = (await f.store.listQueues()).filter(
        (q) => q.concurrency !== null || q.rate !== null,
      );
      expect(limited).toEqual([]);
    });

    it('refuses bad settings naming the field, changing nothing', async () => {
      await f.store.setQueue('q', { concurrency: 2 });
      const bad: [QueuePatch, string][] = [
        [{ concurrency: 0 }, 'concurrency'],
        [{ concurrency: -1 }, 'concurrency'],
        [{ concurrency: 1.5 }, 'concurrency'],
        [{ concurrency: 100_001 }, 'concurrency'],
        [{ rate: { limit: 0, periodMs: 1000 } }, 'rate'],
        [{ rate: { limit: 10, periodMs: 0 } }, 'rate'],
        [{ rate: { limit: 10, periodMs: 3_600_001 } }, 'rate'],
        [{ concurrency: 3, rate: { limit: 1_000_001, periodMs: 1000 } }, 'rate'],
      ];
      for (const [patch, field] of bad) {
        await expectCode(f.store.setQueue('q', patch), 'GQ_INVALID_ARGUMENT');
        await expect(f.store.setQueue('q', patch)).rejects.toMatchObject({ details: { field } });
      }
      expect(await f.store.getQueue('q')).toMatchObject({ concurrency: 2, rate: null });
    });

    it('reports when its longest-waiting due job became due, paused or not', async () => {
      const t0 = f.clock.now();
      await f.submit('t', { queue: 'aged', delay: 5000 });
      expect((await f.store.getQueue('aged')).oldestWaitingAt).toBeUndefined();
      f.clock.advance(100);
      const first = await f.submit('t', { queue: 'aged', priority: 'low' });
      await f.submit('t', { queue: 'aged', priority: 'high' });
      f.clock.advance(400);
      expect((await f.store.getQueue('aged')).oldestWaitingAt).toBe(t0 + 100);
      await f.store.pauseQueue('aged');
      const [listed] = await f.store.listQueues();
      expect(listed).toMatchObject({ name: 'aged', oldestWaitingAt: t0 + 100 });
      await f.store.resumeQueue('aged');
      await claim({ limit: 2 });
      expect(first.runAt).toBe(t0 + 100);
      expect((await f.store.getQueue('aged')).oldestWaitingAt).toBeUndefined();
      f.clock.advance(5000);
      expect((await f.store.getQueue('aged')).oldestWaitingAt).toBe(t0 + 5000);
    });

    it('announces a change of settings on the change feed', async () => {
      const seen: string[] = [];
      const unsubscribe = f.store.subscribe((change) => {
        if (change.kind === 'queue') seen.push(change.id);
      });
      await f.store.setQueue('feed', { concurrency: 1 });
      await expect.poll(() => seen).toContain('feed');
      unsubscribe();
    });
  });

  describe('concurrency', () => {
    it('takes at most concurrency - running of a queue, then goes on in claim order', async () => {
      await f.store.setQueue('narrow', { concurrency: 2 });
      const narrow = await submitMany(4, 'narrow');
      const wide = await submitMany(3, 'wide');
      const first = await claim({ limit: 5 });
      expect(ids(first)).toEqual([...ids(narrow.slice(0, 2)), ...ids(wide)]);
      expect(await claim()).toEqual([]);
      expect((await f.store.getQueue('narrow')).byState.running).toBe(2);
      // A job of the queue ending frees a slot; the next job in order takes it.
      await f.store.complete(first[0]!.id, first[0]!.leaseToken!, null);
      expect(ids(await claim())).toEqual([narrow[2]!.id]);
      expect(await claim()).toEqual([]);
      // A change applies to the next claim.
      await f.store.setQueue('narrow', { concurrency: null });
      expect(ids(await claim())).toEqual([narrow[3]!.id]);
    });

    it('a claim ahead passes over limited queues, and takes the rest in claim order', async () => {
      await f.store.setQueue('capped', { concurrency: 5 });
      await f.store.setQueue('rated', { rate: { limit: 50, periodMs: 60_000 } });
      await f.store.setQueue('keyed', { groupConcurrency: 2 });
      await f.store.setQueue('lined', { ordered: true });
      const limited = [
        await f.submit('t', { queue: 'capped', priority: 'critical' }),
        await f.submit('t', { queue: 'rated', priority: 'critical' }),
        await f.submit('t', { queue: 'keyed', group: 'k', priority: 'critical' }),
        await f.submit('t', { queue: 'lined', group: 'k', priority: 'critical' }),
      ];
      const open = [
        await f.submit('t', { queue: 'open', priority: 'low' }),
        await f.submit('t', { queue: 'open' }),
        await f.submit('t', { queue: 'other', priority: 'bulk' }),
      ];
      expect(ids(await claim({ ahead: true }))).toEqual([open[1]!.id, open[0]!.id, open[2]!.id]);
      // Restricted to limited queues, a claim ahead finds nothing; an ordinary one takes them.
      expect(await claim({ ahead: true, queues: ['capped', 'keyed', 'lined'] })).toEqual([]);
      expect(ids(await claim())).toEqual(ids(limited));
    });

    it('holds against concurrent claimers', async () => {
      await f.store.setQueue('shared', { concurrency: 3, rate: { limit: 5, periodMs: 1000 } });
      await submitMany(20, 'shared');
      const batches = await Promise.all(Array.from({ length: 10 }, () => claim({ limit: 5 })));
      expect(batches.flat()).toHaveLength(3);
      for (const job of batches.flat()) await f.store.complete(job.id, job.leaseToken!, null);
      const again = await Promise.all(Array.from({ length: 10 }, () => claim({ limit: 5 })));
      // The rate allows 5 in the window, 3 of which are spent.
      expect(again.flat()).toHaveLength(2);
    });

    it('counts a failed or released job as no longer running', async () => {
      await f.store.setQueue('one', { concurrency: 1 });
      const jobs = await submitMany(3, 'one');
      const [a] = await claim();
      expect(a?.id).toBe(jobs[0]!.id);
      await f.store.fail(a!.id, a!.leaseToken!, {
        error: { message: 'no', errorClass: 'error' },
        outcome: { state: 'failed' },
      });
      const [b] = await claim();
      expect(b?.id).toBe(jobs[1]!.id);
      await f.store.release(b!.id, b!.leaseToken!);
      expect(ids(await claim())).toEqual([jobs[1]!.id]);
      expect(await claim()).toEqual([]);
    });

    it('leaves a queue at its concurrency out of nextRunAt', async () => {
      await f.store.setQueue('full', { concurrency: 1 });
      await submitMany(2, 'full');
      expect(await f.store.nextRunAt()).toBe(f.clock.now());
      await claim({ limit: 1 });
      expect(await f.store.nextRunAt()).toBeUndefined();
    });
  });

  describe('rate', () => {
    it('starts no more than N jobs in any window of the period (sliding window)', async () => {
      await f.store.setQueue('rated', { rate: { limit: 50, periodMs: 1000 } });
      await submitMany(400, 'rated');
      await submitMany(20, 'free');
      const starts: number[] = [];
      let seed = 7;
      const random = (n: number): number => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed % n;
      };
      let free = 0;
      while (starts.length < 400) {
        for (const job of await claim({ limit: 1 + random(40) })) {
          if (job.queue === 'rated') starts.push(job.startedAt!);
          else free++;
          await f.store.complete(job.id, job.leaseToken!, null);
        }
        f.clock.advance(1 + random(60));
      }
      expect(free).toBe(20);
      starts.sort((a, b) => a - b);
      for (let i = 0; i + 50 < starts.length; i++) {
        expect(starts[i + 50]! - starts[i]!).toBeGreaterThanOrEqual(1000);
      }
      // And it does start N per period while jobs wait: 400 starts take 8 periods, not more.
      expect(starts[399]! - starts[0]!).toBeLessThan(8 * 1000 + 100);
    });

    it('takes the jobs of other queues in claim order, by type and queue, beside a rated backlog', async () => {
      await f.store.setQueue('slow', { rate: { limit: 1, periodMs: 3_600_000 } });
      const slow = await submitMany(30, 'slow');
      const a1 = await f.submit('t', { queue: 'a', priority: 'bulk' });
      const b1 = await f.submit('t', { queue: 'b', priority: 'high' });
      const c1 = await f.submit('x', { queue: 'c' });
      const c2 = await f.submit('y', { queue: 'c' });
      const a2 = await f.submit('t', { queue: 'a', delay: 60_000 });
      expect(ids(await claim({ types: ['y'] }))).toEqual([c2.id]);
      expect(ids(await claim({ queues: ['a', 'slow'] }))).toEqual([slow[0]!.id, a1.id]);
      expect(ids(await claim())).toEqual([b1.id, c1.id]);
      expect(await claim()).toEqual([]);
      f.clock.advance(60_000);
      expect(ids(await claim())).toEqual([a2.id]);
      expect((await f.store.getQueue('slow')).byState.scheduled).toBe(29);
    });

    it('reports the starts left and when the window frees the next one', async () => {
      await f.store.setQueue('r', { rate: { limit: 3, periodMs: 1000 } });
      const jobs = await submitMany(6, 'r');
      const t0 = f.clock.now();
      expect(ids(await claim({ limit: 2 }))).toEqual(ids(jobs.slice(0, 2)));
      f.clock.advance(400);
      expect(ids(await claim())).toEqual([jobs[2]!.id]);
      expect(await f.store.getQueue('r')).toMatchObject({
        rateRemaining: 0,
        nextStartAt: t0 + 1000,
      });
      expect(await f.store.nextRunAt()).toBe(t0 + 1000);
      f.clock.advance(599);
      expect(await claim()).toEqual([]);
      f.clock.advance(1);
      // Once the window frees starts, the next run-at is that moment, not the jobs' own (t0): a
      // claimer that found the window full just before sees a run-at it has not seen yet.
      expect(await f.store.nextRunAt()).toBe(t0 + 1000);
      f.clock.advance(50);
      expect(await f.store.nextRunAt()).toBe(t0 + 1000);
      // The two starts of t0 leave the window together.
      expect(ids(await claim())).toEqual(ids(jobs.slice(3, 5)));
      expect((await f.store.getQueue('r')).rateRemaining).toBe(0);
      expect(await f.store.nextRunAt()).toBe(t0 + 1400);
      f.clock.advance(400);
      expect(await f.store.nextRunAt()).toBe(t0 + 1400);
      expect(ids(await claim())).toEqual([jobs[5]!.id]);
    });

    it('applies both limits together, the smaller one deciding', async () => {
      await f.store.setQueue('both', { concurrency: 2, rate: { limit: 3, periodMs: 1000 } });
      const jobs = await submitMany(6, 'both');
      const first = await claim();
      expect(ids(first)).toEqual(ids(jobs.slice(0, 2)));
      for (const job of first) await f.store.complete(job.id, job.leaseToken!, null);
      expect(ids(await claim())).toEqual([jobs[2]!.id]);
      expect(await f.store.getQueue('both')).toMatchObject({ rateRemaining: 0 });
    });
  });
}
