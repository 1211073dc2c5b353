import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, uuidv7, type Job, type ListFilter } from '@gopherqueue/core';
import { ids, stateCounts, useStore, type StoreContractHarness } from './contract-fixture.js';

/**
 * restore into a store that already holds jobs (an import into a live store, or the same import
 * twice): fresh `seq`s, nothing stored replaced, and lists that page through every job once.
 */
export function importContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  /**
   * `count` jobs as another store exported them: created a minute before now, a second apart,
   * with `seq`s 1.. that collide with the target's own.
   */
  function exported(count: number): Job[] {
    const start = f.clock.now() - 60_000;
    return Array.from({ length: count }, (_, i) => {
      const t = start + i * 1000;
      const finished = i % 3 === 2;
      return {
        id: uuidv7(t),
        seq: i + 1,
        type: i % 2 === 0 ? 'imported' : 'other',
        queue: 'default',
        payload: { i },
        priority: 2,
        state: finished ? 'completed' : 'scheduled',
        attempt: finished ? 1 : 0,
        maxAttempts: 3,
        timeoutMs: 60_000,
        backoff: { ...DEFAULT_BACKOFF },
        runAt: t,
        dependsOn: [],
        waitingOn: [],
        tags: {},
        errors: [],
        createdAt: t,
        updatedAt: finished ? t + 10 : t,
        ...(finished ? { startedAt: t + 5, finishedAt: t + 10, result: i } : {}),
      } satisfies Job;
    });
  }

  /** Follows `nextCursor` to the end; returns every page's ids. */
  async function pages(filter: ListFilter): Promise<string[][]> {
    const out: string[][] = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 100; guard++) {
      const page = await f.store.list({ ...filter, ...(cursor === undefined ? {} : { cursor }) });
      out.push(ids(page.jobs));
      if (page.nextCursor === undefined) return out;
      cursor = page.nextCursor;
    }
    throw new Error('list never ended');
  }

  /** The ids of `jobs` newest first: by id, which is creation order (UUIDv7). */
  function newestFirst(jobs: readonly Job[]): string[] {
    return ids(jobs).sort().reverse();
  }

  describe('restore into a store holding jobs', () => {
    it('gives restored jobs fresh seqs after the stored ones, in the order given, keeping every other field', async () => {
      const own: Job[] = [];
      for (let i = 0; i < 7; i++) own.push(await f.submit('own', {}, i));
      const backup = exported(7);
      expect(await f.store.restore(backup)).toBe(7);
      const restored = (await f.store.getMany(ids(backup))) as Job[];
      const ownSeqs = own.map((job) => job.seq);
      const seqs = restored.map((job) => job.seq);
      expect(new Set([...ownSeqs, ...seqs]).size).toBe(14);
      expect(Math.min(...seqs)).toBeGreaterThan(Math.max(...ownSeqs));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      restored.forEach((job, i) => {
        expect(job).toEqual({ ...backup[i], seq: job.seq });
      });
      const next = await f.submit('own');
      expect(next.seq).toBeGreaterThan(Math.max(...seqs));
    });

    it('lists every job exactly once, newest first, across pages of any size and filter', async () => {
      const own: Job[] = [];
      for (let i = 0; i < 7; i++) {
        own.push(await f.submit(i % 2 === 0 ? 'imported' : 'other', {}, i));
        f.clock.advance(1);
      }
      const backup = exported(7);
      await f.store.restore(backup);
      const all = [...own, ...backup];
      const cases: [ListFilter, Job[]][] = [
        [{}, all],
        [{ queue: 'default' }, all],
        [{ type: 'imported' }, all.filter((job) => job.type === 'imported')],
        [{ state: 'scheduled' }, all.filter((job) => job.state === 'scheduled')],
        [{ state: 'completed' }, all.filter((job) => job.state === 'completed')],
        [{ priority: 2 }, all],
      ];
      for (const [filter, expected] of cases) {
        for (const limit of [1, 2, 3, 5, 13]) {
          const listed = await pages({ ...filter, limit });
          const what = `${JSON.stringify(filter)} by ${limit}`;
          expect(listed.flat(), what).toEqual(newestFirst(expected));
          expect(
            listed.every((page) => page.length === limit || page === listed.at(-1)),
            what,
          ).toBe(true);
        }
      }
    });

    it('restores the same jobs twice: the second time writes nothing and keeps newer states', async () => {
      const backup = exported(6);
      expect(await f.store.restore(backup)).toBe(6);
      const claimed = await f.claimOne();
      expect(claimed.id).toBe(backup[0]!.id);
      const completed = await f.store.complete(claimed.id, claimed.leaseToken!, 'done here');
      const before = await f.store.getMany(ids(backup));
      const counts = await f.store.counts();

      expect(await f.store.restore(backup)).toBe(0);
      expect(await f.store.getMany(ids(backup))).toEqual(before);
      expect(await f.store.get(claimed.id)).toEqual(completed);
      expect(await f.store.counts()).toEqual(counts);
      expect(counts.byState).toEqual(stateCounts({ scheduled: 3, completed: 3 }));
      expect((await pages({ limit: 4 })).flat()).toEqual(newestFirst(backup));
    });

    it('counts only the new jobs of a restore that mixes new and stored ones', async () => {
      const backup = exported(5);
      await f.store.restore(backup.slice(0, 2));
      expect(await f.store.restore(backup)).toBe(3);
      expect((await f.store.counts()).total).toBe(5);
      expect((await pages({ limit: 2 })).flat()).toEqual(newestFirst(backup));
    });

    it('writes the first of a repeated id in one restore and skips the rest', async () => {
      const [job] = exported(1);
      const later: Job = { ...job!, payload: { later: true } };
      expect(await f.store.restore([job!, later])).toBe(1);
      expect(await f.store.get(job!.id)).toMatchObject({ payload: job!.payload });
      expect((await f.store.counts()).total).toBe(1);
    });

    it('skips a job whose idempotency key another job holds in its queue', async () => {
      const held = await f.submit('own', { idempotencyKey: 'k' });
      const [clash, free] = exported(2);
      const keyed: Job = { ...clash!, idempotencyKey: 'k' };
      const elsewhere: Job = { ...free!, queue: 'other-q', idempotencyKey: 'k' };
      expect(await f.store.restore([keyed, elsewhere])).toBe(1);
      expect(await f.store.get(keyed.id)).toBeUndefined();
      expect(await f.store.get(elsewhere.id)).toMatchObject({ queue: 'other-q' });
      const again = await f.store.submit(f.spec('own', { idempotencyKey: 'k' }));
      expect(again).toEqual({ job: held, deduplicated: true });
    });

    it('settles a restored pending job against its dependencies as they are stored now', async () => {
      const done = await f.submit('done');
      const claimed = await f.claimOne({ types: ['done'] });
      await f.store.complete(claimed.id, claimed.leaseToken!, null);
      const broken = await f.submit('broken');
      await f.store.cancel(broken.id);
      const open = await f.submit('open', { delay: 60_000 });
      const [a, b, c, d] = exported(4);
      const pending = (job: Job, waitingOn: string[]): Job => ({
        ...job,
        type: 'dependent',
        state: 'pending',
        dependsOn: waitingOn,
        waitingOn,
      });
      const now = f.clock.now();
      // Waits on a completed job only: runs now; on a cancelled one: cancelled; on a job still
      // to run, or on one restored with it, it keeps waiting for that one.
      const restored = [
        pending(a!, [done.id]),
        pending(b!, [done.id, broken.id]),
        pending(c!, [done.id, open.id]),
        d!,
      ];
      const dependent = pending({ ...d!, id: uuidv7(now) }, [d!.id]);
      expect(await f.store.restore([...restored, dependent])).toBe(5);
      expect(await f.get(a!.id)).toMatchObject({ state: 'scheduled', waitingOn: [] });
      expect(await f.get(b!.id)).toMatchObject({
        state: 'cancelled',
        cancelReason: 'dependency_failed',
        finishedAt: now,
      });
      expect(await f.get(c!.id)).toMatchObject({ state: 'pending', waitingOn: [open.id] });
      expect(await f.get(dependent.id)).toMatchObject({ state: 'pending', waitingOn: [d!.id] });
      const running = await f.claimOne({ types: ['dependent'] });
      expect(running.id).toBe(a!.id);
      const first = await f.claimOne({ types: [d!.type] });
      expect(first.id).toBe(d!.id);
      await f.store.complete(d!.id, first.leaseToken!, null);
      expect(await f.get(dependent.id)).toMatchObject({ state: 'scheduled', waitingOn: [] });
    });
  });
}
