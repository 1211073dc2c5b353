import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createJob, isGqError, PermanentError, type Job } from '@gopherqueue/core';
import { ProcessGuard } from '../process-guard.js';
import type { AttemptHarness } from './attempt-harness.js';
import { gate, until, untilState } from './engine-fixture.js';
import { logCases } from './log-cases.js';
import { retryCases } from './retry-cases.js';
import { snoozeCases } from './snooze-cases.js';
import { weightedCases } from './weighted-cases.js';

const QUICK_RETRY = { strategy: 'constant', initial: 1, jitter: false } as const;

/** Resolves with the signal's reason once it fires. */
function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
}

/**
 * The behaviour of one attempt, the same whatever {@link WorkSource} the pool runs over: the
 * store in process or a server over HTTP. Every adapter calls it with its harness, as every
 * store runs the Store contract suite.
 */
export function attemptSuite(harness: AttemptHarness): void {
  describe(`an attempt over ${harness.name}`, () => {
    afterEach(() => harness.closeAll());

    it('fails a handler that honours its timeout as timed out, and retries it', async () => {
      const e = await harness.open({ concurrency: 1 });
      let reason: unknown;
      e.pool.register('slow', async (ctx) => {
        if (ctx.attempt === 2) return 'second time lucky';
        reason = await aborted(ctx.signal);
        throw reason;
      });
      e.pool.start();
      const spec = createJob('slow', null, { timeout: 100, backoff: QUICK_RETRY });
      await e.submit(spec);
      const done = await untilState(e.store, spec.id, 'completed');
      expect(isGqError(reason, 'GQ_TIMEOUT')).toBe(true);
      expect(done.errors.map((err) => [err.attempt, err.errorClass, err.name])).toEqual([
        [1, 'timeout', 'TimeoutError'],
      ]);
      expect(done.errors[0]!.message).toBe('timed out after 100 ms');
      expect(done.result).toBe('second time lucky');
    });

    it('abandons a handler that ignores its signal after the grace period, and runs the next job', async () => {
      const e = await harness.open({ concurrency: 1, timeoutGraceMs: 100 });
      const never = gate();
      e.pool.register('stuck', () => never.promise);
      e.pool.register('next', () => 'ran');
      e.pool.start();
      const stuck = createJob('stuck', null, { timeout: 100, maxAttempts: 1 });
      const next = createJob('next');
      await e.submit(stuck);
      await e.submit(next);
      expect((await untilState(e.store, next.id, 'completed')).result).toBe('ran');
      const failed = await untilState(e.store, stuck.id, 'dead_letter');
      expect(failed.errors.map((err) => [err.attempt, err.errorClass, err.message])).toEqual([
        [
          1,
          'timeout',
          'timed out after 100 ms; the handler ignored its signal and was abandoned after 100 ms more',
        ],
      ]);
      never.open();
    });

    it('stops a running handler when its job is cancelled, drops its result and frees its slot', async () => {
      const e = await harness.open({ concurrency: 1 });
      const started = gate();
      let reason: unknown;
      e.pool.register('long', async (ctx) => {
        started.open();
        reason = await aborted(ctx.signal);
        return 'too late';
      });
      e.pool.register('next', () => 'ran');
      e.pool.start();
      const long = createJob('long');
      await e.submit(long);
      await started.promise;
      await e.cancel(long.id);
      const next = createJob('next');
      await e.submit(next);
      expect((await untilState(e.store, next.id, 'completed')).result).toBe('ran');
      expect(isGqError(reason, 'GQ_LEASE_LOST')).toBe(true);
      expect((reason as Error).message).toBe(`job ${long.id} was cancelled`);
      const cancelled = (await e.store.get(long.id))!;
      expect([cancelled.state, cancelled.result, cancelled.errors]).toEqual([
        'cancelled',
        undefined,
        [],
      ]);
    });

    it('rejects a checkpoint saved after the job was cancelled with GQ_LEASE_LOST', async () => {
      const e = await harness.open();
      const started = gate();
      const saved = gate();
      let rejection: unknown;
      e.pool.register('late', async (ctx) => {
        started.open();
        await aborted(ctx.signal);
        rejection = await ctx.checkpoint({ page: 9 }).then(
          () => 'saved',
          (err: unknown) => err,
        );
        saved.open();
      });
      e.pool.start();
      const spec = createJob('late');
      await e.submit(spec);
      await started.promise;
      await e.cancel(spec.id);
      await saved.promise;
      expect(isGqError(rejection, 'GQ_LEASE_LOST')).toBe(true);
      expect((await e.store.get(spec.id))!.checkpoint).toBeUndefined();
    });

    it('stops a handler whose lease was taken back, drops its result, and the job runs again', async () => {
      const e = await harness.open({ concurrency: 1, leaseMs: 3_000 });
      const started = gate();
      let reason: unknown;
      e.pool.register('long', async (ctx) => {
        if (ctx.attempt === 2) return 'second';
        started.open();
        reason = await aborted(ctx.signal);
        return 'first, too late';
      });
      e.pool.start();
      const spec = createJob('long', null, { backoff: QUICK_RETRY });
      await e.submit(spec);
      await started.promise;
      // What recovery does when it finds the lease expired: the job fails and will run again.
      const running = (await e.store.get(spec.id))!;
      await e.store.fail(spec.id, running.leaseToken!, {
        error: { message: 'the lease expired', errorClass: 'lease_expired' },
        outcome: { state: 'retrying', runAt: Date.now() },
      });
      const done = await untilState(e.store, spec.id, 'completed');
      expect(isGqError(reason, 'GQ_LEASE_LOST')).toBe(true);
      expect([done.result, done.attempt, done.errors.map((err) => err.errorClass)]).toEqual([
        'second',
        2,
        ['lease_expired'],
      ]);
    });

    it('lets a running handler finish on stop, and releases one still running at the shutdown timeout', async () => {
      const e = await harness.open({ concurrency: 2, shutdownTimeoutMs: 300 });
      const finish = gate();
      const started = { quick: gate(), stubborn: gate() };
      let reason: unknown;
      e.pool.register('quick', async () => {
        started.quick.open();
        await finish.promise;
        return 'finished';
      });
      e.pool.register('stubborn', async (ctx) => {
        started.stubborn.open();
        reason = await aborted(ctx.signal);
        throw reason;
      });
      e.pool.start();
      const quick = createJob('quick');
      const stubborn = createJob('stubborn');
      await e.submit(quick);
      await e.submit(stubborn);
      await Promise.all([started.quick.promise, started.stubborn.promise]);
      const stopped = e.pool.stop();
      finish.open();
      await stopped;
      expect(isGqError(reason, 'GQ_SHUTTING_DOWN')).toBe(true);
      const [finished, released] = (await e.store.getMany([quick.id, stubborn.id])) as Job[];
      expect([finished!.state, finished!.result]).toEqual(['completed', 'finished']);
      expect([released!.state, released!.attempt, released!.errors]).toEqual(['scheduled', 0, []]);
    });

    it('starts the next attempt from the checkpoint the failed one saved', async () => {
      const e = await harness.open();
      const seen: unknown[] = [];
      e.pool.register('pages', async (ctx) => {
        seen.push(ctx.lastCheckpoint);
        if (ctx.attempt === 2) return { resumedFrom: ctx.lastCheckpoint };
        await ctx.checkpoint({ page: 3 });
        throw new Error('crashed at page 4');
      });
      e.pool.start();
      const spec = createJob('pages', null, { backoff: QUICK_RETRY });
      await e.submit(spec);
      const done = await untilState(e.store, spec.id, 'completed');
      expect(seen).toEqual([undefined, { page: 3 }]);
      expect([done.result, done.checkpoint, done.errors.map((err) => err.message)]).toEqual([
        { resumedFrom: { page: 3 } },
        { page: 3 },
        ['crashed at page 4'],
      ]);
    });

    it('stores the progress a handler reports while it runs', async () => {
      const e = await harness.open();
      const proceed = gate();
      e.pool.register('report', async (ctx) => {
        await ctx.progress(40, 'reading');
        await proceed.promise;
        return 'read';
      });
      e.pool.start();
      const spec = createJob('report');
      await e.submit(spec);
      const reading = await until(async () => {
        const job = await e.store.get(spec.id);
        return job?.progress === 40 ? job : undefined;
      }, 'progress 40');
      expect([reading.state, reading.progressMessage]).toEqual(['running', 'reading']);
      proceed.open();
      const done = await untilState(e.store, spec.id, 'completed');
      expect([done.progress, done.result]).toEqual([100, 'read']);
    });

    it('records a throw of a non-Error, a permanent error and a result that is not JSON', async () => {
      const e = await harness.open();
      e.pool.register('string', () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- what is being tested
        throw 'a plain string';
      });
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the same
      e.pool.register('bare', () => Promise.reject(Object.create(null) as object));
      e.pool.register('permanent', () => {
        throw new PermanentError('bad input');
      });
      e.pool.register('bigint', () => 10n);
      e.pool.start();
      const once = { maxAttempts: 1 };
      const specs = ['string', 'bare', 'permanent', 'bigint'].map((type) =>
        createJob(type, null, once),
      );
      for (const spec of specs) await e.submit(spec);
      const ends = await Promise.all(
        specs.map((spec, i) => untilState(e.store, spec.id, i === 2 ? 'failed' : 'dead_letter')),
      );
      expect(ends.map((job) => [job.errors[0]!.errorClass, job.errors[0]!.name])).toEqual([
        ['error', undefined],
        ['error', undefined],
        ['permanent', 'PermanentError'],
        ['error', 'TypeError'],
      ]);
      expect(ends.map((job) => job.errors[0]!.message)).toEqual([
        'a plain string',
        '[object Object]',
        'bad input',
        expect.stringMatching(/^the handler result must be JSON-serialisable/),
      ]);
    });

    it('gives the handler the jobs it depends on, with their results', async () => {
      const e = await harness.open();
      e.pool.register('parent', (ctx) => ({ made: ctx.payload }));
      e.pool.register('child', (ctx) => ctx.dependencies.map((job) => [job.id, job.result]));
      e.pool.start();
      const parent = createJob('parent', 7);
      const child = createJob('child', null, { dependsOn: [parent.id] });
      await e.submit(parent);
      await e.submit(child);
      const done = await untilState(e.store, child.id, 'completed');
      expect(done.result).toEqual([[parent.id, { made: 7 }]]);
    });

    it('fails, under a process guard, the attempt whose handler raised an uncaught error', async () => {
      const events = new EventEmitter();
      const guard = new ProcessGuard({ process: events });
      guard.start();
      try {
        const e = await harness.open({ concurrency: 1 });
        let reason: unknown;
        e.pool.register('careless', (ctx) => {
          // The error of a timer the handler set reaches the process, not the handler's promise.
          setTimeout(() => events.emit('uncaughtException', new RangeError('thrown later')), 5);
          return aborted(ctx.signal).then((why) => {
            reason = why;
            throw why;
          });
        });
        e.pool.register('next', () => 'ran');
        e.pool.start();
        const careless = createJob('careless', null, { maxAttempts: 1 });
        const next = createJob('next');
        await e.submit(careless);
        await e.submit(next);
        const failed = await untilState(e.store, careless.id, 'dead_letter');
        expect(failed.errors.map((err) => [err.errorClass, err.name, err.message])).toEqual([
          ['panic', 'RangeError', 'thrown later'],
        ]);
        expect(reason).toBeInstanceOf(RangeError);
        expect((await untilState(e.store, next.id, 'completed')).result).toBe('ran');
      } finally {
        await guard.stop();
      }
    });

    snoozeCases(harness);
    retryCases(harness);
    logCases(harness);
    weightedCases(harness);
  });
}
