import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { LevelStore } from '@gopherqueue/persistence';
import { JobEventRelay, Scheduler } from '@gopherqueue/scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, GopherQueueClient } from '@gopherqueue/client';
import { createApi } from './create-api.js';

let dir: string;
let store: LevelStore;
let scheduler: Scheduler;
let events: JobEventRelay;
let server: ServerType;
let client: GopherQueueClient;
let baseUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gq-api-retry-'));
  store = await LevelStore.open({ location: join(dir, 'data') });
  scheduler = new Scheduler({ store });
  await scheduler.start();
  events = new JobEventRelay({ store });
  events.start();
  const app = createApi({ store, scheduler, events, auth: 'off' });
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
      resolve(info.port);
    });
  });
  baseUrl = `http://127.0.0.1:${port}`;
  client = new GopherQueueClient({ baseUrl });
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    if ('closeAllConnections' in server) server.closeAllConnections();
  });
  await events.stop();
  await scheduler.stop();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** The 400 a raw submit body gets, as `[status, code, field]`. */
async function refusal(body: unknown): Promise<[number, string, unknown]> {
  const res = await fetch(`${baseUrl}/api/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as { error: { code: string; details?: { field?: unknown } } };
  return [res.status, answer.error.code, answer.error.details?.field];
}

describe('retry options over HTTP', () => {
  it('stores retry_on and no_retry_on, shows them, and refuses bad ones naming the field', async () => {
    const job = await client.submit('remote.fetch', null, {
      retryOn: ['HttpError', 'timeout'],
      noRetryOn: ['TypeError'],
      maxAttempts: 3,
    });
    expect([job.retry_on, job.no_retry_on]).toEqual([['HttpError', 'timeout'], ['TypeError']]);
    expect(await store.get(job.id)).toMatchObject({
      retryOn: ['HttpError', 'timeout'],
      noRetryOn: ['TypeError'],
    });
    const batch = await client.submitBatch([{ type: 'b', noRetryOn: ['panic'] }]);
    const batched = batch.results[0]?.job;
    expect(batched?.no_retry_on).toEqual(['panic']);
    expect(batched).not.toHaveProperty('retry_on');

    const before = (await store.counts()).total;
    const tooMany = Array.from({ length: 33 }, (_, i) => `E${i}`);
    expect(await refusal({ type: 't', retry_on: 'TypeError' })).toEqual([
      400,
      'validation_error',
      'retry_on',
    ]);
    expect(await refusal({ type: 't', no_retry_on: tooMany })).toEqual([
      400,
      'validation_error',
      'no_retry_on',
    ]);
    expect(await refusal({ type: 't', retry_on: ['ok', ''] })).toEqual([
      400,
      'validation_error',
      'retry_on.1',
    ]);
    expect(await refusal({ type: 't', no_retry_on: ['x'.repeat(201)] })).toEqual([
      400,
      'validation_error',
      'no_retry_on.0',
    ]);
    expect((await store.counts()).total).toBe(before);
  });

  it("lets a remote worker's failure name its retry_after, and applies the job's retry_on", async () => {
    const job = await client.submit('remote.limited', null, {
      retryOn: ['HttpError'],
      backoff: { strategy: 'constant', initial: '1h' },
    });
    const [leased] = await client.claim({ workerId: 'w', types: ['remote.limited'] });
    const before = Date.now();
    const failed = await client.fail(job.id, leased!.lease_token, {
      message: 'too many requests',
      name: 'HttpError',
      retry_after: '2m',
    });
    expect(failed.state).toBe('retrying');
    const runAt = Date.parse(failed.scheduled_at ?? '');
    expect(runAt).toBeGreaterThanOrEqual(before + 120_000);
    expect(runAt).toBeLessThan(before + 3_600_000);
    expect(failed.errors.map((e) => [e.class, e.name, e.retry_after_ms])).toEqual([
      ['error', 'HttpError', 120_000],
    ]);

    // A failure the job's retry_on does not name fails it at once.
    const other = await client.submit('remote.strict', null, { retryOn: ['HttpError'] });
    const [strict] = await client.claim({ workerId: 'w', types: ['remote.strict'] });
    const ended = await client.fail(other.id, strict!.lease_token, {
      message: 'bad',
      name: 'TypeError',
    });
    expect([ended.state, ended.errors.map((e) => e.retry_after_ms)]).toEqual([
      'failed',
      [undefined],
    ]);

    // A bad retry_after is a 400 naming it, and the lease is left as it was.
    const third = await client.submit('remote.third');
    const [held] = await client.claim({ workerId: 'w', types: ['remote.third'] });
    const refused = await client
      .fail(third.id, held!.lease_token, { message: 'x', retry_after: 'soon' })
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ApiError);
    expect([(refused as ApiError).status, (refused as ApiError).details]).toEqual([
      400,
      { field: 'error.retry_after' },
    ]);
    expect((await store.get(third.id))?.state).toBe('running');
  });
});
