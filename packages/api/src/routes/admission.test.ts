/* eslint-disable @typescript-eslint/no-unsafe-argument -- tests read JSON answers as any */
import { GopherQueueClient, SseParser, type SseEvent } from '@gopherqueue/client';
import type { Job } from '@gopherqueue/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validate } from '../request.js';
import { submitSchema } from '../schemas.js';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';
import { toJobSpec } from '../wire.js';

let f: ApiFixture;
beforeEach(async () => {
  f = await createApiFixture();
});
afterEach(async () => {
  await f.close();
});

const submit = (body: Record<string, unknown>) => f.call('POST', '/api/v1/jobs', { body });

describe('POST /api/v1/jobs with unique, debounce and expiry', () => {
  it('answers 201, then 200 with the first job and a job.deduplicated event for a unique key', async () => {
    const seen: Job[] = [];
    f.events.on('job:deduplicated', (job) => seen.push(job));
    const unique = { key: 'report-7', until: 'started' };
    const first = await submit({ type: 'report', payload: 1, unique });
    expect(first.status).toBe(201);
    expect(first.body.unique).toEqual({ key: 'report-7', until: 'started' });
    const second = await submit({ type: 'report', payload: 2, unique });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({
      id: first.body.id,
      payload: 1,
      deduplicated: true,
      deduplicated_by: 'unique',
    });
    expect(seen.map((job) => job.id)).toEqual([first.body.id]);
  });

  it('answers 200 with the waiting job, its payload replaced, for a debounce key', async () => {
    const debounce = { key: 'user-1', wait: '5s', max_wait: '1m' };
    const first = await submit({ type: 'digest', payload: 'a', debounce });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      state: 'delayed',
      debounce: { key: 'user-1', wait_ms: 5000, max_wait_ms: 60_000 },
    });
    const second = await submit({ type: 'digest', payload: 'b', debounce });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({
      id: first.body.id,
      payload: 'b',
      deduplicated: true,
      deduplicated_by: 'debounce',
    });
  });

  it('takes ttl and expires_at, and shows expires_at', async () => {
    // The ttl counts from the request's arrival, which the store's created_at may follow by a
    // few ms on a loaded machine: bound it by the clock around the request.
    const before = Date.now();
    const ttl = await submit({ type: 't', ttl: '1h' });
    const after = Date.now();
    expect(ttl.status).toBe(201);
    const expires = Date.parse(ttl.body.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(expires).toBeLessThanOrEqual(after + 3_600_000);
    expect(expires).toBeLessThanOrEqual(Date.parse(ttl.body.created_at) + 3_600_000);
    const when = new Date(Date.now() + 60_000).toISOString();
    const absolute = await submit({ type: 't', expires_at: when });
    expect(absolute.body.expires_at).toBe(when);
  });

  it.each([
    [{ unique: { key: '' } }, 'unique.key'],
    [{ unique: { key: 'x'.repeat(513) } }, 'unique.key'],
    [{ unique: { key: 'k', until: 'later' } }, 'unique.until'],
    [{ unique: { key: 'k', until: '0s' } }, 'unique.until'],
    [{ unique: { key: 'k', until: '87601h' } }, 'unique.until'],
    [{ unique: { key: 'k', untill: 'started' } }, 'unique.untill'],
    [{ debounce: { key: 'k' } }, 'debounce.wait'],
    [{ debounce: { key: 'k', wait: '5s', max_wait: '1s' } }, 'debounce.max_wait'],
    [{ debounce: { key: 'k', wait: '5s', maxWait: '1m' } }, 'debounce.maxWait'],
    [{ debounce: { key: 'k', wait: '5s' }, delay: '1s' }, 'debounce'],
    [{ debounce: { key: 'k', wait: '5s' }, unique: { key: 'k' } }, 'debounce'],
    [{ ttl: 'soon' }, 'ttl'],
    [{ ttl: 0 }, 'ttl'],
    [{ expires_at: 'yesterday' }, 'expires_at'],
    [{ expires_at: '2000-01-01T00:00:00Z' }, 'expires_at'],
    [{ ttl: '1s', delay: '1m' }, 'ttl'],
  ])('answers 400 naming the field for %j', async (fields, field) => {
    const res = await submit({ type: 't', ...fields });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.details?.field ?? res.body.error.field).toBe(field);
    expect(res.body.error.message).toContain(field);
    expect((await f.call('GET', '/api/v1/jobs')).body.jobs).toEqual([]);
  });

  it('dedupes in a batch and names a bad field by its index', async () => {
    const res = await f.call('POST', '/api/v1/jobs/batch', {
      body: {
        jobs: [
          { type: 't', payload: 1, unique: { key: 'b' } },
          { type: 't', payload: 2, unique: { key: 'b' } },
          { type: 't', ttl: 'never' },
        ],
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ total: 3, accepted: 2, rejected: 1 });
    expect(res.body.results[1].job).toMatchObject({
      id: res.body.results[0].job.id,
      deduplicated: true,
      deduplicated_by: 'unique',
    });
    expect(res.body.results[2]).toMatchObject({ success: false });
    expect(JSON.stringify(res.body.results[2].error)).toContain('jobs.2.ttl');
  });
});

describe('GET /api/v1/events', () => {
  it('streams job.deduplicated for a matched submit and job.expired after job.cancelled', async () => {
    const res = await f.app.request('/api/v1/events');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    const events: SseEvent[] = [];
    let first = '';
    let late = '';
    while (!events.some((e) => e.event === 'job.expired')) {
      const { done, value } = await reader.read();
      if (done) break;
      const fresh = parser.push(value);
      events.push(...fresh);
      if (fresh.some((e) => e.event === 'connected')) {
        first = (await submit({ type: 't', unique: { key: 'sse' } })).body.id;
        await submit({ type: 't', unique: { key: 'sse' } });
        late = (await f.submit('t', null, { ttl: 1 })).id;
        await new Promise((resolve) => setTimeout(resolve, 5));
        await f.store.expire(10);
      }
    }
    await reader.cancel();
    expect(events.slice(1).map((e) => [e.event, e.id])).toEqual([
      ['job.created', first],
      ['job.deduplicated', first],
      ['job.created', late],
      ['job.cancelled', late],
      ['job.expired', late],
    ]);
    expect(events.at(-1)?.data).toMatchObject({ state: 'cancelled', cancel_reason: 'expired' });
  });
});

describe('the client', () => {
  it('sends unique, debounce, ttl and expiresAt under their wire names', async () => {
    let sent: unknown;
    const client = new GopherQueueClient({
      baseUrl: 'http://gq.test',
      fetch: (_url, init) => {
        sent = JSON.parse(init?.body as string);
        return Promise.resolve(new Response('{}', { status: 201 }));
      },
    });
    const expiresAt = new Date(Date.UTC(2030, 0, 1));
    await client.submit('a', null, { unique: { key: 'u', until: '10m' }, ttl: '1h' });
    expect(sent).toEqual({
      type: 'a',
      payload: null,
      unique: { key: 'u', until: '10m' },
      ttl: '1h',
    });
    await client.submit('b', null, {
      debounce: { key: 'd', wait: '5s', maxWait: '1m' },
      expiresAt,
    });
    expect(sent).toEqual({
      type: 'b',
      payload: null,
      debounce: { key: 'd', wait: '5s', max_wait: '1m' },
      expires_at: '2030-01-01T00:00:00.000Z',
    });
    const spec = toJobSpec(validate(submitSchema, sent), Date.UTC(2029, 0, 1));
    expect(spec).toMatchObject({
      debounce: { key: 'd', waitMs: 5000, maxWaitMs: 60_000 },
      expiresAt: expiresAt.getTime(),
    });
  });
});
