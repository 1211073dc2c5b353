import { describe, expect, it } from 'vitest';
import { uuidv7, type Job } from '@gopherqueue/core';
import { useStore, type StoreContractHarness } from './contract-fixture.js';

/** The options of a job that name which failures retry. */
const RETRY_OPTIONS = { retryOn: ['HttpError', 'timeout'], noRetryOn: ['TypeError'] };

/**
 * A job's `retryOn` and `noRetryOn`, and the wait a failure asked for (`retryAfterMs`), kept
 * through every step of the job's life and an export and import.
 */
export function retryOptionsContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  describe('retry options', () => {
    it('keeps retryOn and noRetryOn from submit through claim, failure, list and completion', async () => {
      const submitted = await f.submit('t', RETRY_OPTIONS);
      expect([submitted.retryOn, submitted.noRetryOn]).toEqual([
        ['HttpError', 'timeout'],
        ['TypeError'],
      ]);
      const [batched] = await f.store.submitBatch([f.spec('b', { retryOn: ['error'] })]);
      expect(batched!.job.retryOn).toEqual(['error']);
      expect(batched!.job).not.toHaveProperty('noRetryOn');
      const plain = await f.submit('plain');
      expect(plain).not.toHaveProperty('retryOn');
      expect(plain).not.toHaveProperty('noRetryOn');

      const claimed = await f.claimOne({ types: ['t'] });
      expect([claimed.retryOn, claimed.noRetryOn]).toEqual([
        ['HttpError', 'timeout'],
        ['TypeError'],
      ]);
      const runAt = f.clock.now() + 10_000;
      const failed = await f.store.fail(claimed.id, claimed.leaseToken!, {
        error: {
          message: 'slow down',
          errorClass: 'error',
          name: 'HttpError',
          retryAfterMs: 10_000,
        },
        outcome: { state: 'retrying', runAt },
      });
      expect(failed).toMatchObject({ state: 'retrying', runAt, ...RETRY_OPTIONS });
      expect(failed.errors).toEqual([
        {
          message: 'slow down',
          errorClass: 'error',
          name: 'HttpError',
          retryAfterMs: 10_000,
          attempt: 1,
          at: f.clock.now(),
        },
      ]);
      expect(await f.get(claimed.id)).toEqual(failed);
      const listed = await f.store.list({ type: 't' });
      expect(listed.jobs).toEqual([failed]);

      f.clock.advance(10_000);
      const again = await f.claimOne({ types: ['t'] });
      const done = await f.store.complete(again.id, again.leaseToken!, 'ok');
      expect(done).toMatchObject({ state: 'completed', ...RETRY_OPTIONS });
      expect(done.errors[0]!.retryAfterMs).toBe(10_000);
    });

    it('exports and imports them as they are', async () => {
      const stored = await f.submit('t', RETRY_OPTIONS);
      const exported: Job[] = [];
      for await (const job of f.store.scan()) exported.push(job);
      const copy: Job = {
        ...exported[0]!,
        id: uuidv7(),
        errors: [
          {
            message: 'x',
            errorClass: 'error',
            name: 'HttpError',
            retryAfterMs: 5,
            attempt: 1,
            at: 1,
          },
        ],
      };
      expect(await f.store.restore([copy])).toBe(1);
      const restored = await f.get(copy.id);
      expect([restored.retryOn, restored.noRetryOn, restored.errors]).toEqual([
        stored.retryOn,
        stored.noRetryOn,
        copy.errors,
      ]);
    });
  });
}
