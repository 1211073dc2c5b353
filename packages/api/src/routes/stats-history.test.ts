import { ManualClock } from '@gopherqueue/core/testing';
import { ThroughputHistory } from '@gopherqueue/observability';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';
import type { WireHistory } from './stats-history.js';

let f: ApiFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

describe('GET /api/v1/stats/history', () => {
  it('answers 404 when the server keeps no history', async () => {
    const fx = (f = await createApiFixture());
    const res = await fx.call('GET', '/api/v1/stats/history');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ message: 'this server keeps no throughput history' });
  });

  it('answers an hour of minutes in the wire format, percentiles in ms', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 30, 15));
    const history = new ThroughputHistory({ now: () => clock.now() });
    history.record('completed', 'default', 10, 1000);
    history.record('failed', 'other');
    clock.advance(60_000);
    const fx = (f = await createApiFixture({ history }));
    const res = await fx.call('GET', '/api/v1/stats/history');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      since: '2026-01-01T12:30:15.000Z',
      now: '2026-01-01T12:31:15.000Z',
      minute_seconds: 60,
    });
    expect(res.body.queues).toBeUndefined();
    const minutes = (res.body as unknown as WireHistory).minutes;
    expect(minutes).toHaveLength(60);
    expect(minutes.at(-2)).toEqual({
      start: '2026-01-01T12:30:00.000Z',
      completed: 1,
      failed: 1,
      // 10 ms is in the bucket up to 2^(14/4) = 11.314 ms; 1000 ms in the one up to 1024.
      wait_ms: { p50: 11.314, p95: 11.314, p99: 11.314 },
      run_ms: { p50: 1024, p95: 1024, p99: 1024 },
      incomplete: false,
    });
    expect(minutes.at(-1)).toMatchObject({ completed: 0, wait_ms: null });

    const one = await fx.call('GET', '/api/v1/stats/history?queue=other');
    expect(one.body.queues).toEqual(['other']);
    expect((one.body as unknown as WireHistory).minutes.at(-2)).toMatchObject({
      completed: 0,
      failed: 1,
      run_ms: null,
    });

    const bad = await fx.call('GET', '/api/v1/stats/history?queue=' + 'x'.repeat(300));
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toMatchObject({ field: 'queue' });
  });
});
