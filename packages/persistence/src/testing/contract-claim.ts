import { describe, expect, it } from 'vitest';
import type { ClaimOptions, Job } from '@gopherqueue/core';
import { ids, LEASE_MS, useStore, WORKER, type StoreContractHarness } from './contract-fixture.js';

/** Claim order, eligibility, filters and concurrent claimers. */
export function claimContract(harness: StoreContractHarness): void {
  const f = useStore(harness);
  const claim = (options: Partial<ClaimOptions> = {}): Promise<Job[]> =>
    f.store.claim({ workerId: WORKER, limit: 100, leaseMs: LEASE_MS, ...options });

  describe('claim', () => {
    it('leases the job: running, attempt + 1, startedAt, token, expiry and worker', async () => {
      const submitted = await f.submit('t');
      f.clock.advance(500);
      const now = f.clock.now();
      const [job] = await f.store.claim({ workerId: 'w-7', limit: 1, leaseMs: 12_000 });
      expect(job).toEqual({
        ...submitted,
        state: 'running',
        attempt: 1,
        startedAt: now,
        updatedAt: now,
        leaseToken: job!.leaseToken,
        leaseExpiresAt: now + 12_000,
        workerId: 'w-7',
        transitions: [...submitted.transitions!, { state: 'running', at: now, attempt: 1 }],
      });
      expect(typeof job!.leaseToken).toBe('string');
      expect(job!.leaseToken!.length).toBeGreaterThan(0);
      expect(await f.store.get(submitted.id)).toEqual(job);
    });

    it('returns nothing from an empty store', async () => {
      expect(await claim()).toEqual([]);
    });

    it('takes jobs in strict priority order', async () => {
      const bulk = await f.submit('t', { priority: 'bulk' });
      const low = await f.submit('t', { priority: 'low' });
      const normal = await f.submit('t', { priority: 'normal' });
      const high = await f.submit('t', { priority: 'high' });
      const critical = await f.submit('t', { priority: 'critical' });
      expect(ids(await claim())).toEqual(ids([critical, high, normal, low, bulk]));
    });

    it('takes equal priorities by runAt, then by submission order', async () => {
      const t0 = f.clock.now();
      const late = await f.submit('t', { delay: 3000 });
      const early = await f.submit('t', { delay: 1000 });
      const first = await f.submit('t');
      // Built in one order, submitted in the other: seq decides, not the id.
      const builtFirst = f.spec('t');
      const builtSecond = f.spec('t');
      await f.store.submit(builtSecond);
      await f.store.submit(builtFirst);
      f.clock.advance(5000);
      const newest = await f.submit('t');
      const urgent = await f.submit('t', { priority: 'high' });
      expect([late.runAt, early.runAt, first.runAt]).toEqual([t0 + 3000, t0 + 1000, t0]);
      expect(ids(await claim())).toEqual([
        urgent.id,
        first.id,
        builtSecond.id,
        builtFirst.id,
        early.id,
        late.id,
        newest.id,
      ]);
    });

    it('does not take a delayed job before its runAt and takes it once the clock passes it', async () => {
      const delayed = await f.submit('t', { delay: 10_000 });
      expect(await claim()).toEqual([]);
      f.clock.advance(9_999);
      expect(await claim()).toEqual([]);
      f.clock.advance(1);
      const [job] = await claim();
      expect(job).toMatchObject({ id: delayed.id, state: 'running', attempt: 1 });
    });

    it('takes a retrying job again only once its runAt has passed', async () => {
      const submitted = await f.submit('t');
      const first = await f.claimOne();
      const retryAt = f.clock.now() + 4000;
      await f.store.fail(submitted.id, first.leaseToken!, {
        error: { message: 'boom', errorClass: 'error' },
        outcome: { state: 'retrying', runAt: retryAt },
      });
      expect(await claim()).toEqual([]);
      f.clock.advance(3999);
      expect(await claim()).toEqual([]);
      f.clock.advance(1);
      const [again] = await claim();
      expect(again).toMatchObject({ id: submitted.id, state: 'running', attempt: 2 });
      expect(again!.leaseToken).not.toBe(first.leaseToken);
    });

    it('skips paused queues and takes their jobs again once resumed', async () => {
      const paused = await f.submit('t', { queue: 'paused-q', priority: 'critical' });
      const open = await f.submit('t', { queue: 'open-q', priority: 'bulk' });
      await f.store.pauseQueue('paused-q');
      expect(ids(await claim())).toEqual([open.id]);
      expect(await claim()).toEqual([]);
      await f.store.resumeQueue('paused-q');
      expect(ids(await claim())).toEqual([paused.id]);
    });

    it('takes only the given types', async () => {
      const a = await f.submit('type-a', { priority: 'critical' });
      const b = await f.submit('type-b');
      const c = await f.submit('type-c');
      expect(ids(await claim({ types: ['type-b', 'type-c'] }))).toEqual([b.id, c.id]);
      expect(await claim({ types: ['type-b'] })).toEqual([]);
      expect(ids(await claim({ types: ['type-a'] }))).toEqual([a.id]);
    });

    it('takes only the given queues', async () => {
      const a = await f.submit('t', { queue: 'qa', priority: 'critical' });
      const b = await f.submit('t', { queue: 'qb' });
      const c = await f.submit('t', { queue: 'qc' });
      expect(ids(await claim({ queues: ['qb', 'qc'] }))).toEqual([b.id, c.id]);
      expect(ids(await claim({ queues: ['qa'], types: ['other'] }))).toEqual([]);
      expect(ids(await claim({ queues: ['qa'], types: ['t'] }))).toEqual([a.id]);
    });

    it('takes at most limit jobs, the first ones in order', async () => {
      const jobs = [];
      for (let i = 0; i < 7; i++) jobs.push(await f.submit('t'));
      expect(ids(await claim({ limit: 3 }))).toEqual(ids(jobs.slice(0, 3)));
      expect(ids(await claim({ limit: 3 }))).toEqual(ids(jobs.slice(3, 6)));
      expect(ids(await claim({ limit: 3 }))).toEqual(ids(jobs.slice(6)));
      expect(await claim({ limit: 3 })).toEqual([]);
    });

    it('does not take pending, running or finished jobs', async () => {
      const dep = await f.submit('t');
      const pending = await f.submit('t', { dependsOn: [dep.id] });
      const [running] = await claim({ limit: 1 });
      expect(running!.id).toBe(dep.id);
      expect(await claim()).toEqual([]);
      await f.store.complete(dep.id, running!.leaseToken!, null);
      const [next] = await claim();
      expect(next!.id).toBe(pending.id);
      expect(await claim()).toEqual([]);
    });

    it('gives each of 50 concurrent claimers different jobs and every job exactly once', async () => {
      const specs = Array.from({ length: 100 }, (_, i) => f.spec('t', {}, i));
      await f.store.submitBatch(specs);
      const round = (limit: number): Promise<Job[][]> =>
        Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            f.store.claim({ workerId: `w-${i}`, limit, leaseMs: LEASE_MS }),
          ),
        );
      const first = await round(1);
      expect(first.every((jobs) => jobs.length === 1)).toBe(true);
      const second = await round(3);
      const all = [...first, ...second].flat();
      expect(all).toHaveLength(100);
      expect(new Set(ids(all)).size).toBe(100);
      expect(ids(all).sort()).toEqual(ids(specs).sort());
      const tokens = new Set(all.map((j) => j.leaseToken));
      expect(tokens.size).toBe(100);
      expect(await claim()).toEqual([]);
      expect((await f.store.counts()).byState.running).toBe(100);
    });
  });
}
