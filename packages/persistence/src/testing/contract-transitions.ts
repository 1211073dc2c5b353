import { describe, expect, it } from 'vitest';
import { ErrorCode, uuidv7, type Job } from '@gopherqueue/core';
import {
  expectCode,
  stateCounts,
  useStore,
  type StoreContractHarness,
} from './contract-fixture.js';

/** Cancel, retry and delete. */
export function transitionsContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  /** One job in each finished state: completed, failed, dead_letter, cancelled. */
  async function finishedJobs(): Promise<
    Record<'completed' | 'failed' | 'dead_letter' | 'cancelled', Job>
  > {
    const completed = await f.submit('completed');
    const failed = await f.submit('failed');
    const dead = await f.submit('dead');
    const cancelled = await f.submit('cancelled');
    const c = await f.claimOne({ types: ['completed'] });
    await f.store.complete(completed.id, c.leaseToken!, 'ok');
    const x = await f.claimOne({ types: ['failed'] });
    await f.store.fail(failed.id, x.leaseToken!, {
      error: { message: 'no', errorClass: 'permanent' },
      outcome: { state: 'failed' },
    });
    const d = await f.claimOne({ types: ['dead'] });
    await f.store.fail(dead.id, d.leaseToken!, {
      error: { message: 'no', errorClass: 'error' },
      outcome: { state: 'dead_letter' },
    });
    await f.store.cancel(cancelled.id, 'not needed');
    return {
      completed: await f.get(completed.id),
      failed: await f.get(failed.id),
      dead_letter: await f.get(dead.id),
      cancelled: await f.get(cancelled.id),
    };
  }

  /** One job in each unfinished state: pending, delayed, scheduled, retrying, running. */
  async function unfinishedJobs(): Promise<
    Record<'pending' | 'delayed' | 'scheduled' | 'retrying' | 'running', Job>
  > {
    const blocker = await f.submit('blocker', { delay: '1h' });
    const pending = await f.submit('pending', { dependsOn: [blocker.id] });
    const scheduled = await f.submit('scheduled', { priority: 'bulk' });
    const retrying = await f.submit('retrying');
    const running = await f.submit('running');
    const r = await f.claimOne({ types: ['retrying'] });
    await f.store.fail(retrying.id, r.leaseToken!, {
      error: { message: 'again', errorClass: 'error' },
      outcome: { state: 'retrying', runAt: f.clock.now() + 60_000 },
    });
    await f.claimOne({ types: ['running'] });
    return {
      pending: await f.get(pending.id),
      delayed: await f.get(blocker.id),
      scheduled: await f.get(scheduled.id),
      retrying: await f.get(retrying.id),
      running: await f.get(running.id),
    };
  }

  describe('cancel', () => {
    it('cancels pending, delayed, scheduled, retrying and running jobs with the reason', async () => {
      const jobs = await unfinishedJobs();
      f.clock.advance(77);
      const now = f.clock.now();
      for (const state of ['pending', 'delayed', 'scheduled', 'retrying', 'running'] as const) {
        const job = jobs[state];
        expect(job.state).toBe(state);
        const cancelled = await f.store.cancel(job.id, `stop ${state}`);
        expect(cancelled).toMatchObject({
          id: job.id,
          state: 'cancelled',
          cancelReason: `stop ${state}`,
          finishedAt: now,
          updatedAt: now,
        });
        expect(cancelled.leaseToken).toBeUndefined();
        expect(await f.get(job.id)).toEqual(cancelled);
      }
      expect((await f.store.counts()).byState).toEqual(stateCounts({ cancelled: 5 }));
    });

    it('rejects the lease of a cancelled running job, so a late completion changes nothing', async () => {
      const job = await f.submit('t');
      const claimed = await f.claimOne();
      const cancelled = await f.store.cancel(job.id, 'operator');
      await expectCode(f.store.complete(job.id, claimed.leaseToken!, 'late'), ErrorCode.LEASE_LOST);
      await expectCode(
        f.store.heartbeat(job.id, claimed.leaseToken!, { leaseMs: 1000, progress: 99 }),
        ErrorCode.LEASE_LOST,
      );
      await expectCode(
        f.store.fail(job.id, claimed.leaseToken!, {
          error: { message: 'aborted', errorClass: 'error' },
          outcome: { state: 'retrying', runAt: f.clock.now() },
        }),
        ErrorCode.LEASE_LOST,
      );
      await expectCode(f.store.release(job.id, claimed.leaseToken!), ErrorCode.LEASE_LOST);
      expect(await f.get(job.id)).toEqual(cancelled);
    });

    it('rejects cancelling a finished job with GQ_INVALID_STATE and changes nothing', async () => {
      const jobs = await finishedJobs();
      for (const job of Object.values(jobs)) {
        await expectCode(f.store.cancel(job.id, 'too late'), ErrorCode.INVALID_STATE);
        expect(await f.get(job.id)).toEqual(job);
      }
    });

    it('answers GQ_NOT_FOUND for an unknown id', async () => {
      await expectCode(f.store.cancel(uuidv7(f.clock.now())), ErrorCode.NOT_FOUND);
    });
  });

  describe('retry', () => {
    it('schedules failed, dead_letter and cancelled jobs again, keeping the attempts', async () => {
      const jobs = await finishedJobs();
      f.clock.advance(500);
      for (const state of ['failed', 'dead_letter', 'cancelled'] as const) {
        const job = jobs[state];
        const retried = await f.store.retry(job.id);
        expect(retried).toMatchObject({ id: job.id, state: 'scheduled', attempt: job.attempt });
        expect(retried.runAt).toBeLessThanOrEqual(f.clock.now());
        expect(await f.get(job.id)).toEqual(retried);
      }
      const claimed = await f.claimOne({ types: ['failed'] });
      expect(claimed.attempt).toBe(2);
      expect((await f.claimOne({ types: ['dead'] })).attempt).toBe(2);
      expect((await f.claimOne({ types: ['cancelled'] })).attempt).toBe(1);
    });

    it('sets attempt back to 0 with resetAttempts', async () => {
      const jobs = await finishedJobs();
      for (const state of ['failed', 'dead_letter', 'cancelled'] as const) {
        const retried = await f.store.retry(jobs[state].id, { resetAttempts: true });
        expect(retried).toMatchObject({ state: 'scheduled', attempt: 0 });
      }
      expect((await f.claimOne({ types: ['dead'] })).attempt).toBe(1);
    });

    it('rejects retrying a job in any other state with GQ_INVALID_STATE', async () => {
      const unfinished = await unfinishedJobs();
      const { completed } = await finishedJobs();
      for (const job of [...Object.values(unfinished), completed]) {
        const before = await f.get(job.id);
        await expectCode(f.store.retry(job.id), ErrorCode.INVALID_STATE);
        expect(await f.get(job.id)).toEqual(before);
      }
      await expectCode(f.store.retry(uuidv7(f.clock.now())), ErrorCode.NOT_FOUND);
    });
  });

  describe('delete', () => {
    it('removes a job in any state but running', async () => {
      const unfinished = await unfinishedJobs();
      const finished = await finishedJobs();
      const { running, ...deletable } = unfinished;
      // Delete the pending job before its dependency, so nothing cascades.
      const order = [deletable.pending, deletable.delayed, deletable.scheduled, deletable.retrying];
      let total = (await f.store.counts()).total;
      for (const job of [...order, ...Object.values(finished)]) {
        const before = await f.get(job.id);
        expect(await f.store.delete(job.id)).toEqual(before);
        expect(await f.store.get(job.id)).toBeUndefined();
        total -= 1;
        expect((await f.store.counts()).total).toBe(total);
      }
      expect((await f.store.counts()).byState).toEqual(stateCounts({ running: 1 }));
      expect((await f.store.list()).jobs.map((j) => j.id)).toEqual([running.id]);
    });

    it('rejects deleting a running job with GQ_INVALID_STATE', async () => {
      const job = await f.submit('t');
      const claimed = await f.claimOne();
      await expectCode(f.store.delete(job.id), ErrorCode.INVALID_STATE);
      expect(await f.get(job.id)).toEqual(claimed);
    });

    it('answers GQ_NOT_FOUND for an unknown or already deleted id', async () => {
      const job = await f.submit('t');
      await f.store.delete(job.id);
      await expectCode(f.store.delete(job.id), ErrorCode.NOT_FOUND);
      await expectCode(f.store.delete(uuidv7(f.clock.now())), ErrorCode.NOT_FOUND);
    });
  });
}
