import { expect, it } from 'vitest';
import { createJob, RetryableError, type Job } from '@gopherqueue/core';
import type { AttemptHarness } from './attempt-harness.js';
import { untilState } from './engine-fixture.js';

const QUICK_RETRY = { strategy: 'constant', initial: 1, jitter: false } as const;

/** An error named `name`, as a library's own error class would be. */
function named(name: string, message: string, fields: Record<string, unknown> = {}): Error {
  const error = new Error(message);
  error.name = name;
  return Object.assign(error, fields);
}

/**
 * Retry behaviour named by errors (`retryAfter`, `retry: false`) and by the job's `retryOn` and
 * `noRetryOn`, whatever source the pool runs over. Part of the attempt suite.
 */
export function retryCases(harness: AttemptHarness): void {
  it("retries after the error's retryAfter instead of the backoff, and records it", async () => {
    const e = await harness.open();
    const runs: { attempt: number; at: number; job: Job }[] = [];
    e.pool.register('busy', (ctx) => {
      runs.push({ attempt: ctx.attempt, at: Date.now(), job: ctx.job });
      if (ctx.attempt === 1) throw new RetryableError('busy', { retryAfter: '150ms' });
      if (ctx.attempt === 2) throw named('HttpError', 'too many requests', { retryAfter: 100 });
      return 'done';
    });
    e.pool.start();
    // A backoff of an hour: only the errors' own waits let the job run again soon.
    const spec = createJob('busy', null, {
      maxAttempts: 3,
      backoff: { strategy: 'constant', initial: '1h' },
    });
    await e.submit(spec);
    const done = await untilState(e.store, spec.id, 'completed');
    expect(runs.map((run) => run.attempt)).toEqual([1, 2, 3]);
    expect(
      done.errors.map((err) => [err.attempt, err.errorClass, err.name, err.retryAfterMs]),
    ).toEqual([
      [1, 'error', 'RetryableError', 150],
      [2, 'error', 'HttpError', 100],
    ]);
    expect(runs[1]!.job.runAt).toBeGreaterThanOrEqual(runs[0]!.at + 150);
    expect(runs[2]!.job.runAt).toBeGreaterThanOrEqual(runs[1]!.at + 100);
  });

  it('fails at once an error with retry: false, and what retryOn and noRetryOn rule out', async () => {
    const e = await harness.open();
    e.pool.register('refused', () => {
      throw new RetryableError('the card was declined', { retry: false });
    });
    e.pool.register('bare', () => {
      throw named('ValidationError', 'bad input', { retry: false });
    });
    e.pool.register('typo', (ctx) => {
      if (ctx.attempt === 1) throw named('HttpError', 'a network blip');
      throw new TypeError('x is not a function');
    });
    e.pool.register('other', () => {
      throw new RangeError('out of range');
    });
    e.pool.start();
    const options = { maxAttempts: 3, backoff: QUICK_RETRY };
    const refused = createJob('refused', null, options);
    const bare = createJob('bare', null, options);
    const typo = createJob('typo', null, { ...options, noRetryOn: ['TypeError'] });
    const other = createJob('other', null, { ...options, retryOn: ['HttpError', 'timeout'] });
    for (const spec of [refused, bare, typo, other]) await e.submit(spec);
    const ends = await Promise.all(
      [refused, bare, typo, other].map((spec) => untilState(e.store, spec.id, 'failed')),
    );
    expect(
      ends.map((job) => job.errors.map((err) => [err.attempt, err.errorClass, err.name])),
    ).toEqual([
      [[1, 'permanent', 'RetryableError']],
      [[1, 'permanent', 'ValidationError']],
      [
        [1, 'error', 'HttpError'],
        [2, 'error', 'TypeError'],
      ],
      [[1, 'error', 'RangeError']],
    ]);
    expect([ends[2]!.noRetryOn, ends[3]!.retryOn]).toEqual([
      ['TypeError'],
      ['HttpError', 'timeout'],
    ]);
  });
}
