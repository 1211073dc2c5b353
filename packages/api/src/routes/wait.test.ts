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
