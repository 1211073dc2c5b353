import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { LevelStore } from '@gopherqueue/persistence';
import { JobEventRelay, Scheduler } from '@gopherqueue/scheduler';
import { ApiKeyManager, AuditLog } from '@gopherqueue/security';
import { HealthChecker, Metrics } from '@gopherqueue/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '@gopherqueue/client';
import { GopherQueueClient } from '@gopherqueue/client';
import { createApi } from './create-api.js';
import type { SseEvent } from '@gopherqueue/client';

let dir: string;
let store: LevelStore;
let scheduler: Scheduler;
let events: JobEventRelay;
let server: ServerType;
let client: GopherQueueClient;
let baseUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gq-api-client-'));
  store = await LevelStore.open({ location: join(dir, 'data') });
  scheduler = new Scheduler({ store });
  await scheduler.start();
  events = new JobEventRelay({ store });
  events.start();
  const health = new HealthChecker();
  health.register('store', () => store.ping());
  health.markReady();
  const metrics = new Metrics({ collectProcessMetrics: false });
  metrics.observeEvents(events);
  const app = createApi({
    store,
    scheduler,
    events,
    keys: new ApiKeyManager({ meta: store.meta }),
    audit: new AuditLog({ meta: store.meta }),
    auth: 'protected',
    getRemoteAddress: (c) => getConnInfo(c).remote.address,
    health,
    metrics,
    workers: () => ({ busy: 0, concurrency: 4 }),
  });
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
      resolve(info.port);
    });
  });
  baseUrl = `http://127.0.0.1:${port}`;
  client = new GopherQueueClient({ baseUrl: `${baseUrl}/` });
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

describe('GopherQueueClient against a real server', () => {
  it('submits, reads, lists, cancels, retries and deletes jobs', async () => {
    const job = await client.submit('email', { to: 'a' }, { priority: 'high', tags: { t: '1' } });
    expect(job).toMatchObject({ type: 'email', priority: 1, state: 'scheduled', tags: { t: '1' } });
    expect(await client.submit('email', null, { idempotencyKey: 'same' })).not.toHaveProperty(
      'deduplicated',
    );
    expect((await client.submit('email', null, { idempotencyKey: 'same' })).deduplicated).toBe(
      true,
    );
    const batch = await client.submitBatch([{ type: 'a' }, { type: 'b', queue: 'q2' }], {
      atomic: true,
    });
    expect(batch).toMatchObject({ total: 2, accepted: 2, rejected: 0 });
    expect((await client.get(job.id)).payload).toEqual({ to: 'a' });
    const page = await client.list({ type: 'email', tag: { key: 't', value: '1' }, limit: 10 });
    expect(page.jobs.map((j) => j.id)).toEqual([job.id]);
    expect((await client.cancel(job.id, { reason: 'r' })).state).toBe('cancelled');
    expect((await client.retry(job.id, { resetAttempts: true })).state).toBe('scheduled');
    await client.cancel(job.id);
    await client.delete(job.id);
    const missing = await client.get(job.id).catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(ApiError);
    expect(missing).toMatchObject({ status: 404, code: 'not_found', details: { id: job.id } });
  });

  it('runs a job through the lease API and waits for it', async () => {
    const job = await client.submit('remote', { n: 2 }, { queue: 'remote', maxAttempts: 1 });
    const waiting = client.wait(job.id, '1m');
    const [leased] = await client.claim({ workerId: 'w1', queues: ['remote'], lease: '10s' });
    expect(leased?.id).toBe(job.id);
    const beat = await client.heartbeat(job.id, leased!.lease_token, {
      progress: 50,
      checkpoint: { step: 1 },
    });
    expect(beat.state).toBe('running');
    const lost = await client
      .complete(job.id, 'stale-token', 1)
      .catch((err: unknown) => err as ApiError);
    expect(lost).toMatchObject({ status: 409, code: 'lease_lost' });
    expect((await client.complete(job.id, leased!.lease_token, { sum: 4 })).state).toBe(
      'completed',
    );
    const answer = await waiting;
    expect(answer).toMatchObject({ completed: true, success: true, timed_out: false });
    expect((await client.result(job.id)).output).toEqual({ sum: 4 });

    const failing = await client.submit('remote', null, { queue: 'remote', maxAttempts: 1 });
    const [again] = await client.claim({ workerId: 'w1', queues: ['remote'], wait: '5s' });
    const failed = await client.fail(failing.id, again!.lease_token, { message: 'nope' });
    expect(failed.state).toBe('dead_letter');
    const dead = await client.deadLetter({ queue: 'remote' });
    expect(dead.jobs.map((j) => j.id)).toEqual([failing.id]);
    expect((await client.requeue(failing.id)).state).toBe('scheduled');
    const [third] = await client.claim({ workerId: 'w1', queues: ['remote'] });
    await client.fail(failing.id, third!.lease_token, { message: 'still no' }, { permanent: true });
    expect(await client.purgeDeadLetter()).toBe(0);
  });

  it('releases a leased job back to scheduled without spending its attempt', async () => {
    const job = await client.submit('remote', null, { queue: 'released' });
    const [leased] = await client.claim({ workerId: 'w1', queues: ['released'] });
    expect(leased).toMatchObject({ id: job.id, attempt: 1 });
    const lost = await client
      .release(job.id, 'stale-token')
      .catch((err: unknown) => err as ApiError);
    expect(lost).toBeInstanceOf(ApiError);
    expect(lost).toMatchObject({ status: 409, code: 'lease_lost' });
    const released = await client.release(job.id, leased!.lease_token);
    expect(released).toMatchObject({ id: job.id, state: 'scheduled', attempt: 0, errors: [] });
    const [again] = await client.claim({ workerId: 'w2', queues: ['released'] });
    expect(again).toMatchObject({ id: job.id, attempt: 1, worker_id: 'w2' });
    const before = Date.now();
    const later = await client.release(job.id, again!.lease_token, { delay: '1h' });
    expect(later.state).toBe('scheduled');
    expect(Date.parse(later.scheduled_at as string)).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(await client.claim({ workerId: 'w3', queues: ['released'] })).toEqual([]);
  });

  it('manages queues, keys and the audit log, and reads stats, health, readiness and metrics', async () => {
    expect(await client.pauseQueue('q2')).toEqual({ name: 'q2', paused: true });
    expect((await client.queues()).find((q) => q.name === 'q2')?.paused).toBe(true);
    expect(await client.resumeQueue('q2')).toEqual({ name: 'q2', paused: false });
    expect(await client.updateQueue('q3', { concurrency: 5, rate: '100/1s' })).toMatchObject({
      name: 'q3',
      concurrency: 5,
      rate: '100/1s',
      rate_remaining: 100,
    });
    expect(await client.queue('q3')).toMatchObject({ concurrency: 5, running: 0, waiting: 0 });
    const refused = await client.updateQueue('q3', { rate: '0/1s' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 400, details: { field: 'rate' } });
    const created = await client.createKey({ name: 'ci', role: 'viewer' });
    expect(created.key).toMatch(/^gq_/);
    const viewer = new GopherQueueClient({ baseUrl, apiKey: created.key });
    expect((await viewer.stats()).queue.total_jobs).toBeGreaterThan(0);
    expect((await client.listKeys()).map((k) => k.id)).toContain(created.id);
    await client.revokeKey(created.id);
    const audit = await client.audit({ limit: 100 });
    expect(audit.entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['queue.pause', 'queue.resume', 'key.create', 'key.revoke']),
    );
    // w1, w2 and w3 claimed in the tests before; none holds a job now.
    expect((await client.stats()).workers).toEqual({
      busy: 0,
      concurrency: 4,
      local: { busy: 0, concurrency: 4 },
      remote: { workers: 3, busy: 0, concurrency: 0 },
    });
    expect((await client.workers()).map((w) => [w.kind, w.id, w.busy])).toEqual([
      ['local', 'local', 0],
      ['remote', 'w3', 0],
      ['remote', 'w2', 0],
      ['remote', 'w1', 0],
    ]);
    expect(await client.health()).toMatchObject({ status: 'healthy', ready: true });
    expect(await client.ready()).toBe(true);
    expect(await client.metrics()).toContain('gq_jobs_enqueued_total');
  });

  it('streams events until the caller stops', async () => {
    const controller = new AbortController();
    const seen: SseEvent[] = [];
    let submitted = '';
    for await (const event of client.events({ signal: controller.signal })) {
      seen.push(event);
      if (event.event === 'connected') submitted = (await client.submit('streamed')).id;
      if (event.event === 'job.created' && event.id === submitted) break;
    }
    controller.abort();
    expect(seen[0]).toEqual({ event: 'connected', data: { status: 'connected' } });
    expect(seen.at(-1)).toMatchObject({ event: 'job.created', id: submitted });
  });

  it('rejects bad input naming the field, and a base URL that is not http', async () => {
    const bad = await client.submit('', null).catch((err: unknown) => err as ApiError);
    expect(bad).toMatchObject({
      status: 400,
      code: 'validation_error',
      details: { field: 'type' },
    });
    expect(() => new GopherQueueClient({ baseUrl: 'localhost:8080' })).toThrow(TypeError);
  });

  it('says why a request got no answer: fetch failed with the network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const nowhere = new GopherQueueClient({ baseUrl: `http://127.0.0.1:${port}` });
    const err = (await nowhere.stats().catch((e: unknown) => e)) as TypeError;
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe(`fetch failed: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(err.cause).toMatchObject({ code: 'ECONNREFUSED', port });
    const controller = new AbortController();
    controller.abort(new Error('stopped by the caller'));
    await expect(client.stats({ signal: controller.signal })).rejects.toThrow(
      'stopped by the caller',
    );
  });
});
