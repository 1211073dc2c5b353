import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BACKOFF,
  ErrorCode,
  MAX_BACKOFF_MS,
  MAX_DELAY_MS,
  MAX_TIMEOUT_MS,
  MIN_TIME_MS,
  RUN_AT_SKEW_MS,
  uuidv7,
  type Job,
  type JobSpec,
} from '@gopherqueue/core';
import { useStore, type StoreContractHarness } from './contract-fixture.js';

/** Times a store must refuse, whatever its caller checked before. */
export function timeBoundsContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  /** `runAt` values no store may keep: not finite, past what a Date holds, or too far ahead. */
  const badRunAts = (): [string, number][] => [
    ['1e300', 1e300],
    ['8.64e15 + 10', 8.64e15 + 10],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['one ms past the bound', f.clock.now() + MAX_DELAY_MS + RUN_AT_SKEW_MS + 1],
    ['before year 0', MIN_TIME_MS - 1],
  ];

  /** Refused with GQ_INVALID_ARGUMENT naming `field`, and nothing stored. */
  async function expectRefused(promise: Promise<unknown>, field: string): Promise<void> {
    await expect(promise).rejects.toMatchObject({
      name: 'GqError',
      code: ErrorCode.INVALID_ARGUMENT,
      details: { field },
    });
    expect((await f.store.counts()).total).toBe(0);
    expect((await f.store.list()).jobs).toEqual([]);
  }

  describe('submit', () => {
    it('stores a runAt 10 years ahead, and up to a day more for clocks that differ', async () => {
      const now = f.clock.now();
      const delayed = await f.submit('t', { delay: MAX_DELAY_MS });
      expect(delayed).toMatchObject({ state: 'delayed', runAt: now + MAX_DELAY_MS });
      const skewed: JobSpec = { ...f.spec('t'), runAt: now + MAX_DELAY_MS + RUN_AT_SKEW_MS };
      expect((await f.store.submit(skewed)).job.runAt).toBe(now + MAX_DELAY_MS + RUN_AT_SKEW_MS);
      expect(await f.store.nextRunAt()).toBe(now + MAX_DELAY_MS);
    });

    it('refuses a runAt that is not finite or out of bounds with GQ_INVALID_ARGUMENT', async () => {
      for (const [name, runAt] of badRunAts()) {
        const spec: JobSpec = { ...f.spec('t'), runAt };
        await expectRefused(f.store.submit(spec), 'runAt').catch((err: unknown) => {
          throw new Error(`runAt ${name}: ${String(err)}`);
        });
        expect(await f.store.get(spec.id)).toBeUndefined();
      }
    });

    it('refuses a timeout or backoff that is not finite or out of bounds', async () => {
      const base = f.spec('t');
      const cases: [JobSpec, string][] = [
        [{ ...base, timeoutMs: MAX_TIMEOUT_MS + 1 }, 'timeoutMs'],
        [{ ...base, timeoutMs: Number.NaN }, 'timeoutMs'],
        [{ ...base, backoff: { ...DEFAULT_BACKOFF, maxMs: 1e300 } }, 'backoff.maxMs'],
        [
          { ...base, backoff: { ...DEFAULT_BACKOFF, initialMs: MAX_BACKOFF_MS + 1 } },
          'backoff.initialMs',
        ],
      ];
      for (const [spec, field] of cases) await expectRefused(f.store.submit(spec), field);
      expect(await f.store.get(base.id)).toBeUndefined();
    });

    it('refuses a whole batch when one job has a runAt out of bounds', async () => {
      const specs: JobSpec[] = [f.spec('a'), { ...f.spec('b'), runAt: 1e300 }, f.spec('c')];
      await expectRefused(f.store.submitBatch(specs), 'runAt');
      expect(await f.store.getMany(specs.map((s) => s.id))).toEqual([
        undefined,
        undefined,
        undefined,
      ]);
    });
  });

  describe('release', () => {
    it('refuses a runAt out of bounds and leaves the lease as it was', async () => {
      await f.submit('t');
      const running = await f.claimOne();
      for (const [name, runAt] of badRunAts()) {
        await expect(
          f.store.release(running.id, running.leaseToken!, { runAt }),
          name,
        ).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT, details: { field: 'runAt' } });
      }
      expect(await f.get(running.id)).toEqual(running);
      const runAt = f.clock.now() + MAX_DELAY_MS;
      const released = await f.store.release(running.id, running.leaseToken!, { runAt });
      expect(released).toMatchObject({ state: 'scheduled', attempt: 0, runAt });
    });
  });

  describe('leases', () => {
    it('refuses a lease that is not finite or past 10 years, on claim and on heartbeat', async () => {
      const job = await f.submit('t');
      for (const leaseMs of [Number.POSITIVE_INFINITY, Number.NaN, MAX_DELAY_MS + 1, 0]) {
        await expect(
          f.store.claim({ workerId: 'w', limit: 1, leaseMs }),
          String(leaseMs),
        ).rejects.toThrow(RangeError);
      }
      expect(await f.get(job.id)).toMatchObject({ state: 'scheduled', attempt: 0 });
      const running = await f.claimOne();
      for (const leaseMs of [Number.POSITIVE_INFINITY, Number.NaN, 1e300]) {
        await expect(
          f.store.heartbeat(running.id, running.leaseToken!, { leaseMs }),
          String(leaseMs),
        ).rejects.toThrow(RangeError);
      }
      expect(await f.get(running.id)).toEqual(running);
    });
  });

  describe('restore', () => {
    /** A scheduled job as a backup holds it. */
    function saved(runAt: number): Job {
      const t = f.clock.now();
      return {
        id: uuidv7(t),
        type: 'imported',
        queue: 'default',
        payload: null,
        priority: 2,
        state: 'scheduled',
        attempt: 0,
        maxAttempts: 3,
        timeoutMs: 60_000,
        backoff: { ...DEFAULT_BACKOFF },
        runAt,
        dependsOn: [],
        waitingOn: [],
        tags: {},
        errors: [],
        seq: 1,
        createdAt: t,
        updatedAt: t,
      };
    }

    it('refuses the whole import when one job has a runAt out of bounds', async () => {
      const good = saved(f.clock.now());
      for (const [name, runAt] of badRunAts()) {
        await expectRefused(f.store.restore([good, saved(runAt)]), 'runAt').catch(
          (err: unknown) => {
            throw new Error(`runAt ${name}: ${String(err)}`);
          },
        );
      }
      const missing = { ...saved(f.clock.now()), runAt: undefined } as unknown as Job;
      await expectRefused(f.store.restore([good, missing]), 'runAt');
      expect(await f.store.get(good.id)).toBeUndefined();
      await f.store.restore([good]);
      expect(await f.store.get(good.id)).toEqual(good);
    });
  });
}
