import { resolveBackoff } from '@gopherqueue/core';
import { describe, expect, it } from 'vitest';
import { failureOutcome } from './retry-policy.js';

const backoff = resolveBackoff({ initialMs: 1000, jitter: false });

describe('failureOutcome', () => {
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
});
