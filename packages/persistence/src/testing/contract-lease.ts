import { describe, expect, it } from 'vitest';
import {
  boundedError,
  ErrorCode,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_ERRORS,
  uuidv7,
  type Job,
  type Store,
} from '@gopherqueue/core';
import {
  expectCode,
  ids,
  LEASE_MS,
  useStore,
  type StoreContractHarness,
} from './contract-fixture.js';

const BOOM = { message: 'boom', errorClass: 'error' as const, name: 'Error' };

/** Every worker-side call (heartbeat, complete, fail, release) with `token`. */
function workerCalls(store: Store, id: string, token: string): (() => Promise<Job>)[] {
  return [
    () => store.complete(id, token, 'late'),
    () => store.fail(id, token, { error: BOOM, outcome: { state: 'failed' } }),
    () => store.release(id, token),
    () => store.heartbeat(id, token, { leaseMs: LEASE_MS, checkpoint: 'stale' }),
  ];
}

/** Complete, fail, release, heartbeat, fencing tokens and expired leases. */
export function leaseContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  /** Asserts every worker call with `token` gets GQ_LEASE_LOST and leaves the job unchanged. */
  async function expectFenced(id: string, token: string): Promise<void> {
    const before = await f.get(id);
    for (const call of workerCalls(f.store, id, token)) {
      await expectCode(call(), ErrorCode.LEASE_LOST);
      expect(await f.store.get(id)).toEqual(before);
    }
  }

  describe('lease and fencing', () => {
    it('rejects a wrong token with GQ_LEASE_LOST and changes nothing', async () => {
      const job = await f.submit('t');
      const claimed = await f.claimOne();
      await expectFenced(job.id, 'not-the-token');
      await expectFenced(job.id, `${claimed.leaseToken!}x`);
      expect(await f.get(job.id)).toEqual(claimed);
    });

    it('rejects worker calls on a job that is not running with GQ_LEASE_LOST', async () => {
      const job = await f.submit('t');
      await expectFenced(job.id, 'no-lease');
      expect(await f.get(job.id)).toEqual(job);
    });

    it('rejects the token of a completed lease', async () => {
      const job = await f.submit('t');
      const claimed = await f.claimOne();
      await f.store.complete(job.id, claimed.leaseToken!, 1);
      await expectFenced(job.id, claimed.leaseToken!);
      expect(await f.get(job.id)).toMatchObject({ state: 'completed', result: 1 });
    });

    it('rejects the first worker once its lease expired, recovery failed it and it was claimed again', async () => {
      const job = await f.submit('t');
      const first = await f.claimOne({ leaseMs: 1000 });
      f.clock.advance(1000);
      const [expired] = await f.store.expiredLeases(f.clock.now(), 10);
      expect(expired).toEqual(first);
      await f.store.fail(job.id, expired!.leaseToken!, {
        error: { message: 'lease expired', errorClass: 'lease_expired' },
        outcome: { state: 'retrying', runAt: f.clock.now() },
      });
      const second = await f.claimOne();
      expect(second).toMatchObject({ id: job.id, attempt: 2, state: 'running' });
      expect(second.leaseToken).not.toBe(first.leaseToken);
      await expectFenced(job.id, first.leaseToken!);
      expect(await f.get(job.id)).toEqual(second);
      await f.store.complete(job.id, second.leaseToken!, 'second wins');
      expect(await f.get(job.id)).toMatchObject({ state: 'completed', result: 'second wins' });
    });

    it('answers GQ_NOT_FOUND for an unknown id', async () => {
      for (const call of workerCalls(f.store, uuidv7(f.clock.now()), 'token')) {
        await expectCode(call(), ErrorCode.NOT_FOUND);
      }
    });
  });

  describe('heartbeat', () => {
    it('extends the lease from now and saves checkpoint, progress and message', async () => {
      const job = await f.submit('t');
      const claimed = await f.claimOne({ leaseMs: 1000 });
      f.clock.advance(800);
      const now = f.clock.now();
      const beat = await f.store.heartbeat(job.id, claimed.leaseToken!, {
        leaseMs: 5000,
        checkpoint: { page: 3 },
        progress: 40,
        progressMessage: 'page 3 of 7',
      });
      const expected = {
        ...claimed,
        leaseExpiresAt: now + 5000,
        checkpoint: { page: 3 },
        progress: 40,
        progressMessage: 'page 3 of 7',
        updatedAt: now,
      };
      expect(beat).toEqual(expected);
      expect(await f.get(job.id)).toEqual(expected);
      f.clock.advance(1000);
      expect(await f.store.expiredLeases(f.clock.now(), 10)).toEqual([]);
    });

    it('keeps the saved checkpoint when a heartbeat carries none', async () => {
      const job = await f.submit('t');
      const claimed = await f.claimOne();
      await f.store.heartbeat(job.id, claimed.leaseToken!, { leaseMs: LEASE_MS, checkpoint: 'c1' });
      f.clock.advance(10);
      const beat = await f.store.heartbeat(job.id, claimed.leaseToken!, { leaseMs: LEASE_MS });
      expect(beat).toMatchObject({ checkpoint: 'c1', leaseExpiresAt: f.clock.now() + LEASE_MS });
    });

    it('clears the saved checkpoint with a null one', async () => {
      const job = await f.submit('t');
      const claimed = await f.claimOne();
      await f.store.heartbeat(job.id, claimed.leaseToken!, { leaseMs: LEASE_MS, checkpoint: 'c1' });
      const beat = await f.store.heartbeat(job.id, claimed.leaseToken!, {
        leaseMs: LEASE_MS,
        checkpoint: null,
      });
      expect(Object.hasOwn(beat, 'checkpoint')).toBe(false);
      expect(Object.hasOwn(await f.get(job.id), 'checkpoint')).toBe(false);
    });
  });

  describe('complete, fail and release', () => {
    it('completes: stores the result and finishedAt and drops the lease', async () => {
      const job = await f.submit('t');
      const claimed = await f.claimOne();
      f.clock.advance(250);
      const now = f.clock.now();
      const done = await f.store.complete(job.id, claimed.leaseToken!, { sent: 3 });
      const expected = {
        ...claimed,
        state: 'completed',
        result: { sent: 3 },
        progress: 100,
        finishedAt: now,
        updatedAt: now,
        leaseToken: undefined,
        leaseExpiresAt: undefined,
        workerId: undefined,
        transitions: [...claimed.transitions!, { state: 'completed', at: now, attempt: 1 }],
      };
      expect(done).toEqual(expected);
      expect(await f.get(job.id)).toEqual(expected);
    });

    it('completes with a null result, read back as null', async () => {
      const job = await f.submit('t');
      const claimed = await f.claimOne();
      const done = await f.store.complete(job.id, claimed.leaseToken!, null);
      expect(Object.hasOwn(done, 'result') && done.result === null).toBe(true);
      const read = await f.get(job.id);
      expect(Object.hasOwn(read, 'result') && read.result === null).toBe(true);
      expect((await f.store.list({ state: 'completed' })).jobs[0]).toHaveProperty('result', null);
    });

    it('completes with progress 100, keeping a progress object the handler reported', async () => {
      const reported: [string, unknown, unknown][] = [
        ['none', undefined, 100],
        ['number', 40, 100],
        ['object', { page: 3, of: 7 }, { page: 3, of: 7 }],
      ];
      for (const [type, progress, expected] of reported) {
        const job = await f.submit(type);
        const claimed = await f.claimOne({ types: [type] });
        if (progress !== undefined) {
          await f.store.heartbeat(job.id, claimed.leaseToken!, {
            leaseMs: LEASE_MS,
            progress: progress as number,
            progressMessage: 'working',
          });
        }
        const done = await f.store.complete(job.id, claimed.leaseToken!, null);
        expect([type, done.progress]).toEqual([type, expected]);
        expect([type, (await f.get(job.id)).progress]).toEqual([type, expected]);
        if (progress !== undefined) expect(done.progressMessage).toBe('working');
      }
    });

    it('fails to retrying: records the error and sets runAt', async () => {
      const job = await f.submit('t');
      const claimed = await f.claimOne();
      f.clock.advance(100);
      const now = f.clock.now();
      const failed = await f.store.fail(job.id, claimed.leaseToken!, {
        error: { message: 'smtp down', errorClass: 'error', name: 'Error', stack: 'Error: smtp' },
        outcome: { state: 'retrying', runAt: now + 2000 },
      });
      expect(failed).toMatchObject({ state: 'retrying', attempt: 1, runAt: now + 2000 });
      expect(failed.errors).toEqual([
        {
          attempt: 1,
          at: now,
          message: 'smtp down',
          errorClass: 'error',
          name: 'Error',
          stack: 'Error: smtp',
        },
      ]);
      expect(failed.leaseToken).toBeUndefined();
      expect(failed.leaseExpiresAt).toBeUndefined();
      expect(await f.get(job.id)).toEqual(failed);
    });

    it('fails to failed and to dead_letter, keeping one error per attempt', async () => {
      const a = await f.submit('a');
      const b = await f.submit('b', { maxAttempts: 2 });
      const claimedA = await f.claimOne({ types: ['a'] });
      const failed = await f.store.fail(a.id, claimedA.leaseToken!, {
        error: { message: 'bad input', errorClass: 'permanent', name: 'PermanentError' },
        outcome: { state: 'failed' },
      });
      expect(failed).toMatchObject({ state: 'failed', finishedAt: f.clock.now(), attempt: 1 });
      expect(failed.errors).toEqual([
        {
          attempt: 1,
          at: f.clock.now(),
          message: 'bad input',
          errorClass: 'permanent',
          name: 'PermanentError',
        },
      ]);
      const firstB = await f.claimOne({ types: ['b'] });
      const t1 = f.clock.now();
      await f.store.fail(b.id, firstB.leaseToken!, {
        error: { message: 'try 1', errorClass: 'timeout' },
        outcome: { state: 'retrying', runAt: t1 + 10 },
      });
      f.clock.advance(10);
      const secondB = await f.claimOne({ types: ['b'] });
      const dead = await f.store.fail(b.id, secondB.leaseToken!, {
        error: { message: 'try 2', errorClass: 'error' },
        outcome: { state: 'dead_letter' },
      });
      expect(dead).toMatchObject({ state: 'dead_letter', attempt: 2, finishedAt: t1 + 10 });
      expect(dead.errors).toEqual([
        { attempt: 1, at: t1, message: 'try 1', errorClass: 'timeout' },
        { attempt: 2, at: t1 + 10, message: 'try 2', errorClass: 'error' },
      ]);
      expect(await f.get(b.id)).toEqual(dead);
    });

    it(`keeps the first and the latest ${MAX_ERRORS - 1} errors, each cut to its bounds`, async () => {
      const job = await f.submit('t', { maxAttempts: 1000 });
      const huge = 'x'.repeat(100_000);
      let last: Job | undefined;
      for (let attempt = 1; attempt <= MAX_ERRORS + 10; attempt++) {
        const claimed = await f.claimOne();
        last = await f.store.fail(job.id, claimed.leaseToken!, {
          error: {
            message: attempt === 1 ? huge : `try ${attempt}`,
            errorClass: 'error',
            name: attempt === 1 ? 'N'.repeat(300) : 'Error',
            ...(attempt === 1 ? { stack: huge } : {}),
          },
          outcome: { state: 'retrying', runAt: f.clock.now() },
        });
      }
      const errors = last!.errors;
      expect(errors.map((e) => e.attempt)).toEqual([
        1,
        ...Array.from({ length: MAX_ERRORS - 1 }, (_, i) => i + 12),
      ]);
      expect(errors[0]).toEqual({
        attempt: 1,
        at: f.clock.now(),
        message: boundedError({ message: huge }).message,
        errorClass: 'error',
        name: 'N'.repeat(175) + '... [125 more characters]',
        stack: 'x'.repeat(16_356) + '... [83644 more characters]',
      });
      expect(errors[0]!.message).toHaveLength(MAX_ERROR_MESSAGE_LENGTH - 1);
      expect(errors.at(-1)).toEqual({
        attempt: MAX_ERRORS + 10,
        at: f.clock.now(),
        message: `try ${MAX_ERRORS + 10}`,
        errorClass: 'error',
        name: 'Error',
      });
      expect(await f.get(job.id)).toEqual(last);
    });

    it('keeps whole-millisecond times and well-formed error text, whatever a caller passes', async () => {
      const job = await f.submit('t');
      const first = await f.claimOne();
      const now = f.clock.now();
      const failed = await f.store.fail(job.id, first.leaseToken!, {
        error: { message: 'bad byte \u0000 here', errorClass: 'error', stack: 'at \udc00' },
        outcome: { state: 'retrying', runAt: now + 200.25 },
      });
      expect(failed.runAt).toBe(now + 201);
      expect(failed.errors).toEqual([
        {
          attempt: 1,
          at: now,
          message: 'bad byte \ufffd here',
          errorClass: 'error',
          stack: 'at \ufffd',
        },
      ]);
      f.clock.advance(201);
      const second = await f.claimOne();
      const released = await f.store.release(job.id, second.leaseToken!, {
        runAt: f.clock.now() + 0.5,
      });
      expect(released.runAt).toBe(f.clock.now() + 1);
      expect(await f.get(job.id)).toEqual(released);
    });

    it('releases back to scheduled without spending the attempt', async () => {
      const job = await f.submit('t');
      const first = await f.claimOne();
      f.clock.advance(50);
      const released = await f.store.release(job.id, first.leaseToken!);
      expect(released).toMatchObject({ state: 'scheduled', attempt: 0, runAt: f.clock.now() });
      expect(released.leaseToken).toBeUndefined();
      expect(await f.get(job.id)).toEqual(released);
      const second = await f.claimOne();
      expect(second.attempt).toBe(1);
      await f.store.fail(job.id, second.leaseToken!, {
        error: BOOM,
        outcome: { state: 'retrying', runAt: f.clock.now() },
      });
      const third = await f.claimOne();
      expect(third.attempt).toBe(2);
      expect(await f.store.release(job.id, third.leaseToken!)).toMatchObject({ attempt: 1 });
    });

    it('releases with a runAt that claim respects', async () => {
      const job = await f.submit('t');
      const claimed = await f.claimOne();
      const runAt = f.clock.now() + 3000;
      expect(await f.store.release(job.id, claimed.leaseToken!, { runAt })).toMatchObject({
        runAt,
      });
      expect(await f.store.claim({ workerId: 'w', limit: 1, leaseMs: LEASE_MS })).toEqual([]);
      f.clock.advance(3000);
      expect((await f.claimOne()).id).toBe(job.id);
    });
  });

  describe('expiredLeases', () => {
    it('returns exactly the running jobs whose lease expired, oldest expiry first', async () => {
      const a = await f.submit('a');
      const b = await f.submit('b');
      const c = await f.submit('c');
      await f.submit('idle');
      await f.claimOne({ types: ['a'], leaseMs: 1000 });
      f.clock.advance(100);
      await f.claimOne({ types: ['b'], leaseMs: 500 });
      const renewed = await f.claimOne({ types: ['c'], leaseMs: 200 });
      expect(await f.store.expiredLeases(f.clock.now(), 10)).toEqual([]);
      f.clock.advance(150);
      await f.store.heartbeat(c.id, renewed.leaseToken!, { leaseMs: 10_000 });
      f.clock.advance(350);
      // b expires at t0+600 (exactly now), a at t0+1000, c was renewed to t0+10250.
      expect(ids(await f.store.expiredLeases(f.clock.now(), 10))).toEqual([b.id]);
      f.clock.advance(400);
      expect(ids(await f.store.expiredLeases(f.clock.now(), 10))).toEqual([b.id, a.id]);
      expect(ids(await f.store.expiredLeases(f.clock.now(), 1))).toEqual([b.id]);
      expect(ids(await f.store.expiredLeases(f.clock.now() - 401, 10))).toEqual([]);
    });

    it('forgets a lease once the job leaves running', async () => {
      const job = await f.submit('t');
      const claimed = await f.claimOne({ leaseMs: 100 });
      await f.store.complete(job.id, claimed.leaseToken!, null);
      f.clock.advance(1000);
      expect(await f.store.expiredLeases(f.clock.now(), 10)).toEqual([]);
    });
  });
}
