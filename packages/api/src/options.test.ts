import { describe, expect, it } from 'vitest';
import { resolveApiOptions, type ApiOptions } from './options.js';

const base = { store: {}, scheduler: {}, events: {}, auth: 'protected' } as unknown as ApiOptions;

describe('resolveApiOptions', () => {
  it('fills the defaults', () => {
    const resolved = resolveApiOptions(base);
    expect({
      bodyLimitBytes: resolved.bodyLimitBytes,
      maxWaitMs: resolved.maxWaitMs,
      leaseMs: resolved.leaseMs,
      sseKeepAliveMs: resolved.sseKeepAliveMs,
    }).toEqual({
      bodyLimitBytes: 1_048_576,
      maxWaitMs: 300_000,
      leaseMs: 30_000,
      sseKeepAliveMs: 30_000,
    });
  });

  it('caps job waits and claims waiting for work at 1000 each, and refuses a cap that is not a positive integer', () => {
    const resolved = resolveApiOptions(base);
    expect([resolved.maxJobWaits, resolved.maxClaimWaits]).toEqual([1000, 1000]);
    expect(resolveApiOptions({ ...base, maxJobWaits: 3, maxClaimWaits: 4 })).toMatchObject({
      maxJobWaits: 3,
      maxClaimWaits: 4,
    });
    expect(() => resolveApiOptions({ ...base, maxJobWaits: 0 })).toThrow(
      'maxJobWaits must be a positive integer; got 0',
    );
    expect(() => resolveApiOptions({ ...base, maxClaimWaits: 1.5 })).toThrow(
      'maxClaimWaits must be a positive integer; got 1.5',
    );
  });

  it('refuses a keep-alive interval longer than one timer can wait', () => {
    expect(() => resolveApiOptions({ ...base, sseKeepAliveMs: 2 ** 31 })).toThrow(
      'sseKeepAliveMs must be at most 2147483647; got 2147483648',
    );
    expect(resolveApiOptions({ ...base, sseKeepAliveMs: 2 ** 31 - 1 }).sseKeepAliveMs).toBe(
      2 ** 31 - 1,
    );
  });
});
