import { describe, expect, it } from 'vitest';
import { MAX_TRANSITIONS, type JobState, type JobTransition } from '@gopherqueue/core';
import { useStore, type StoreContractHarness } from './contract-fixture.js';

/** The transitions a job records: every state it enters, when, at which attempt; bounded. */
export function historyContract(harness: StoreContractHarness): void {
  const f = useStore(harness);
  const entry = (state: JobState, at: number, attempt: number): JobTransition => ({
    state,
    at,
    attempt,
  });

  describe('transitions', () => {
    it('records every state a job enters, with its time and attempt, read back as returned', async () => {
      const t0 = f.clock.now();
      const job = await f.submit('t', { delay: '1m', maxAttempts: 3 });
      expect(job.transitions).toEqual([entry('delayed', t0, 0)]);
      f.clock.advance(60_000);
      const first = await f.claimOne();
      expect(first.transitions).toEqual([
        entry('delayed', t0, 0),
        entry('running', t0 + 60_000, 1),
      ]);
      f.clock.advance(1_000);
      // A heartbeat changes no state, so it records nothing.
      await f.store.heartbeat(job.id, first.leaseToken!, { leaseMs: 30_000, progress: 50 });
      f.clock.advance(1_000);
      await f.store.fail(job.id, first.leaseToken!, {
        error: { message: 'boom', errorClass: 'error' },
        outcome: { state: 'retrying', runAt: t0 + 70_000 },
      });
      f.clock.advance(10_000);
      const second = await f.claimOne();
      f.clock.advance(500);
      const done = await f.store.complete(job.id, second.leaseToken!, 'ok');
      const expected = [
        entry('delayed', t0, 0),
        entry('running', t0 + 60_000, 1),
        entry('retrying', t0 + 62_000, 1),
        entry('running', t0 + 72_000, 2),
        entry('completed', t0 + 72_500, 2),
      ];
      expect(done.transitions).toEqual(expected);
      expect((await f.get(job.id)).transitions).toEqual(expected);
    });

    it('records dependencies met, a cancel, a retry and a release', async () => {
      const t0 = f.clock.now();
      const blocker = await f.submit('blocker');
      const dependent = await f.submit('dependent', { dependsOn: [blocker.id] });
      f.clock.advance(1_000);
      const claimed = await f.claimOne({ types: ['blocker'] });
      f.clock.advance(1_000);
      await f.store.complete(blocker.id, claimed.leaseToken!, null);
      f.clock.advance(1_000);
      await f.store.cancel(dependent.id, 'not needed');
      f.clock.advance(1_000);
      await f.store.retry(dependent.id);
      f.clock.advance(1_000);
      const running = await f.claimOne({ types: ['dependent'] });
      f.clock.advance(1_000);
      const released = await f.store.release(dependent.id, running.leaseToken!);
      const expected = [
        entry('pending', t0, 0),
        entry('scheduled', t0 + 2_000, 0),
        entry('cancelled', t0 + 3_000, 0),
        entry('scheduled', t0 + 4_000, 0),
        entry('running', t0 + 5_000, 1),
        entry('scheduled', t0 + 6_000, 0),
      ];
      expect(released.transitions).toEqual(expected);
      expect((await f.get(dependent.id)).transitions).toEqual(expected);
      expect((await f.get(blocker.id)).transitions).toEqual([
        entry('scheduled', t0, 0),
        entry('running', t0 + 1_000, 1),
        entry('completed', t0 + 2_000, 1),
      ]);
    });

    it('records a cancel that cascades to dependents, and a submit cancelled at once', async () => {
      const t0 = f.clock.now();
      const blocker = await f.submit('blocker');
      const dependent = await f.submit('dependent', { dependsOn: [blocker.id] });
      f.clock.advance(1_000);
      await f.store.cancel(blocker.id);
      expect((await f.get(dependent.id)).transitions).toEqual([
        entry('pending', t0, 0),
        entry('cancelled', t0 + 1_000, 0),
      ]);
      const late = await f.submit('late', { dependsOn: [blocker.id] });
      expect(late.transitions).toEqual([entry('cancelled', t0 + 1_000, 0)]);
    });

    it(`keeps the first and the latest ${MAX_TRANSITIONS - 1} of a job retried many times`, async () => {
      const t0 = f.clock.now();
      const job = await f.submit('t', { maxAttempts: 100 });
      const all = [entry('scheduled', t0, 0)];
      for (let attempt = 1; attempt <= 30; attempt++) {
        f.clock.advance(1_000);
        const claimed = await f.claimOne();
        all.push(entry('running', f.clock.now(), attempt));
        f.clock.advance(1_000);
        await f.store.fail(job.id, claimed.leaseToken!, {
          error: { message: `no ${attempt}`, errorClass: 'error' },
          outcome: { state: 'retrying', runAt: f.clock.now() },
        });
        all.push(entry('retrying', f.clock.now(), attempt));
      }
      expect(all).toHaveLength(61);
      const kept = (await f.get(job.id)).transitions!;
      expect(kept).toHaveLength(MAX_TRANSITIONS);
      expect(kept).toEqual([all[0], ...all.slice(-(MAX_TRANSITIONS - 1))]);
    });
  });
}
