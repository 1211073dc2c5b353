import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';

let f: ApiFixture;
beforeEach(async () => {
  f = await createApiFixture();
});
afterEach(async () => {
  await f.close();
});

/** Resolves once some request listens for `job:completed` (the wait is in place). */
async function waiterListening(): Promise<void> {
  while (f.events.listenerCount('job:completed') === 0) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('GET|POST /api/v1/jobs/:id/wait', () => {
  it('answers as soon as the job completes through the lease API', async () => {
    const job = await f.submit('t');
    const waiting = f.call('POST', `/api/v1/jobs/${job.id}/wait`, { body: { timeout: '5m' } });
    await waiterListening();
    const claim = await f.call('POST', '/api/v1/workers/claim', { body: { worker_id: 'w' } });
    const token = claim.body.jobs[0].lease_token as string;
    await f.call('POST', `/api/v1/jobs/${job.id}/complete`, {
      body: { lease_token: token, result: 42 },
    });
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: job.id,
      state: 'completed',
      completed: true,
      success: true,
      timed_out: false,
      result: { job_id: job.id, success: true, output: 42 },
    });
  });

  it('answers a cancelled job as finished without success (GET with ?timeout)', async () => {
    const job = await f.submit('t');
    const waiting = f.call('GET', `/api/v1/jobs/${job.id}/wait?timeout=5m`);
    await waiterListening();
    await f.store.cancel(job.id, 'stop');
    const res = await waiting;
    expect(res.body).toMatchObject({
      state: 'cancelled',
      completed: true,
      success: false,
      timed_out: false,
    });
    expect(res.body.result).toMatchObject({
      success: false,
      error: 'stop',
      error_category: 'cancelled',
    });
  });

  it('answers at once for a finished job and with timed_out when the timeout passes', async () => {
    const job = await f.submit('t');
    const res = await f.call('GET', `/api/v1/jobs/${job.id}/wait?timeout=50ms`);
    expect(res.body).toEqual({
      id: job.id,
      state: 'scheduled',
      completed: false,
      success: false,
      timed_out: true,
    });
    await f.store.cancel(job.id);
    const done = await f.call('POST', `/api/v1/jobs/${job.id}/wait`);
    expect(done.body).toMatchObject({ completed: true, timed_out: false });
  });

  it('validates the id and the timeout', async () => {
    expect((await f.call('GET', '/api/v1/jobs/nope/wait')).status).toBe(400);
    const unknown = await f.call('GET', '/api/v1/jobs/0190a4b2-7c3e-7000-8000-000000000000/wait');
    expect(unknown.status).toBe(404);
    const job = await f.submit('t');
    const bad = await f.call('GET', `/api/v1/jobs/${job.id}/wait?timeout=soon`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('timeout');
  });
});

describe('the cap on job waits', () => {
  let capped: ApiFixture;
  beforeEach(async () => {
    capped = await createApiFixture({ maxJobWaits: 1 });
  });
  afterEach(async () => {
    await capped.close();
  });

  /** Resolves once `count` requests listen for `job:completed`. */
  async function listening(count: number): Promise<void> {
    while (capped.events.listenerCount('job:completed') !== count) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** A wait of `id` for `timeout` that should find the slot taken. */
  async function expectRefused(id: string): Promise<void> {
    const refused = await capped.call('GET', `/api/v1/jobs/${id}/wait?timeout=50ms`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.body).toEqual({
      error: {
        code: 'service_unavailable',
        message: 'too many job waits open (at most 1); try again later',
        details: { max_job_waits: 1 },
      },
    });
  }

  it('answers 503 with Retry-After past maxJobWaits, but at once for a finished job', async () => {
    const [held, other, done] = [
      await capped.submit('t'),
      await capped.submit('t'),
      await capped.submit('t'),
    ];
    await capped.store.cancel(done.id);
    const waiting = capped.call('GET', `/api/v1/jobs/${held.id}/wait?timeout=5m`);
    await listening(1);
    await expectRefused(other.id);
    // A finished job needs no wait, so no slot.
    const finished = await capped.call('GET', `/api/v1/jobs/${done.id}/wait?timeout=5m`);
    expect([finished.status, finished.body.state]).toEqual([200, 'cancelled']);
    await capped.store.cancel(held.id);
    expect((await waiting).body).toMatchObject({ state: 'cancelled', timed_out: false });
    const again = await capped.call('POST', `/api/v1/jobs/${other.id}/wait`, {
      body: { timeout: '10ms' },
    });
    expect([again.status, again.body.timed_out]).toEqual([200, true]);
  });

  it('gives the slot back when a wait times out or its client goes away', async () => {
    const [job, other] = [await capped.submit('t'), await capped.submit('t')];
    const timedOut = await capped.call('GET', `/api/v1/jobs/${job.id}/wait?timeout=10ms`);
    expect([timedOut.status, timedOut.body.timed_out]).toEqual([200, true]);

    const gone = new AbortController();
    const hungUp = Promise.resolve(
      capped.app.request(`/api/v1/jobs/${job.id}/wait?timeout=5m`, { signal: gone.signal }),
    );
    await listening(1);
    await expectRefused(other.id);
    gone.abort();
    await hungUp.catch(() => undefined);
    await listening(0);
    const after = await capped.call('GET', `/api/v1/jobs/${other.id}/wait?timeout=10ms`);
    expect([after.status, after.body.timed_out]).toEqual([200, true]);
  });
});
