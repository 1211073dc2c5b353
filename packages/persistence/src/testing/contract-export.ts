import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, uuidv7, type Job } from '@gopherqueue/core';
import {
  ids,
  priorityCounts,
  stateCounts,
  useStore,
  type StoreContractHarness,
} from './contract-fixture.js';

/** scan (export) and restore (import). */
export function exportContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  /** Jobs as a backup holds them: one scheduled, one completed with a key, one dead-lettered. */
  function backup(): Job[] {
    const t = f.clock.now() - 60_000;
    const base = {
      type: 'imported',
      queue: 'import-q',
      payload: { n: 1 },
      maxAttempts: 3,
      timeoutMs: 60_000,
      backoff: { ...DEFAULT_BACKOFF },
      dependsOn: [],
      waitingOn: [],
      tags: { source: 'backup' },
      errors: [],
      createdAt: t,
      updatedAt: t,
    };
    return [
      { ...base, id: uuidv7(t), priority: 1, state: 'scheduled', attempt: 0, runAt: t, seq: 7 },
      {
        ...base,
        id: uuidv7(t),
        priority: 2,
        state: 'completed',
        attempt: 1,
        runAt: t,
        seq: 8,
        idempotencyKey: 'imported-key',
        result: { rows: 12 },
        startedAt: t + 10,
        finishedAt: t + 20,
        updatedAt: t + 20,
      },
      {
        ...base,
        id: uuidv7(t),
        priority: 4,
        state: 'dead_letter',
        attempt: 3,
        maxAttempts: 3,
        runAt: t + 5000,
        seq: 9,
        errors: [{ attempt: 3, at: t + 5000, message: 'gone', errorClass: 'error' }],
        startedAt: t + 4000,
        finishedAt: t + 5000,
        updatedAt: t + 5000,
      },
    ];
  }

  describe('scan', () => {
    it('yields every job once, in id order', async () => {
      const stored: Job[] = [];
      for (let i = 0; i < 12; i++)
        stored.push(await f.submit('t', { delay: i % 3 === 0 ? 1000 : 0 }));
      const claimed = await f.claimOne();
      await f.store.complete(claimed.id, claimed.leaseToken!, 'r');
      const scanned: Job[] = [];
      for await (const job of f.store.scan()) scanned.push(job);
      expect(ids(scanned)).toEqual(ids(stored).sort());
      expect(scanned).toEqual(await f.store.getMany(ids(scanned)));
    });
  });

  describe('restore', () => {
    it('writes jobs as given but for a fresh seq, listed, counted and claimable', async () => {
      const given = backup();
      expect(await f.store.restore(given)).toBe(3);
      const jobs = (await f.store.getMany(ids(given))) as Job[];
      expect(jobs).toEqual(given.map((job, i) => ({ ...job, seq: jobs[i]!.seq })));
      expect(await f.store.counts()).toEqual({
        total: 3,
        byState: stateCounts({ scheduled: 1, completed: 1, dead_letter: 1 }),
        byPriority: priorityCounts({
          scheduled: [0, 1, 0, 0, 0],
          completed: [0, 0, 1, 0, 0],
          dead_letter: [0, 0, 0, 0, 1],
        }),
      });
      expect(ids((await f.store.list({ queue: 'import-q' })).jobs).sort()).toEqual(
        ids(jobs).sort(),
      );
      expect(ids((await f.store.list({ state: 'dead_letter' })).jobs)).toEqual([jobs[2]!.id]);
      const queues = await f.store.listQueues();
      expect(queues.find((q) => q.name === 'import-q')).toEqual({
        name: 'import-q',
        paused: false,
        concurrency: null,
        rate: null,
        byState: stateCounts({ scheduled: 1, completed: 1, dead_letter: 1 }),
        oldestWaitingAt: given.find((job) => job.state === 'scheduled')!.runAt,
      });
      const claimed = await f.claimOne();
      expect(claimed).toMatchObject({ id: jobs[0]!.id, state: 'running', attempt: 1 });
      const dedup = await f.store.submit(
        f.spec('t', { queue: 'import-q', idempotencyKey: 'imported-key' }),
      );
      expect(dedup).toEqual({ job: jobs[1], deduplicated: true });
      const otherQueue = await f.store.submit(f.spec('t', { idempotencyKey: 'imported-key' }));
      expect(otherQueue.deduplicated).toBe(false);
      expect(otherQueue.job.queue).toBe('default');
    });

    it('restores one key held in two queues, each deduplicating in its own queue', async () => {
      const [first, second] = backup();
      await f.store.restore([
        { ...first!, queue: 'qa', idempotencyKey: 'shared' },
        { ...second!, queue: 'qb', idempotencyKey: 'shared' },
      ]);
      const [inA, inB] = (await f.store.getMany([first!.id, second!.id])) as [Job, Job];
      expect(inA).toMatchObject({ queue: 'qa', idempotencyKey: 'shared' });
      expect(inB).toMatchObject({ queue: 'qb', idempotencyKey: 'shared' });
      const again = (queue: string) =>
        f.store.submit(f.spec('t', { queue, idempotencyKey: 'shared' }));
      expect(await again('qa')).toEqual({ job: inA, deduplicated: true });
      expect(await again('qb')).toEqual({ job: inB, deduplicated: true });
      expect((await again('qc')).deduplicated).toBe(false);
    });

    it('leaves a stored job with the same id as it is, counts and indexes too', async () => {
      const jobs = backup();
      await f.store.restore(jobs);
      const dead = (await f.store.get(jobs[2]!.id))!;
      expect(await f.store.restore([{ ...jobs[2]!, state: 'failed', priority: 0 }])).toBe(0);
      expect(await f.store.get(dead.id)).toEqual(dead);
      expect((await f.store.counts()).byState).toEqual(
        stateCounts({ scheduled: 1, completed: 1, dead_letter: 1 }),
      );
      expect((await f.store.counts()).byPriority.failed).toEqual([0, 0, 0, 0, 0]);
      expect((await f.store.list({ state: 'failed' })).jobs).toEqual([]);
      expect(ids((await f.store.list({ state: 'dead_letter' })).jobs)).toEqual([dead.id]);
      expect((await f.store.counts()).total).toBe(3);
    });
  });
}
