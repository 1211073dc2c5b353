import { describe, expect, it } from 'vitest';
import { ErrorCode, uuidv7, type FailInput } from '@gopherqueue/core';
import { expectCode, useStore, type StoreContractHarness } from './contract-fixture.js';

const EXPIRED = { message: 'lease expired', errorClass: 'lease_expired' as const };

/** The input recovery passes: fail the job only if its lease expired by `by`. */
function recoveryInput(by: number, outcome?: FailInput['outcome']): FailInput {
  return {
    error: EXPIRED,
    outcome: outcome ?? { state: 'retrying', runAt: by },
    leaseExpiredBy: by,
  };
}

/** `fail` with `leaseExpiredBy`: the lease's expiry is part of the compare-and-set. */
export function leaseExpiryContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  describe('fail with leaseExpiredBy', () => {
    it('rejects a lease renewed after it was seen expired and leaves the job running', async () => {
      const job = await f.submit('t');
      const claimed = await f.claimOne({ leaseMs: 1000 });
      f.clock.advance(1000);
      const seenAt = f.clock.now();
      expect(await f.store.expiredLeases(seenAt, 10)).toEqual([claimed]);
      f.clock.advance(5);
      const renewed = await f.store.heartbeat(job.id, claimed.leaseToken!, { leaseMs: 5000 });
      expect(renewed.leaseExpiresAt).toBe(seenAt + 5005);
      await expectCode(
        f.store.fail(job.id, claimed.leaseToken!, recoveryInput(seenAt)),
        ErrorCode.LEASE_LOST,
      );
      expect(await f.get(job.id)).toEqual(renewed);
      expect(await f.store.expiredLeases(f.clock.now(), 10)).toEqual([]);
      const done = await f.store.complete(job.id, claimed.leaseToken!, 'still mine');
      expect(done).toMatchObject({ state: 'completed', attempt: 1, result: 'still mine' });
      expect(done.errors).toEqual([]);
    });

    it('fails a lease that expired at or before the given time', async () => {
      const job = await f.submit('t');
      const claimed = await f.claimOne({ leaseMs: 1000 });
      f.clock.advance(1000);
      const now = f.clock.now();
      expect(claimed.leaseExpiresAt).toBe(now);
      const failed = await f.store.fail(job.id, claimed.leaseToken!, recoveryInput(now));
      const expected = {
        ...claimed,
        state: 'retrying',
        runAt: now,
        updatedAt: now,
        errors: [{ ...EXPIRED, attempt: 1, at: now }],
        leaseToken: undefined,
        leaseExpiresAt: undefined,
        workerId: undefined,
        transitions: [...claimed.transitions!, { state: 'retrying', at: now, attempt: 1 }],
      };
      expect(failed).toEqual(expected);
      expect(await f.get(job.id)).toEqual(expected);
      expect((await f.claimOne()).attempt).toBe(2);
    });

    it('rejects a lease that expires after the given time, even by 1 ms', async () => {
      const job = await f.submit('t');
      const claimed = await f.claimOne({ leaseMs: 1000 });
      f.clock.advance(1000);
      await expectCode(
        f.store.fail(job.id, claimed.leaseToken!, recoveryInput(f.clock.now() - 1)),
        ErrorCode.LEASE_LOST,
      );
      expect(await f.get(job.id)).toEqual(claimed);
    });

    it('still checks the token, the state and the id first', async () => {
      const job = await f.submit('t');
      await expectCode(
        f.store.fail(job.id, 'no-lease', recoveryInput(f.clock.now())),
        ErrorCode.LEASE_LOST,
      );
      const claimed = await f.claimOne({ leaseMs: 100 });
      f.clock.advance(100);
      await expectCode(
        f.store.fail(job.id, `${claimed.leaseToken!}x`, recoveryInput(f.clock.now())),
        ErrorCode.LEASE_LOST,
      );
      expect(await f.get(job.id)).toEqual(claimed);
      await expectCode(
        f.store.fail(uuidv7(f.clock.now()), 'token', recoveryInput(f.clock.now())),
        ErrorCode.NOT_FOUND,
      );
    });

    it('dead-letters an expired last attempt and cancels its dependents', async () => {
      const parent = await f.submit('parent', { maxAttempts: 1 });
      const child = await f.submit('child', { dependsOn: [parent.id] });
      const claimed = await f.claimOne({ types: ['parent'], leaseMs: 100 });
      f.clock.advance(150);
      const now = f.clock.now();
      const dead = await f.store.fail(
        parent.id,
        claimed.leaseToken!,
        recoveryInput(now, { state: 'dead_letter' }),
      );
      expect(dead).toMatchObject({ state: 'dead_letter', finishedAt: now, attempt: 1 });
      expect(await f.get(child.id)).toMatchObject({
        state: 'cancelled',
        cancelReason: 'dependency_failed',
      });
    });

    it('rejects a leaseExpiredBy that is not a finite number with RangeError', async () => {
      const job = await f.submit('t');
      const claimed = await f.claimOne();
      for (const by of [Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(f.store.fail(job.id, claimed.leaseToken!, recoveryInput(by))).rejects.toThrow(
          RangeError,
        );
      }
      expect(await f.get(job.id)).toEqual(claimed);
    });
  });
}
