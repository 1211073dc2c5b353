/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument -- tests read JSON answers as any */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';

let f: ApiFixture;
beforeEach(async () => {
  f = await createApiFixture({ bodyLimitBytes: 2048 });
});
afterEach(async () => {
  await f.close();
});

const UNKNOWN = '0190a4b2-7c3e-7000-8000-000000000000';

describe('POST /api/v1/jobs', () => {
  it('creates a job with 201 and answers in the wire format', async () => {
    const res = await f.call('POST', '/api/v1/jobs', {
      body: {
        type: 'email',
        payload: { to: 'a@example.com' },
        priority: 'high',
        timeout: '1m',
        max_attempts: 5,
        tags: { tenant: 'acme' },
        correlation_id: 'c-1',
        queue: 'mail',
        backoff: { strategy: 'linear', initial: '2s', jitter: false },
      },
    });
    expect(res.status).toBe(201);
    const job = res.body;
    expect(job).toMatchObject({
      type: 'email',
      state: 'scheduled',
      priority: 1,
      attempt: 0,
      max_attempts: 5,
      progress: 0,
      tags: { tenant: 'acme' },
      payload: { to: 'a@example.com' },
      queue: 'mail',
      depends_on: [],
      errors: [],
      timeout_ms: 60_000,
      correlation_id: 'c-1',
      backoff: {
        strategy: 'linear',
        initial_ms: 2000,
        max_ms: 3_600_000,
        multiplier: 2,
        jitter: false,
      },
    });
    expect(job.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    expect(job.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(job).not.toHaveProperty('lease_token');
    expect((await f.store.get(job.id))?.priority).toBe(1);
  });

  it('delays a job given a delay', async () => {
    const res = await f.call('POST', '/api/v1/jobs', { body: { type: 't', delay: '1h' } });
    expect(res.status).toBe(201);
    expect(res.body.state).toBe('delayed');
    const runAt = Date.parse(res.body.scheduled_at);
    expect(runAt - Date.parse(res.body.created_at)).toBeGreaterThanOrEqual(3_599_000);
  });

  it('answers 201 then 200 with the same job for one idempotency key', async () => {
    const body = { type: 't', idempotency_key: 'k-1', payload: 1 };
    const first = await f.call('POST', '/api/v1/jobs', { body });
    const second = await f.call('POST', '/api/v1/jobs', { body: { ...body, payload: 2 } });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.payload).toBe(1);
    expect(second.body.deduplicated).toBe(true);
    expect((await f.store.counts()).total).toBe(1);
  });

  it('ignores unknown fields such as id and state, as the original did', async () => {
    const res = await f.call('POST', '/api/v1/jobs', {
      body: { type: 't', id: UNKNOWN, state: 'completed', result: 'forged', extra: { a: 1 } },
    });
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe(UNKNOWN);
    expect(res.body.state).toBe('scheduled');
    expect(await f.store.get(UNKNOWN)).toBeUndefined();
    expect((await f.store.get(res.body.id))?.result).toBeUndefined();
  });

  it('replaces invalid UTF-8 in a body with U+FFFD rather than refusing it', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"type":"t","payload":"a'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('b"}'),
    ]);
    const res = await f.app.request('/api/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bytes,
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    expect((await f.store.get(id))?.payload).toBe('a\uFFFD\uFFFDb');
  });

  it('rejects a body that is not JSON with invalid_request', async () => {
    const res = await f.call('POST', '/api/v1/jobs', {
      raw: '{"type": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: { code: 'invalid_request', message: 'invalid JSON body', details: {} },
    });
  });

  it('rejects a missing type with validation_error naming the field', async () => {
    const res = await f.call('POST', '/api/v1/jobs', { body: { payload: {} } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.details).toEqual({ field: 'type' });
    expect(res.body.error.message).toBe('type is required');
  });

  it('names the offending field for a bad priority, duration or dependency', async () => {
    const bad = [
      [{ type: 't', priority: 9 }, 'priority'],
      [{ type: 't', delay: 'soon' }, 'delay'],
      [{ type: 't', max_attempts: 0 }, 'max_attempts'],
      [{ type: 't', tags: { a: 1 } }, 'tags.a'],
      [{ type: 't', depends_on: ['nope'] }, 'depends_on.0'],
      [{ type: 't', depends_on: [UNKNOWN] }, 'depends_on'],
    ] as const;
    for (const [body, field] of bad) {
      const res = await f.call('POST', '/api/v1/jobs', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('validation_error');
      expect(res.body.error.details.field).toBe(field);
      expect(res.body.error.message).toContain(field);
    }
    expect((await f.store.counts()).total).toBe(0);
  });

  it('answers 413 payload_too_large for a body over the limit', async () => {
    const res = await f.call('POST', '/api/v1/jobs', {
      body: { type: 't', payload: 'x'.repeat(4096) },
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect((await f.store.counts()).total).toBe(0);
  });
});

describe('GET /api/v1/jobs/:id', () => {
  it('answers 400 for a malformed id and 404 for an unknown one', async () => {
    const bad = await f.call('GET', '/api/v1/jobs/not-a-uuid');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    const unknown = await f.call('GET', `/api/v1/jobs/${UNKNOWN}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toEqual({
      code: 'not_found',
      message: `job ${UNKNOWN} not found`,
      details: { id: UNKNOWN },
    });
  });

  it('returns the job with its payload', async () => {
    const job = await f.submit('t', { n: 1 });
    const res = await f.call('GET', `/api/v1/jobs/${job.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: job.id, payload: { n: 1 }, state: 'scheduled' });
  });
});

describe('GET /api/v1/jobs', () => {
  it('filters, paginates and counts', async () => {
    for (let i = 0; i < 5; i++) await f.submit('a', i, { tags: { n: String(i % 2) } });
    await f.submit('b', null, { queue: 'other', priority: 'critical' });
    const all = await f.call('GET', '/api/v1/jobs?limit=4');
    expect(all.body.count).toBe(4);
    expect(all.body.total).toBe(6);
    expect(all.body.jobs[0].type).toBe('b');
    const rest = await f.call('GET', `/api/v1/jobs?limit=4&cursor=${all.body.next_cursor}`);
    expect(rest.body.jobs.map((j: { payload: number }) => j.payload)).toEqual([1, 0]);
    expect(rest.body.next_cursor).toBeUndefined();
    expect((await f.call('GET', '/api/v1/jobs?type=a')).body.count).toBe(5);
    expect((await f.call('GET', '/api/v1/jobs?queue=other')).body).toMatchObject({
      count: 1,
      total: 1,
    });
    expect((await f.call('GET', '/api/v1/jobs?priority=critical')).body.count).toBe(1);
    expect((await f.call('GET', '/api/v1/jobs?tag=n:1')).body.count).toBe(2);
    expect((await f.call('GET', '/api/v1/jobs?state=scheduled')).body.total).toBe(6);
  });

  it('answers 400 naming cursor for a cursor the store never gave, in the jobs and the dead letter', async () => {
    await f.submit('a');
    for (const path of ['/api/v1/jobs', '/api/v1/jobs?state=scheduled', '/api/v1/dead-letter']) {
      const res = await f.call('GET', `${path}${path.includes('?') ? '&' : '?'}cursor=garbage`);
      expect(res.status, path).toBe(400);
      expect(res.body.error).toEqual({
        code: 'validation_error',
        message: 'cursor "garbage" is not valid',
        details: { field: 'cursor' },
      });
    }
  });

  it('lists the dependents of a job with depends_on, without a total, and refuses a non-id', async () => {
    const parent = await f.submit('parent');
    const a = await f.submit('child', 1, { dependsOn: [parent.id] });
    await f.submit('other');
    const b = await f.submit('child', 2, { dependsOn: [parent.id] });
    const res = await f.call('GET', `/api/v1/jobs?depends_on=${parent.id}`);
    expect(res.status).toBe(200);
    expect(res.body.jobs.map((j: { id: string }) => j.id)).toEqual([b.id, a.id]);
    expect(res.body.count).toBe(2);
    expect(res.body.total).toBeUndefined();
    const none = await f.call('GET', `/api/v1/jobs?depends_on=${a.id}&state=pending`);
    expect(none.body).toMatchObject({ jobs: [], count: 0 });
    const bad = await f.call('GET', '/api/v1/jobs?depends_on=nope');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('depends_on');
  });

  it('takes an upper-case job id as the same job: in the path, in depends_on, in ?depends_on=', async () => {
    const parent = await f.submit('parent');
    const upper = parent.id.toUpperCase();
    const got = await f.call('GET', `/api/v1/jobs/${upper}`);
    expect([got.status, got.body.id]).toEqual([200, parent.id]);
    const child = await f.call('POST', '/api/v1/jobs', {
      body: { type: 'child', depends_on: [upper] },
    });
    expect(child.status).toBe(201);
    expect(child.body).toMatchObject({ state: 'pending', depends_on: [parent.id] });
    const listed = await f.call('GET', `/api/v1/jobs?depends_on=${upper}`);
    expect(listed.status).toBe(200);
    expect(listed.body.jobs.map((j: { id: string }) => j.id)).toEqual([child.body.id]);
  });

  it('rejects an unknown state', async () => {
    const res = await f.call('GET', '/api/v1/jobs?state=sleeping');
    expect(res.status).toBe(400);
    expect(res.body.error.details.field).toBe('state');
  });

  it('refuses a query parameter given twice, naming it', async () => {
    const res = await f.call('GET', '/api/v1/jobs?limit=5&state=failed&state=dead_letter');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'validation_error',
      message: 'state: give it once (it was given 2 times)',
      details: { field: 'state' },
    });
  });
});

describe('job actions', () => {
  it('cancels a job (200), then refuses to cancel it again (409)', async () => {
    const job = await f.submit('t');
    const res = await f.call('POST', `/api/v1/jobs/${job.id}/cancel`, {
      body: { reason: 'not needed', force: true },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'cancelled', cancel_reason: 'not needed' });
    const again = await f.call('POST', `/api/v1/jobs/${job.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });

  it('retries a cancelled job and deletes it with 204', async () => {
    const job = await f.submit('t');
    await f.store.cancel(job.id);
    const retried = await f.call('POST', `/api/v1/jobs/${job.id}/retry`, {
      body: { reset_attempts: true },
    });
    expect(retried.status).toBe(200);
    expect(retried.body.state).toBe('scheduled');
    const deleted = await f.call('DELETE', `/api/v1/jobs/${job.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeNull();
    expect((await f.call('GET', `/api/v1/jobs/${job.id}`)).status).toBe(404);
    expect((await f.call('DELETE', `/api/v1/jobs/${job.id}`)).status).toBe(404);
  });

  it('refuses to retry a job that has not failed (409)', async () => {
    const job = await f.submit('t');
    const res = await f.call('POST', `/api/v1/jobs/${job.id}/retry`);
    expect(res.status).toBe(409);
  });

  it('answers the result in the original shape, duration in nanoseconds', async () => {
    const job = await f.submit('t');
    expect((await f.call('GET', `/api/v1/jobs/${job.id}/result`)).status).toBe(404);
    const [claimed] = await f.store.claim({ workerId: 'w', limit: 1, leaseMs: 30_000 });
    const done = await f.store.complete(job.id, claimed!.leaseToken!, { ok: true });
    const res = await f.call('GET', `/api/v1/jobs/${job.id}/result`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      job_id: job.id,
      success: true,
      output: { ok: true },
      duration: (done.finishedAt! - done.startedAt!) * 1_000_000,
      completed_at: new Date(done.finishedAt!).toISOString(),
    });
  });
});

describe('the envelope', () => {
  it('gives every response a unique X-Request-ID', async () => {
    const a = await f.call('GET', '/api/v1/stats');
    const b = await f.call('GET', `/api/v1/jobs/${UNKNOWN}`);
    const c = await f.call('GET', '/nowhere');
    const ids = [a, b, c].map((r) => r.headers.get('x-request-id'));
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 405 method_not_allowed for a known path with a wrong method', async () => {
    const res = await f.call('PUT', '/api/v1/jobs');
    expect(res.status).toBe(405);
    expect(res.body.error.code).toBe('method_not_allowed');
    expect(res.headers.get('allow')).toBe('POST, GET, HEAD');
    const del = await f.call('DELETE', '/api/v1/stats');
    expect(del.status).toBe(405);
    const batch = await f.call('GET', '/api/v1/jobs/batch');
    expect(batch.status).toBe(405);
    expect(batch.headers.get('allow')).toBe('POST');
  });

  it('answers 404 not_found for an unknown route', async () => {
    const res = await f.call('GET', '/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
