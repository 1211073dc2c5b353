/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument -- tests read JSON answers as any */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';

let f: ApiFixture;
beforeEach(async () => {
  f = await createApiFixture();
});
afterEach(async () => {
  await f.close();
});

async function claimOne(body: Record<string, unknown> = {}) {
  const res = await f.call('POST', '/api/v1/workers/claim', { body: { worker_id: 'w1', ...body } });
  expect(res.status).toBe(200);
  return res.body.jobs as { id: string; lease_token: string; [k: string]: unknown }[];
}

describe('the lease API', () => {
  it('claims, heartbeats and completes a job, fenced by the lease token', async () => {
    expect(await claimOne()).toEqual([]);
    const job = await f.submit('remote', { n: 1 });
    const [leased] = await claimOne({ lease: '10s', types: ['remote'] });
    expect(leased).toMatchObject({ id: job.id, state: 'running', attempt: 1, worker_id: 'w1' });
    expect(leased!.lease_token).toEqual(expect.any(String));
    const expires = Date.parse(leased!.lease_expires_at as string);
    expect(expires - Date.parse(leased!.started_at as string)).toBe(10_000);

    const beat = await f.call('POST', `/api/v1/jobs/${job.id}/heartbeat`, {
      body: {
        lease_token: leased!.lease_token,
        lease: '20s',
        checkpoint: { page: 3 },
        progress: 40,
        progress_message: 'page 3',
      },
    });
    expect(beat.status).toBe(200);
    expect(beat.body).toMatchObject({ id: job.id, state: 'running' });
    const seen = await f.call('GET', `/api/v1/jobs/${job.id}`);
    expect(seen.body).toMatchObject({
      checkpoint: { page: 3 },
      progress: 40,
      progress_message: 'page 3',
    });
    expect(seen.body).not.toHaveProperty('lease_token');

    const stale = await f.call('POST', `/api/v1/jobs/${job.id}/complete`, {
      body: { lease_token: 'not-the-token', result: 'late' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('lease_lost');
    expect((await f.store.get(job.id))?.state).toBe('running');

    const done = await f.call('POST', `/api/v1/jobs/${job.id}/complete`, {
      body: { lease_token: leased!.lease_token, result: { sent: true } },
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ state: 'completed', result: { sent: true } });
    const again = await f.call('POST', `/api/v1/jobs/${job.id}/complete`, {
      body: { lease_token: leased!.lease_token, result: 'twice' },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('lease_lost');
  });

  it('fails a job to retrying by its backoff, and permanently to failed', async () => {
    const job = await f.submit('remote', null, {
      maxAttempts: 3,
      backoff: { strategy: 'constant', initialMs: 60_000, jitter: false },
    });
    const [leased] = await claimOne();
    const before = Date.now();
    const res = await f.call('POST', `/api/v1/jobs/${job.id}/fail`, {
      body: { lease_token: leased!.lease_token, error: { message: 'boom', name: 'Error' } },
    });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('retrying');
    expect(res.body.errors).toEqual([
      { attempt: 1, message: 'boom', class: 'error', name: 'Error', at: expect.any(String) },
    ]);
    expect(res.body.last_error).toBe('boom');
    const runAt = Date.parse(res.body.scheduled_at);
    expect(runAt).toBeGreaterThanOrEqual(before + 60_000);

    const other = await f.submit('remote');
    const [second] = await claimOne();
    expect(second!.id).toBe(other.id);
    const permanent = await f.call('POST', `/api/v1/jobs/${other.id}/fail`, {
      body: { lease_token: second!.lease_token, error: { message: 'bad input' }, permanent: true },
    });
    expect(permanent.body).toMatchObject({ state: 'failed', last_error: 'bad input' });
    expect(permanent.body.errors[0].class).toBe('permanent');
    const stale = await f.call('POST', `/api/v1/jobs/${other.id}/fail`, {
      body: { lease_token: second!.lease_token, error: { message: 'again' } },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('lease_lost');
  });

  it('records the error class sandbox_crashed a worker reports, and retries the job', async () => {
    const job = await f.submit('remote', null, { maxAttempts: 2 });
    const [leased] = await claimOne();
    const res = await f.call('POST', `/api/v1/jobs/${job.id}/fail`, {
      body: {
        lease_token: leased!.lease_token,
        error: { message: 'sandbox thread 3 ran out of memory', class: 'sandbox_crashed' },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('retrying');
    expect(res.body.errors[0]).toMatchObject({ attempt: 1, class: 'sandbox_crashed' });
  });

  it('tells a worker whose job was cancelled that its lease is lost', async () => {
    const job = await f.submit('remote');
    const [leased] = await claimOne();
    expect((await f.call('POST', `/api/v1/jobs/${job.id}/cancel`)).status).toBe(200);
    const beat = await f.call('POST', `/api/v1/jobs/${job.id}/heartbeat`, {
      body: { lease_token: leased!.lease_token },
    });
    expect(beat.status).toBe(409);
    expect(beat.body.error.code).toBe('lease_lost');
  });

  it('long-polls a claim until a job is submitted', async () => {
    const pending = f.call('POST', '/api/v1/workers/claim', {
      body: { worker_id: 'w2', wait: '20s', limit: 5 },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const job = await f.submit('late');
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body.jobs.map((j: { id: string }) => j.id)).toEqual([job.id]);
  });

  it('gives back at once the jobs claimed for a worker that hung up', async () => {
    const job = await f.submit('remote');
    const gone = new AbortController();
    gone.abort();
    const res = await f.app.request('/api/v1/workers/claim', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ worker_id: 'gone' }),
      signal: gone.signal,
    });
    expect(await res.json()).toEqual({ jobs: [] });
    expect(await f.store.get(job.id)).toMatchObject({ state: 'scheduled', attempt: 0 });
    const [leased] = await claimOne();
    expect(leased).toMatchObject({ id: job.id, attempt: 1, worker_id: 'w1' });
  });

  it('answers an empty claim once the wait passes', async () => {
    const res = await f.call('POST', '/api/v1/workers/claim', {
      body: { worker_id: 'w3', wait: '100ms' },
    });
    expect(res.body).toEqual({ jobs: [] });
  });

  it('claims ahead past limited queues, and never waits for a claim ahead', async () => {
    await f.store.setQueue('capped', { concurrency: 3 });
    await f.submit('remote', {}, { queue: 'capped', priority: 'critical' });
    const open = await f.submit('remote');
    const held = await claimOne({ ahead: true, limit: 5 });
    expect(held.map((job) => job.id)).toEqual([open.id]);
    // Nothing claimable ahead: the answer comes at once though the claim asks to wait 20 s.
    expect(await claimOne({ ahead: true, wait: '20s' })).toEqual([]);
    const bad = await f.call('POST', '/api/v1/workers/claim', {
      body: { worker_id: 'w', ahead: 'yes' },
    });
    expect([bad.status, bad.body.error.details.field]).toEqual([400, 'ahead']);
  });

  it('completes several leased jobs in one request, each end answered on its own, in order', async () => {
    const [a, b, c] = [
      await f.submit('remote'),
      await f.submit('remote'),
      await f.submit('remote'),
    ];
    const leased = await claimOne({ limit: 3 });
    const token = new Map(leased.map((job) => [job.id, job.lease_token]));
    const unknown = '0190a4b2-7c3e-7000-8000-000000000000';
    const res = await f.call('POST', '/api/v1/workers/complete', {
      body: {
        ends: [
          { id: a.id, lease_token: token.get(a.id), result: { n: 1 } },
          { id: b.id, lease_token: 'stale', result: 2 },
          { id: unknown, lease_token: 't', result: null },
          { id: c.id, lease_token: token.get(c.id), result: 'three' },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(
      res.body.results.map((r: { id: string; ok: boolean; error?: { code: string } }) => [
        r.id,
        r.ok,
        r.error?.code,
      ]),
    ).toEqual([
      [a.id, true, undefined],
      [b.id, false, 'lease_lost'],
      [unknown, false, 'not_found'],
      [c.id, true, undefined],
    ]);
    expect(await f.store.get(a.id)).toMatchObject({ state: 'completed', result: { n: 1 } });
    expect(await f.store.get(b.id)).toMatchObject({ state: 'running' });
    expect(await f.store.get(c.id)).toMatchObject({ state: 'completed', result: 'three' });
    for (const [ends, field] of [
      [[], 'ends'],
      [Array.from({ length: 1001 }, () => ({ id: a.id, lease_token: 't', result: null })), 'ends'],
      [[{ id: 'nope', lease_token: 't', result: null }], 'ends.0.id'],
    ] as const) {
      const bad = await f.call('POST', '/api/v1/workers/complete', { body: { ends } });
      expect([bad.status, bad.body.error.details.field]).toEqual([400, field]);
    }
  });

  it('validates claims and lease calls', async () => {
    const noWorker = await f.call('POST', '/api/v1/workers/claim', { body: {} });
    expect(noWorker.status).toBe(400);
    expect(noWorker.body.error.details.field).toBe('worker_id');
    const shortLease = await f.call('POST', '/api/v1/workers/claim', {
      body: { worker_id: 'w', lease: '10ms' },
    });
    expect(shortLease.body.error.details.field).toBe('lease');
    const malformed = await f.call('POST', '/api/v1/jobs/xyz/heartbeat', {
      body: { lease_token: 't' },
    });
    expect(malformed.status).toBe(400);
    const unknown = await f.call('POST', '/api/v1/jobs/0190a4b2-7c3e-7000-8000-000000000000/fail', {
      body: { lease_token: 't', error: { message: 'x' } },
    });
    expect(unknown.status).toBe(404);
    const noToken = await f.call(
      'POST',
      '/api/v1/jobs/0190a4b2-7c3e-7000-8000-000000000000/complete',
      {
        body: { result: 1 },
      },
    );
    expect(noToken.body.error.details.field).toBe('lease_token');
  });
});

describe('the cap on claims waiting for work', () => {
  let capped: ApiFixture;
  beforeEach(async () => {
    capped = await createApiFixture({ maxClaimWaits: 1 });
  });
  afterEach(async () => {
    await capped.close();
  });

  const claim = (body: Record<string, unknown>) =>
    capped.call('POST', '/api/v1/workers/claim', { body: { worker_id: 'w', ...body } });

  /** Resolves once a claim that would wait is refused: the one slot is held. */
  async function slotHeld(): Promise<void> {
    while ((await claim({ types: ['probe'], wait: '1ms' })).status !== 503) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it('answers 503 with Retry-After past maxClaimWaits to a claim that finds no job, not to one that does', async () => {
    const waiting = claim({ worker_id: 'w1', types: ['never'], wait: '20s' });
    await slotHeld();
    const refused = await claim({ types: ['remote'], wait: '20s' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.body).toEqual({
      error: {
        code: 'service_unavailable',
        message: 'too many claims waiting for work (at most 1); try again later',
        details: { max_claim_waits: 1 },
      },
    });
    // A claim that need not wait takes no slot.
    expect((await claim({ types: ['remote'] })).body).toEqual({ jobs: [] });
    const job = await capped.submit('remote');
    const found = await claim({ types: ['remote'], wait: '20s' });
    expect([found.status, found.body.jobs.map((j: { id: string }) => j.id)]).toEqual([
      200,
      [job.id],
    ]);
    const never = await capped.submit('never');
    const woken = await waiting;
    expect(woken.body.jobs.map((j: { id: string }) => j.id)).toEqual([never.id]);
    expect((await claim({ types: ['remote'], wait: '10ms' })).body).toEqual({ jobs: [] });
  });

  it('gives the slot back when a claim times out or its worker hangs up', async () => {
    expect((await claim({ wait: '10ms' })).body).toEqual({ jobs: [] });
    expect((await claim({ wait: '10ms' })).body).toEqual({ jobs: [] });
    const gone = new AbortController();
    const hungUp = Promise.resolve(
      capped.app.request('/api/v1/workers/claim', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ worker_id: 'gone', wait: '20s' }),
        signal: gone.signal,
      }),
    );
    await slotHeld();
    gone.abort();
    await hungUp.catch(() => undefined);
    const after = await claim({ wait: '10ms' });
    expect([after.status, after.body]).toEqual([200, { jobs: [] }]);
  });
});

describe('POST /api/v1/jobs/:id/release', () => {
  it('returns a leased job to scheduled without spending its attempt', async () => {
    const job = await f.submit('remote', { n: 1 });
    const [leased] = await claimOne();
    expect(leased).toMatchObject({ id: job.id, attempt: 1 });
    const res = await f.call('POST', `/api/v1/jobs/${job.id}/release`, {
      body: { lease_token: leased!.lease_token },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: job.id, state: 'scheduled', attempt: 0, errors: [] });
    expect(res.body).not.toHaveProperty('last_error');
    const stored = await f.store.get(job.id);
    expect(stored).toMatchObject({ state: 'scheduled', attempt: 0, errors: [] });

    const [again] = await claimOne();
    expect(again).toMatchObject({ id: job.id, attempt: 1 });
    expect(again!.lease_token).not.toBe(leased!.lease_token);
  });

  it('runs a released job again no sooner than its delay', async () => {
    const job = await f.submit('remote');
    const [leased] = await claimOne();
    const before = Date.now();
    const res = await f.call('POST', `/api/v1/jobs/${job.id}/release`, {
      body: { lease_token: leased!.lease_token, delay: '1m' },
    });
    expect(res.body).toMatchObject({ state: 'scheduled', attempt: 0 });
    expect(Date.parse(res.body.scheduled_at)).toBeGreaterThanOrEqual(before + 60_000);
    expect(await claimOne()).toEqual([]);
  });

  it('answers 409 lease_lost to a stale token and changes nothing', async () => {
    const job = await f.submit('remote');
    const [leased] = await claimOne();
    const stale = await f.call('POST', `/api/v1/jobs/${job.id}/release`, {
      body: { lease_token: 'not-the-token' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('lease_lost');
    expect(await f.store.get(job.id)).toMatchObject({
      state: 'running',
      attempt: 1,
      leaseToken: leased!.lease_token,
    });
    await f.call('POST', `/api/v1/jobs/${job.id}/complete`, {
      body: { lease_token: leased!.lease_token, result: 1 },
    });
    const late = await f.call('POST', `/api/v1/jobs/${job.id}/release`, {
      body: { lease_token: leased!.lease_token },
    });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('lease_lost');
    expect((await f.store.get(job.id))?.state).toBe('completed');
  });

  it('validates the request like the other lease calls', async () => {
    const unknownId = '0190a4b2-7c3e-7000-8000-000000000000';
    const noToken = await f.call('POST', `/api/v1/jobs/${unknownId}/release`, { body: {} });
    expect(noToken.status).toBe(400);
    expect(noToken.body.error.details.field).toBe('lease_token');
    const badDelay = await f.call('POST', `/api/v1/jobs/${unknownId}/release`, {
      body: { lease_token: 't', delay: 'soon' },
    });
    expect(badDelay.status).toBe(400);
    expect(badDelay.body.error.details.field).toBe('delay');
    const malformed = await f.call('POST', '/api/v1/jobs/xyz/release', {
      body: { lease_token: 't' },
    });
    expect(malformed.status).toBe(400);
    const unknown = await f.call('POST', `/api/v1/jobs/${unknownId}/release`, {
      body: { lease_token: 't' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
  });

  it('answers a key limited to queues 404 for a job of another queue, whatever the call', async () => {
    const secured = await createApiFixture({ auth: 'required' });
    try {
      const job = await secured.submit('remote', null, { queue: 'qb' });
      const owner = await secured.key('worker');
      const claimed = await secured.call('POST', '/api/v1/workers/claim', {
        body: { worker_id: 'w1' },
        key: owner,
      });
      const token = claimed.body.jobs[0].lease_token as string;
      const other = await secured.key('worker', ['qa']);
      const calls: [string, object][] = [
        ['heartbeat', { lease_token: 'forged' }],
        ['complete', { lease_token: token, result: null }],
        ['fail', { lease_token: 'forged', error: { message: 'x' } }],
        ['release', { lease_token: 'forged' }],
      ];
      for (const [call, body] of calls) {
        const res = await secured.call('POST', `/api/v1/jobs/${job.id}/${call}`, {
          body,
          key: other,
        });
        expect([call, res.status, res.body.error]).toEqual([
          call,
          404,
          { code: 'not_found', message: `job ${job.id} not found`, details: { id: job.id } },
        ]);
      }
      const many = await secured.call('POST', '/api/v1/workers/complete', {
        body: { ends: [{ id: job.id, lease_token: token, result: null }] },
        key: other,
      });
      expect(many.body.results).toEqual([
        { id: job.id, ok: false, error: { code: 'not_found', message: `job ${job.id} not found` } },
      ]);
      expect((await secured.store.get(job.id))?.state).toBe('running');
      const admin = await secured.key('admin');
      const workers = await secured.call('GET', '/api/v1/workers', { key: admin });
      expect(workers.body.workers).toEqual([
        expect.objectContaining({ id: 'w1', busy: 1, jobs: [job.id] }),
      ]);
    } finally {
      await secured.close();
    }
  });

  it('needs the workers:lease permission', async () => {
    const secured = await createApiFixture({ auth: 'required' });
    try {
      const job = await secured.submit('remote');
      const worker = await secured.key('worker');
      const claimed = await secured.call('POST', '/api/v1/workers/claim', {
        body: { worker_id: 'w1' },
        key: worker,
      });
      const token = claimed.body.jobs[0].lease_token as string;
      const path = `/api/v1/jobs/${job.id}/release`;
      const body = { lease_token: token };
      expect((await secured.call('POST', path, { body })).status).toBe(401);
      const viewer = await secured.key('viewer');
      const denied = await secured.call('POST', path, { body, key: viewer });
      expect(denied.status).toBe(403);
      expect(denied.body.error.code).toBe('forbidden');
      const released = await secured.call('POST', path, { body, key: worker });
      expect(released.status).toBe(200);
      expect(released.body.state).toBe('scheduled');
    } finally {
      await secured.close();
    }
  });
});
