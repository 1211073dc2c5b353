import { describe, expect, it } from 'vitest';
import type { Job } from '@gopherqueue/core';
import { abortKindFor } from './abort-reason.js';

const held = { id: 'j', attempt: 2, leaseToken: 't2', workerId: 'w' } as Job;

describe('abortKindFor', () => {
  it('ignores a change reported late about the job before this attempt (its submit, the previous end)', () => {
    expect(abortKindFor({ id: 'j', state: 'scheduled', attempt: 0 }, held)).toBeUndefined();
    expect(abortKindFor({ id: 'j', state: 'retrying', attempt: 1 }, held)).toBeUndefined();
    expect(
      abortKindFor({ id: 'j', state: 'running', attempt: 1, leaseToken: 't1' }, held),
    ).toBeUndefined();
  });

  it('stops the attempt on a cancel, a lease taken back or a claim by someone else', () => {
    expect(abortKindFor({ id: 'j', state: 'cancelled', attempt: 2 }, held)).toBe('cancelled');
    expect(abortKindFor({ id: 'j', state: 'retrying', attempt: 2 }, held)).toBe('lease_lost');
    expect(abortKindFor({ id: 'j', state: 'running', attempt: 3 }, held)).toBe('lease_lost');
    expect(abortKindFor({ id: 'j', state: 'running', attempt: 2, leaseToken: 'other' }, held)).toBe(
      'lease_lost',
    );
  });

  it('keeps the attempt on its own changes (progress, heartbeat)', () => {
    expect(
      abortKindFor({ id: 'j', state: 'running', attempt: 2, leaseToken: 't2' }, held),
    ).toBeUndefined();
    expect(
      abortKindFor({ id: 'j', state: 'running', attempt: 2, workerId: 'w' }, held),
    ).toBeUndefined();
  });
});
