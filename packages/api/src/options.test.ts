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

  it('refuses a keep-alive interval longer than one timer can wait', () => {
    expect(() => resolveApiOptions({ ...base, sseKeepAliveMs: 2 ** 31 })).toThrow(
      'sseKeepAliveMs must be at most 2147483647; got 2147483648',
    );
    expect(resolveApiOptions({ ...base, sseKeepAliveMs: 2 ** 31 - 1 }).sseKeepAliveMs).toBe(
      2 ** 31 - 1,
    );
  });
});
