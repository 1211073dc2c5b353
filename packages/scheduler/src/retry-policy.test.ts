import { resolveBackoff } from '@gopherqueue/core';
import { describe, expect, it } from 'vitest';
import { failureOutcome } from './retry-policy.js';

const backoff = resolveBackoff({ initialMs: 1000, jitter: false });

describe('failureOutcome', () => {
  it('reads retry lists that are not arrays as none, and attempts that are not a number as 3', () => {
    const odd = (fields: Record<string, unknown>, attempt = 1) =>
      failureOutcome(
        { attempt, maxAttempts: 3, backoff, ...fields },
        { errorClass: 'error', name: 'TypeError' },
        0,
      );
    expect(odd({ noRetryOn: null, retryOn: 'TypeError' })).toEqual({
      state: 'retrying',
      runAt: 1000,
    });
    expect(odd({ maxAttempts: 'many' }, 2)).toEqual({ state: 'retrying', runAt: 2000 });
    expect(odd({ maxAttempts: null }, 3)).toEqual({ state: 'dead_letter' });
    expect(odd({ maxAttempts: Number.NaN }, 3)).toEqual({ state: 'dead_letter' });
    expect(odd({}, Number.NaN)).toEqual({ state: 'dead_letter' });
  });
  it('retries after the backoff while attempts remain', () => {
    expect(
      failureOutcome({ attempt: 1, maxAttempts: 3, backoff }, { errorClass: 'error' }, 10_000),
    ).toEqual({
      state: 'retrying',
      runAt: 11_000,
    });
    expect(
      failureOutcome({ attempt: 2, maxAttempts: 3, backoff }, { errorClass: 'timeout' }, 10_000),
    ).toEqual({
      state: 'retrying',
      runAt: 12_000,
    });
  });
  it('dead-letters when the last attempt failed', () => {
    expect(
      failureOutcome({ attempt: 3, maxAttempts: 3, backoff }, { errorClass: 'error' }, 0),
    ).toEqual({
      state: 'dead_letter',
    });
  });
  it('fails permanent errors and unknown types at once', () => {
    expect(
      failureOutcome({ attempt: 1, maxAttempts: 3, backoff }, { errorClass: 'permanent' }, 0),
    ).toEqual({ state: 'failed' });
    expect(
      failureOutcome({ attempt: 1, maxAttempts: 3, backoff }, { errorClass: 'unknown_type' }, 0),
    ).toEqual({
      state: 'failed',
    });
  });

  it('retries after the wait the error asked for instead of the backoff', () => {
    const job = { attempt: 1, maxAttempts: 3, backoff };
    expect(failureOutcome(job, { errorClass: 'error', retryAfterMs: 0 }, 5000)).toEqual({
      state: 'retrying',
      runAt: 5000,
    });
    expect(failureOutcome(job, { errorClass: 'error', retryAfterMs: 60_000 }, 5000)).toEqual({
      state: 'retrying',
      runAt: 65_000,
    });
    // The attempts still run out.
    expect(
      failureOutcome({ ...job, attempt: 3 }, { errorClass: 'error', retryAfterMs: 1 }, 0),
    ).toEqual({ state: 'dead_letter' });
  });

  it('fails at once a failure noRetryOn names, by error name or error class', () => {
    const job = { attempt: 1, maxAttempts: 3, backoff, noRetryOn: ['TypeError', 'timeout'] };
    expect(failureOutcome(job, { errorClass: 'error', name: 'TypeError' }, 0)).toEqual({
      state: 'failed',
    });
    expect(failureOutcome(job, { errorClass: 'timeout', name: 'TimeoutError' }, 0)).toEqual({
      state: 'failed',
    });
    expect(failureOutcome(job, { errorClass: 'error', name: 'RangeError' }, 0)).toEqual({
      state: 'retrying',
      runAt: 1000,
    });
    expect(failureOutcome(job, { errorClass: 'error' }, 0)).toEqual({
      state: 'retrying',
      runAt: 1000,
    });
  });

  it('retries only a failure retryOn names, and noRetryOn wins over it', () => {
    const job = { attempt: 1, maxAttempts: 3, backoff, retryOn: ['HttpError', 'sandbox_crashed'] };
    expect(failureOutcome(job, { errorClass: 'error', name: 'HttpError' }, 0)).toEqual({
      state: 'retrying',
      runAt: 1000,
    });
    expect(
      failureOutcome(job, { errorClass: 'sandbox_crashed', name: 'SandboxCrashedError' }, 0),
    ).toEqual({
      state: 'retrying',
      runAt: 1000,
    });
    expect(failureOutcome(job, { errorClass: 'error', name: 'TypeError' }, 0)).toEqual({
      state: 'failed',
    });
    expect(failureOutcome(job, { errorClass: 'timeout', name: 'TimeoutError' }, 0)).toEqual({
      state: 'failed',
    });
    expect(
      failureOutcome(
        { ...job, noRetryOn: ['HttpError'] },
        { errorClass: 'error', name: 'HttpError' },
        0,
      ),
    ).toEqual({ state: 'failed' });
    // A permanent error fails whatever retryOn lists, and spent attempts still dead-letter.
    expect(
      failureOutcome({ ...job, retryOn: ['permanent'] }, { errorClass: 'permanent' }, 0),
    ).toEqual({ state: 'failed' });
    expect(
      failureOutcome({ ...job, attempt: 3 }, { errorClass: 'error', name: 'HttpError' }, 0),
    ).toEqual({ state: 'dead_letter' });
  });
});
