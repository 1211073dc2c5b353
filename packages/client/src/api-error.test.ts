import { describe, expect, it } from 'vitest';
import { ApiError, parseRetryAfter } from './api-error.js';
import { HttpTransport } from './http-transport.js';

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP dates, as ms from now', () => {
    const now = Date.parse('2026-10-21T07:28:00Z');
    expect(parseRetryAfter('5', now)).toBe(5_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:27:00 GMT', now)).toBe(0);
  });

  it('is undefined when absent or neither', () => {
    for (const value of [null, '', '-5', '1.5', 'soon']) {
      expect(parseRetryAfter(value)).toBeUndefined();
    }
  });

  it("is the ApiError's retryAfterMs when an error answer carries it", async () => {
    const answer = (headers: Record<string, string>): typeof fetch => {
      return () =>
        Promise.resolve(
          new Response(
            JSON.stringify({ error: { code: 'service_unavailable', message: 'too many waits' } }),
            { status: 503, headers: { 'Content-Type': 'application/json', ...headers } },
          ),
        );
    };
    const busy = new HttpTransport('http://gq.test', undefined, answer({ 'Retry-After': '5' }));
    const error = await busy.json('POST', '/api/v1/jobs/x/wait').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 503, code: 'service_unavailable', retryAfterMs: 5_000 });
    const plain = new HttpTransport('http://gq.test', undefined, answer({}));
    const without = await plain.json('GET', '/x').catch((err: unknown) => err);
    expect((without as ApiError).retryAfterMs).toBeUndefined();
  });
});
