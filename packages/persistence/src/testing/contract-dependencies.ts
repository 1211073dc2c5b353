import { describe, expect, it } from 'vitest';
import { ErrorCode, uuidv7, type Job, type Json } from '@gopherqueue/core';
import {
  expectCode,
  ids,
  LEASE_MS,
  useStore,
  WORKER,
  type StoreContractHarness,
} from './contract-fixture.js';

/** Waiting on dependencies, releasing dependents, and cancelling them when a dependency fails. */
export function dependenciesContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  /** Claims the job of `type` and completes it. */
  async function run(type: string, result: Json = null): Promise<Job> {
    const claimed = await f.claimOne({ types: [type] });
    return f.store.complete(claimed.id, claimed.leaseToken!, result);
  }

  /** Claims the job of `type` and fails it for good, as `state`. */
  async function failAs(type: string, state: 'failed' | 'dead_letter'): Promise<Job> {
    const claimed = await f.claimOne({ types: [type] });
    return f.store.fail(claimed.id, claimed.leaseToken!, {
      error: { message: 'no', errorClass: state === 'failed' ? 'permanent' : 'error' },
      outcome: { state },
    });
  }

  const sorted = (values: readonly string[]): string[] => [...values].sort();

  describe('dependencies', () => {
    it('keeps a job pending while it waits, with waitingOn listing what it waits for', async () => {
      const a = await f.submit('a');
      const b = await f.submit('b');
      const c = await f.submit('c', { dependsOn: [a.id, b.id] });
      expect(c).toMatchObject({ state: 'pending', dependsOn: [a.id, b.id] });
      expect(sorted(c.waitingOn)).toEqual(sorted([a.id, b.id]));
      await run('a');
      const after = await f.get(c.id);
      expect(after).toMatchObject({ state: 'pending', dependsOn: [a.id, b.id], waitingOn: [b.id] });
      expect(ids(await f.store.claim({ workerId: WORKER, limit: 10, leaseMs: LEASE_MS }))).toEqual([
        b.id,
      ]);
    });

    it('schedules D of the diamond A -> B, C -> D only when both B and C completed', async () => {
      const a = await f.submit('a');
      const b = await f.submit('b', { dependsOn: [a.id] });
      const c = await f.submit('c', { dependsOn: [a.id] });
      const d = await f.submit('d', { dependsOn: [b.id, c.id] });
      await run('a');
      expect((await f.get(b.id)).state).toBe('scheduled');
      expect((await f.get(c.id)).state).toBe('scheduled');
      expect(await f.get(d.id)).toMatchObject({ state: 'pending' });
      expect(sorted((await f.get(d.id)).waitingOn)).toEqual(sorted([b.id, c.id]));
      await run('b');
      expect(await f.get(d.id)).toMatchObject({ state: 'pending', waitingOn: [c.id] });
      await run('c');
      expect(await f.get(d.id)).toMatchObject({ state: 'scheduled', waitingOn: [] });
      const claimed = await f.claimOne();
      expect(claimed.id).toBe(d.id);
    });

    it('makes a delayed dependent delayed, not scheduled, when its runAt is still ahead', async () => {
      const a = await f.submit('a');
      const d = await f.submit('d', { dependsOn: [a.id], delay: 60_000 });
      await run('a');
      expect(await f.get(d.id)).toMatchObject({ state: 'delayed', waitingOn: [], runAt: d.runAt });
    });

    for (const ending of ['failed', 'dead_letter', 'cancelled'] as const) {
      it(`cancels waiting dependents transitively when a dependency ends ${ending}`, async () => {
        const a = await f.submit('a');
        const b = await f.submit('b', { dependsOn: [a.id] });
        const c = await f.submit('c', { dependsOn: [b.id] });
        const other = await f.submit('other');
        const d = await f.submit('d', { dependsOn: [other.id, c.id] });
        const unrelated = await f.submit('unrelated', { dependsOn: [other.id] });
        f.clock.advance(40);
        if (ending === 'cancelled') {
          await f.store.cancel(a.id, 'operator');
        } else {
          const claimed = await f.claimOne({ types: ['a'] });
          await f.store.fail(a.id, claimed.leaseToken!, {
            error: { message: 'no', errorClass: ending === 'failed' ? 'permanent' : 'error' },
            outcome: { state: ending },
          });
        }
        expect((await f.get(a.id)).state).toBe(ending);
        for (const job of [b, c, d]) {
          expect(await f.get(job.id)).toMatchObject({
            state: 'cancelled',
            cancelReason: 'dependency_failed',
            finishedAt: f.clock.now(),
          });
        }
        expect(await f.get(unrelated.id)).toMatchObject({
          state: 'pending',
          waitingOn: [other.id],
        });
        expect((await f.store.counts()).byState.cancelled).toBe(ending === 'cancelled' ? 4 : 3);
      });
    }

    it('cancels waiting dependents when a dependency is deleted', async () => {
      const a = await f.submit('a', { delay: 60_000 });
      const b = await f.submit('b', { dependsOn: [a.id] });
      await f.store.delete(a.id);
      expect(await f.get(b.id)).toMatchObject({
        state: 'cancelled',
        cancelReason: 'dependency_failed',
      });
    });

    it('schedules a job whose dependency already completed', async () => {
      const a = await f.submit('a');
      await run('a', 'done');
      const b = await f.submit('b', { dependsOn: [a.id] });
      expect(b).toMatchObject({ state: 'scheduled', dependsOn: [a.id], waitingOn: [] });
      expect((await f.claimOne()).id).toBe(b.id);
    });

    it('creates a job cancelled when its dependency already failed, dead-lettered or was cancelled', async () => {
      const failed = await f.submit('failed');
      const dead = await f.submit('dead');
      const cancelled = await f.submit('cancelled');
      const x = await f.claimOne({ types: ['failed'] });
      await f.store.fail(failed.id, x.leaseToken!, {
        error: { message: 'no', errorClass: 'permanent' },
        outcome: { state: 'failed' },
      });
      const y = await f.claimOne({ types: ['dead'] });
      await f.store.fail(dead.id, y.leaseToken!, {
        error: { message: 'no', errorClass: 'error' },
        outcome: { state: 'dead_letter' },
      });
      await f.store.cancel(cancelled.id);
      for (const dep of [failed, dead, cancelled]) {
        const job = await f.submit('dependent', { dependsOn: [dep.id] });
        expect(job).toMatchObject({ state: 'cancelled', cancelReason: 'dependency_failed' });
        expect(await f.get(job.id)).toEqual(job);
      }
      expect(await f.store.claim({ workerId: WORKER, limit: 10, leaseMs: LEASE_MS })).toEqual([]);
    });

    it('refuses to retry a dependency_failed job while its dependency is failed, naming it', async () => {
      const a = await f.submit('a');
      const b = await f.submit('b', { dependsOn: [a.id] });
      await failAs('a', 'failed');
      const cancelled = await f.get(b.id);
      expect(cancelled).toMatchObject({ state: 'cancelled', cancelReason: 'dependency_failed' });
      const err = await f.store.retry(b.id).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({
        code: ErrorCode.INVALID_STATE,
        message: `cannot retry job ${b.id}: its dependency ${a.id} is failed; retry ${a.id} first`,
        details: { id: b.id, state: 'cancelled', dependsOn: a.id, dependencyState: 'failed' },
      });
      expect(await f.get(b.id)).toEqual(cancelled);
    });

    it('retries a dependency_failed job to wait again once its dependency is retried', async () => {
      const a = await f.submit('a');
      const b = await f.submit('b', { dependsOn: [a.id] });
      await failAs('a', 'dead_letter');
      f.clock.advance(100);
      expect(await f.store.retry(a.id)).toMatchObject({ state: 'scheduled' });
      const retried = await f.store.retry(b.id);
      expect(retried).toMatchObject({
        state: 'pending',
        dependsOn: [a.id],
        waitingOn: [a.id],
        runAt: f.clock.now(),
        attempt: 0,
      });
      expect(retried.cancelReason).toBeUndefined();
      expect(retried.finishedAt).toBeUndefined();
      expect(await f.get(b.id)).toEqual(retried);
      expect(ids(await f.store.claim({ workerId: WORKER, limit: 10, leaseMs: LEASE_MS }))).toEqual([
        a.id,
      ]);
      await f.store.complete(a.id, (await f.get(a.id)).leaseToken!, null);
      expect(await f.get(b.id)).toMatchObject({ state: 'scheduled', waitingOn: [] });
      expect((await f.claimOne()).id).toBe(b.id);
    });

    it('retries a waiting job an operator cancelled to wait on what has not completed', async () => {
      const a = await f.submit('a', { delay: 60_000 });
      const done = await f.submit('done');
      const b = await f.submit('b', { dependsOn: [done.id, a.id] });
      await run('done');
      await f.store.cancel(b.id, 'operator');
      expect(await f.store.retry(b.id)).toMatchObject({ state: 'pending', waitingOn: [a.id] });
      expect(await f.store.claim({ workerId: WORKER, limit: 10, leaseMs: LEASE_MS })).toEqual([]);
      await f.store.cancel(a.id);
      expect(await f.get(b.id)).toMatchObject({
        state: 'cancelled',
        cancelReason: 'dependency_failed',
      });
    });

    it('runs a retried job at once when the dependency that failed it was deleted', async () => {
      const a = await f.submit('a');
      const b = await f.submit('b', { dependsOn: [a.id] });
      await failAs('a', 'failed');
      await f.store.delete(a.id);
      expect(await f.store.retry(b.id)).toMatchObject({
        state: 'scheduled',
        dependsOn: [a.id],
        waitingOn: [],
      });
      const c = await f.submit('c', { dependsOn: [b.id] });
      expect(c).toMatchObject({ state: 'pending', waitingOn: [b.id] });
      await run('b');
      expect(await f.get(c.id)).toMatchObject({ state: 'scheduled', waitingOn: [] });
    });

    it('rejects a dependency on an unknown id with GQ_NOT_FOUND', async () => {
      const a = await f.submit('a');
      const spec = f.spec('b', { dependsOn: [a.id, uuidv7(f.clock.now())] });
      await expectCode(f.store.submit(spec), ErrorCode.NOT_FOUND);
      expect(await f.store.get(spec.id)).toBeUndefined();
      expect((await f.store.counts()).total).toBe(1);
    });

    it('waits on a running dependency and releases the dependent when it completes', async () => {
      const a = await f.submit('a');
      const claimed = await f.claimOne();
      const b = await f.submit('b', { dependsOn: [a.id] });
      expect(b).toMatchObject({ state: 'pending', waitingOn: [a.id] });
      await f.store.complete(a.id, claimed.leaseToken!, 1);
      expect(await f.get(b.id)).toMatchObject({ state: 'scheduled', waitingOn: [] });
    });
  });

  describe('dependents (list with dependsOn)', () => {
    it('lists the jobs whose dependsOn names a job, newest first, in every state, with other filters and pages', async () => {
      const a = await f.submit('a');
      const other = await f.submit('other');
      const b = await f.submit('b', { dependsOn: [a.id] });
      const c = await f.submit('c', { dependsOn: [other.id, a.id], queue: 'q2' });
      const d = await f.submit('d', { dependsOn: [b.id] });
      const e = await f.submit('e', { dependsOn: [a.id] });
      expect(ids((await f.store.list({ dependsOn: a.id })).jobs)).toEqual([e.id, c.id, b.id]);
      expect(ids((await f.store.list({ dependsOn: b.id })).jobs)).toEqual([d.id]);
      expect(ids((await f.store.list({ dependsOn: d.id })).jobs)).toEqual([]);
      // Still listed once they stopped waiting: the dependents of a job, not its waiters.
      await run('a');
      await run('b');
      expect((await f.get(b.id)).state).toBe('completed');
      expect(ids((await f.store.list({ dependsOn: a.id })).jobs)).toEqual([e.id, c.id, b.id]);
      expect(ids((await f.store.list({ dependsOn: a.id, state: 'completed' })).jobs)).toEqual([
        b.id,
      ]);
      expect(ids((await f.store.list({ dependsOn: a.id, queue: 'q2' })).jobs)).toEqual([c.id]);
      expect(ids((await f.store.list({ dependsOn: other.id, type: 'b' })).jobs)).toEqual([]);
      const first = await f.store.list({ dependsOn: a.id, limit: 2 });
      expect(ids(first.jobs)).toEqual([e.id, c.id]);
      expect(first.nextCursor).toBe(c.id);
      const second = await f.store.list({ dependsOn: a.id, limit: 2, cursor: first.nextCursor });
      expect(ids(second.jobs)).toEqual([b.id]);
      expect(second.nextCursor).toBeUndefined();
    });

    it('drops a deleted dependent and keeps the dependents of a deleted dependency', async () => {
      const a = await f.submit('a', { delay: 60_000 });
      const b = await f.submit('b', { dependsOn: [a.id] });
      const c = await f.submit('c', { dependsOn: [a.id] });
      await f.store.delete(c.id);
      expect(ids((await f.store.list({ dependsOn: a.id })).jobs)).toEqual([b.id]);
      await f.store.delete(a.id);
      const after = (await f.store.list({ dependsOn: a.id })).jobs;
      expect(after.map((job) => [job.id, job.state, job.cancelReason])).toEqual([
        [b.id, 'cancelled', 'dependency_failed'],
      ]);
      await f.store.delete(b.id);
      expect((await f.store.list({ dependsOn: a.id })).jobs).toEqual([]);
    });

    it('finds dependents submitted in one batch with their dependency', async () => {
      const parent = f.spec('parent');
      const child = f.spec('child', { dependsOn: [parent.id] });
      await f.store.submitBatch([parent, child]);
      expect(ids((await f.store.list({ dependsOn: parent.id })).jobs)).toEqual([child.id]);
    });
  });
}
