import { describe, expect, it } from 'vitest';
import type { ClaimOptions, Job, JobOptions, QueuePatch } from '@gopherqueue/core';
import { LEASE_MS, WORKER, useStore, type StoreContractHarness } from './contract-fixture.js';

/** Group keys (`groupConcurrency`, `ordered`) and aging, as claims obey them. */
export function groupsContract(harness: StoreContractHarness): void {
  const f = useStore(harness);
  const claim = (options: Partial<ClaimOptions> = {}): Promise<Job[]> =>
    f.store.claim({ workerId: WORKER, limit: 100, leaseMs: LEASE_MS, ...options });
  const submit = async (queue: string, group: string | undefined, extra: JobOptions = {}) =>
    f.submit('t', { queue, ...(group === undefined ? {} : { group }), ...extra });
  const groupsOf = (jobs: readonly Job[]): string[] => jobs.map((j) => j.group ?? '-').sort();
  const done = (job: Job): Promise<Job> => f.store.complete(job.id, job.leaseToken as string, null);

  describe('settings', () => {
    it('sets, reads, lists and clears group_concurrency, ordered and aging', async () => {
      const set = await f.store.setQueue('g', { groupConcurrency: 3, agingMs: 300_000 });
      expect(set).toMatchObject({ groupConcurrency: 3, agingMs: 300_000, groupsAtLimit: [] });
      expect(set.ordered).toBeUndefined();
      await f.store.setQueue('g', { ordered: true, groupConcurrency: 1 });
      expect(await f.store.getQueue('g')).toMatchObject({
        groupConcurrency: 1,
        ordered: true,
        agingMs: 300_000,
      });
      expect((await f.store.listQueues()).find((q) => q.name === 'g')).toMatchObject({
        groupConcurrency: 1,
        ordered: true,
        agingMs: 300_000,
      });
      await f.store.setQueue('g', { groupConcurrency: null, ordered: false, agingMs: null });
      const cleared = await f.store.getQueue('g');
      expect(cleared.groupConcurrency).toBeUndefined();
      expect(cleared.ordered).toBeUndefined();
      expect(cleared.agingMs).toBeUndefined();
      expect(cleared.groupsAtLimit).toBeUndefined();
    });

    it('refuses bad settings naming the field, changing nothing', async () => {
      await f.store.setQueue('q', { groupConcurrency: 2 });
      const bad: [QueuePatch, string][] = [
        [{ groupConcurrency: -1 }, 'group_concurrency'],
        [{ groupConcurrency: 0 }, 'group_concurrency'],
        [{ groupConcurrency: 2.5 }, 'group_concurrency'],
        [{ agingMs: 10 }, 'aging'],
        [{ agingMs: Number.NaN }, 'aging'],
        [{ ordered: 'yes' as unknown as boolean }, 'ordered'],
      ];
      for (const [patch, field] of bad) {
        const err = await f.store.setQueue('q', patch).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, JSON.stringify(patch)).toMatchObject({
          code: 'GQ_INVALID_ARGUMENT',
          details: { field },
        });
      }
      const after = await f.store.getQueue('q');
      expect(after.groupConcurrency).toBe(2);
      expect(after.ordered).toBeUndefined();
      expect(after.agingMs).toBeUndefined();
    });

    it('keeps a job’s group key', async () => {
      const job = await submit('q', 'customer-42');
      expect(job.group).toBe('customer-42');
      expect((await f.store.get(job.id))?.group).toBe('customer-42');
      await expect(f.store.getGroup('q', 'bad key!')).rejects.toThrow(TypeError);
      // A spec made without createJob, or an imported job, with a bad key: refused, nothing stored.
      for (const group of ['a b', 'x'.repeat(129), ''] as const) {
        const spec = { ...f.spec('t', { queue: 'q' }), group };
        const err = await f.store.submit(spec).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toMatchObject({ code: 'GQ_INVALID_ARGUMENT', details: { field: 'group' } });
        expect(await f.store.get(spec.id)).toBeUndefined();
        const restored = { ...job, id: spec.id, group };
        const refused = await f.store.restore([restored]).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(refused).toMatchObject({ code: 'GQ_INVALID_ARGUMENT', details: { field: 'group' } });
      }
    });
  });

  describe('group_concurrency', () => {
    it('runs at most K jobs per key; jobs without a key and of other keys go on', async () => {
      await f.store.setQueue('g', { groupConcurrency: 2 });
      for (const key of ['a', 'b', 'c']) for (let i = 0; i < 3; i++) await submit('g', key);
      await submit('g', undefined);
      await submit('g', undefined);
      const first = await claim();
      expect(groupsOf(first)).toEqual(['-', '-', 'a', 'a', 'b', 'b', 'c', 'c']);
      expect(await claim()).toEqual([]);
      const state = await f.store.getQueue('g');
      expect(state.groupsAtLimit).toEqual([
        { group: 'a', running: 2 },
        { group: 'b', running: 2 },
        { group: 'c', running: 2 },
      ]);
      expect(await f.store.getGroup('g', 'a')).toMatchObject({
        queue: 'g',
        group: 'a',
        running: 2,
      });
      await done(first.find((j) => j.group === 'b') as Job);
      const next = await claim();
      expect(groupsOf(next)).toEqual(['b']);
      expect(await claim()).toEqual([]);
      expect((await f.store.getQueue('g')).groupsAtLimit?.map((g) => g.group)).toEqual([
        'a',
        'b',
        'c',
      ]);
    });

    it('counts a claim’s own jobs: a limit of 1 gives one job per key per claim', async () => {
      await f.store.setQueue('g', { groupConcurrency: 1 });
      for (let i = 0; i < 5; i++) await submit('g', 'k');
      expect(groupsOf(await claim({ limit: 5 }))).toEqual(['k']);
      expect(await claim()).toEqual([]);
    });

    it('a held-back job keeps its place: it runs before later jobs of its key', async () => {
      await f.store.setQueue('g', { groupConcurrency: 1 });
      const a1 = await submit('g', 'a');
      const a2 = await submit('g', 'a');
      f.clock.advance(10);
      const a3 = await submit('g', 'a');
      expect((await claim()).map((j) => j.id)).toEqual([a1.id]);
      await done((await f.store.get(a1.id)) as Job);
      expect((await claim()).map((j) => j.id)).toEqual([a2.id]);
      await done((await f.store.get(a2.id)) as Job);
      expect((await claim()).map((j) => j.id)).toEqual([a3.id]);
    });

    it('raising or clearing the limit lets held-back jobs run at once', async () => {
      await f.store.setQueue('g', { groupConcurrency: 1 });
      for (let i = 0; i < 4; i++) await submit('g', 'k');
      expect(await claim()).toHaveLength(1);
      expect(await claim()).toHaveLength(0);
      await f.store.setQueue('g', { groupConcurrency: 3 });
      expect(await claim()).toHaveLength(2);
      await f.store.setQueue('g', { groupConcurrency: null });
      expect(await claim()).toHaveLength(1);
    });

    it('a key frees its slot when its running job retries, fails or is cancelled', async () => {
      await f.store.setQueue('g', { groupConcurrency: 1 });
      for (let i = 0; i < 3; i++) await submit('g', 'k');
      const [first] = await claim();
      await f.store.fail((first as Job).id, (first as Job).leaseToken as string, {
        error: { message: 'x', errorClass: 'error' },
        outcome: { state: 'retrying', runAt: f.clock.now() + 60_000 },
      });
      const [second] = await claim();
      expect(second?.id).not.toBe(first?.id);
      await f.store.cancel((second as Job).id);
      expect(await claim()).toHaveLength(1);
    });
  });

  describe('ordered', () => {
    it('starts each key’s jobs one at a time in submission order, whatever their priority', async () => {
      await f.store.setQueue('o', { ordered: true });
      const a1 = await submit('o', 'a', { priority: 'bulk' });
      const b1 = await submit('o', 'b');
      const a2 = await submit('o', 'a', { priority: 'critical' });
      const b2 = await submit('o', 'b');
      const free = await submit('o', undefined);
      const first = await claim();
      expect(first.map((j) => j.id).sort()).toEqual([a1.id, b1.id, free.id].sort());
      expect(await claim()).toEqual([]);
      await done(first.find((j) => j.id === a1.id) as Job);
      expect((await claim()).map((j) => j.id)).toEqual([a2.id]);
      await done(first.find((j) => j.id === b1.id) as Job);
      expect((await claim()).map((j) => j.id)).toEqual([b2.id]);
    });

    it('a retrying head stays the head: later jobs of its key wait through its backoff', async () => {
      await f.store.setQueue('o', { ordered: true });
      const a1 = await submit('o', 'a');
      const a2 = await submit('o', 'a');
      const [head] = await claim();
      expect(head?.id).toBe(a1.id);
      await f.store.fail(a1.id, head?.leaseToken as string, {
        error: { message: 'once', errorClass: 'error' },
        outcome: { state: 'retrying', runAt: f.clock.now() + 5_000 },
      });
      expect(await claim()).toEqual([]);
      expect(await f.store.getGroup('o', 'a')).toMatchObject({ running: 0, headId: a1.id });
      f.clock.advance(5_000);
      const [again] = await claim();
      expect(again?.id).toBe(a1.id);
      expect(again?.attempt).toBe(2);
      await done(again as Job);
      expect((await claim()).map((j) => j.id)).toEqual([a2.id]);
    });

    it('runs one job per key while ordered, whatever group_concurrency says', async () => {
      await f.store.setQueue('o', { ordered: true, groupConcurrency: 3 });
      expect(await f.store.getQueue('o')).toMatchObject({ ordered: true, groupConcurrency: 3 });
      for (let i = 0; i < 4; i++) await submit('o', 'a');
      expect(await claim()).toHaveLength(1);
      expect((await f.store.getQueue('o')).groupsAtLimit).toEqual([{ group: 'a', running: 1 }]);
      await f.store.setQueue('o', { ordered: false });
      expect(await claim()).toHaveLength(2);
    });

    it('a dead-lettered or cancelled head lets the next job of its key start', async () => {
      await f.store.setQueue('o', { ordered: true });
      const a1 = await submit('o', 'a');
      const a2 = await submit('o', 'a');
      const a3 = await submit('o', 'a');
      const [head] = await claim();
      await f.store.fail(a1.id, head?.leaseToken as string, {
        error: { message: 'no', errorClass: 'error' },
        outcome: { state: 'dead_letter' },
      });
      expect((await claim()).map((j) => j.id)).toEqual([a2.id]);
      await f.store.cancel(a2.id);
      expect((await claim()).map((j) => j.id)).toEqual([a3.id]);
    });

    it('a waiting head that is cancelled lets the next job start', async () => {
      await f.store.setQueue('o', { ordered: true });
      const a1 = await submit('o', 'a', { delay: 60_000 });
      const a2 = await submit('o', 'a');
      expect(await claim()).toEqual([]);
      expect(await f.store.getGroup('o', 'a')).toMatchObject({ headId: a1.id });
      await f.store.cancel(a1.id);
      expect((await claim()).map((j) => j.id)).toEqual([a2.id]);
    });

    it('a waiting head that expires lets the next job start, through the sweep or a claim', async () => {
      await f.store.setQueue('o', { ordered: true });
      const a1 = await submit('o', 'a', { delay: 1_000, ttl: '2s' });
      const a2 = await submit('o', 'a');
      const b1 = await submit('o', 'b', { ttl: '1s' });
      const b2 = await submit('o', 'b');
      // b1 is claimable, a1 not yet due: only b1 starts; a2 and b2 wait behind their heads.
      expect((await claim()).map((j) => j.id)).toEqual([b1.id]);
      f.clock.advance(2_000);
      expect((await f.store.expire(10)).map((j) => j.id)).toEqual([a1.id]);
      // The started b1 never expires; a2 is the head of a now.
      expect((await claim()).map((j) => j.id)).toEqual([a2.id]);
      expect(await f.get(b2.id)).toMatchObject({ state: 'scheduled' });
    });
  });

  describe('aging', () => {
    it('claims by priority alone without aging', async () => {
      const bulk = await submit('plain', undefined, { priority: 'bulk' });
      f.clock.advance(3_600_000);
      const critical = await submit('plain', undefined, { priority: 'critical' });
      expect((await claim({ limit: 1 })).map((j) => j.id)).toEqual([critical.id]);
      expect((await claim({ limit: 1 })).map((j) => j.id)).toEqual([bulk.id]);
    });

    it('a waiting job gains a level per step: bulk beats fresh critical after 4 steps', async () => {
      await f.store.setQueue('aged', { agingMs: 60_000 });
      const bulk = await submit('aged', undefined, { priority: 'bulk' });
      f.clock.advance(3 * 60_000);
      // Effective priority 1 after 3 steps: a fresh critical job (0) still goes first.
      const c1 = await submit('aged', undefined, { priority: 'critical' });
      expect((await claim({ limit: 1 })).map((j) => j.id)).toEqual([c1.id]);
      f.clock.advance(60_000);
      // Effective 0 after 4 steps, and waiting longer: it goes before a fresh critical one.
      const c2 = await submit('aged', undefined, { priority: 'critical' });
      expect((await claim({ limit: 1 })).map((j) => j.id)).toEqual([bulk.id]);
      expect((await claim({ limit: 1 })).map((j) => j.id)).toEqual([c2.id]);
    });

    it('starts a bulk job within its aging bound under a constant stream of critical jobs', async () => {
      const steps = 60_000;
      await f.store.setQueue('aged', { agingMs: steps });
      await f.store.setQueue('strict', {});
      const aged = await submit('aged', undefined, { priority: 'bulk' });
      const strict = await submit('strict', undefined, { priority: 'bulk' });
      const start = f.clock.now();
      let agedStartedAt: number | undefined;
      // Every 10 s three critical jobs arrive and a worker takes two: the critical backlog grows.
      for (let tick = 0; tick < 40; tick++) {
        f.clock.advance(10_000);
        for (let i = 0; i < 3; i++) await submit('stream', undefined, { priority: 'critical' });
        for (const job of await claim({ limit: 2 })) {
          expect(job.id).not.toBe(strict.id);
          if (job.id === aged.id) agedStartedAt = f.clock.now();
        }
      }
      // Bulk (4) gains a level per minute: critical-equal after 4 minutes, and older than every
      // critical job waiting, so it starts at the first claim after that.
      expect(agedStartedAt).toBeDefined();
      expect((agedStartedAt as number) - start).toBeLessThanOrEqual(4 * steps);
      expect((agedStartedAt as number) - start).toBeGreaterThanOrEqual(4 * steps - 10_000);
      expect((await f.store.get(strict.id))?.state).toBe('scheduled');
    });

    it('an aged job of one queue competes with the jobs of others by effective priority', async () => {
      await f.store.setQueue('aged', { agingMs: 1_000 });
      const low = await submit('aged', undefined, { priority: 'low' });
      f.clock.advance(10_000);
      const high = await submit('other', undefined, { priority: 'high' });
      expect((await claim({ limit: 1 })).map((j) => j.id)).toEqual([low.id]);
      expect((await claim({ limit: 1 })).map((j) => j.id)).toEqual([high.id]);
    });
  });
}
