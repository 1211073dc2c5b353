/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument -- tests read JSON answers as any */
import { readFileSync } from 'node:fs';
import { HealthChecker, Metrics } from '@gopherqueue/observability';
import { afterEach, describe, expect, it } from 'vitest';
import { openApiDocument } from '../openapi.js';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';

let f: ApiFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

describe('/live, /ready and /health', () => {
  it('answers /ready 503 until the health checker marks ready', async () => {
    const health = new HealthChecker();
    const fx = (f = await createApiFixture({ health }));
    health.register('store', () => fx.store.ping());
    expect(await fx.call('GET', '/live')).toMatchObject({ status: 200, body: { alive: true } });
    expect(await fx.call('GET', '/ready')).toMatchObject({ status: 503, body: { ready: false } });
    health.markReady();
    expect(await fx.call('GET', '/ready')).toMatchObject({ status: 200, body: { ready: true } });
    const report = await fx.call('GET', '/health');
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({
      status: 'healthy',
      ready: true,
      components: { store: { status: 'healthy', latency_ms: expect.any(Number) } },
    });
  });

  it('answers /ready 503 naming the component when a critical check fails after start', async () => {
    const health = new HealthChecker();
    let down = false;
    health.register('store', () =>
      down ? Promise.reject(new Error('connection refused')) : Promise.resolve(),
    );
    f = await createApiFixture({ health });
    expect(await f.call('GET', '/ready')).toMatchObject({
      status: 503,
      body: { ready: false, reason: 'starting' },
    });
    health.markReady();
    expect(await f.call('GET', '/ready')).toMatchObject({ status: 200, body: { ready: true } });
    down = true;
    expect(await f.call('GET', '/ready')).toMatchObject({
      status: 503,
      body: { ready: false, reason: 'store: connection refused' },
    });
  });

  it('answers /health 503 when a critical component fails', async () => {
    const health = new HealthChecker();
    health.register('db', () => Promise.reject(new Error('down')));
    f = await createApiFixture({ health });
    const report = await f.call('GET', '/health');
    expect(report.status).toBe(503);
    expect(report.body.components.db).toMatchObject({ status: 'unhealthy', error: 'down' });
  });
});

describe('/metrics', () => {
  it('serves Prometheus text, and JSON by query or Accept', async () => {
    const metrics = new Metrics({ collectProcessMetrics: false });
    const fx = (f = await createApiFixture({ metrics }));
    metrics.observeEvents(fx.events);
    metrics.setStoreSource(fx.store);
    await fx.call('POST', '/api/v1/jobs', { body: { type: 'email', queue: 'mail' } });
    await new Promise((resolve) => setImmediate(resolve));
    const text = await fx.app.request('/metrics');
    expect(text.status).toBe(200);
    expect(text.headers.get('content-type')).toContain('text/plain');
    const body = await text.text();
    expect(body).toContain('gq_jobs_enqueued_total{type="email",queue="mail"} 1');
    const json = await fx.call('GET', '/metrics?format=json');
    expect(json.headers.get('content-type')).toContain('application/json');
    expect(json.body).toMatchObject({ jobs_enqueued: 1, queue_depth: 1 });
    const byAccept = await fx.call('GET', '/metrics', { headers: { accept: 'application/json' } });
    expect(Object.keys(byAccept.body)).toEqual(Object.keys(json.body));
  });

  it('answers 403 to a key limited to queues, in text and JSON, since the series span every queue', async () => {
    const metrics = new Metrics({ collectProcessMetrics: false });
    const fx = (f = await createApiFixture({ metrics, auth: 'required' }));
    metrics.observeEvents(fx.events);
    const [restricted, wide] = [await fx.key('producer', ['qa']), await fx.key('viewer')];
    await fx.submit('t', null, { queue: 'qb' });
    await new Promise((resolve) => setImmediate(resolve));
    for (const path of ['/metrics', '/metrics?format=json']) {
      const refused = await fx.call('GET', path, { key: restricted });
      expect(refused.status, path).toBe(403);
      expect(refused.body).toEqual({
        error: {
          code: 'forbidden',
          message: 'metrics span every queue: reading them needs a key without a queue restriction',
          details: { queues: ['qa'] },
        },
      });
    }
    const text = await fx.app.request('/metrics', { headers: { 'x-api-key': wide } });
    expect(text.status).toBe(200);
    expect(await text.text()).toContain('gq_jobs_enqueued_total{type="t",queue="qb"} 1');
  });

  it('serves /metrics with metricsPublic whatever key comes with it', async () => {
    const metrics = new Metrics({ collectProcessMetrics: false });
    const fx = (f = await createApiFixture({ metrics, auth: 'required', metricsPublic: true }));
    const restricted = await fx.key('producer', ['qa']);
    expect((await fx.call('GET', '/metrics')).status).toBe(200);
    expect((await fx.call('GET', '/metrics', { key: restricted })).status).toBe(200);
  });

  it('answers 404 when metrics are not configured', async () => {
    f = await createApiFixture();
    expect((await f.call('GET', '/metrics')).status).toBe(404);
  });
});

describe('GET /api/v1/stats', () => {
  it('answers the original shape with workers', async () => {
    const fx = (f = await createApiFixture({ workers: () => ({ busy: 2, concurrency: 10 }) }));
    await fx.submit('t');
    const cancelled = await fx.submit('t');
    await fx.store.cancel(cancelled.id);
    const res = await fx.call('GET', '/api/v1/stats');
    expect(res.body).toEqual({
      queue: {
        pending: 0,
        scheduled: 1,
        running: 0,
        delayed: 0,
        retrying: 0,
        completed: 0,
        failed: 0,
        dead_letter: 0,
        cancelled: 1,
        total_jobs: 2,
        storage_bytes: await fx.store.sizeBytes(),
        timestamp: expect.stringMatching(/Z$/),
      },
      workers: {
        busy: 2,
        concurrency: 10,
        local: { busy: 2, concurrency: 10 },
        remote: { workers: 0, busy: 0, concurrency: 0 },
      },
    });
  });
});

describe('queues', () => {
  it('lists queues and pauses and resumes one', async () => {
    const fx = (f = await createApiFixture());
    await fx.submit('t', null, { queue: 'mail' });
    const paused = await fx.call('POST', '/api/v1/queues/mail/pause');
    expect(paused.body).toEqual({ name: 'mail', paused: true });
    expect(await fx.store.claim({ workerId: 'w', limit: 1, leaseMs: 1000 })).toEqual([]);
    const list = await fx.call('GET', '/api/v1/queues');
    expect(list.body.queues.find((q: { name: string }) => q.name === 'mail')).toMatchObject({
      paused: true,
      total: 1,
      counts: { scheduled: 1 },
    });
    const resumed = await fx.call('POST', '/api/v1/queues/mail/resume');
    expect(resumed.body).toEqual({ name: 'mail', paused: false });
    expect(await fx.store.claim({ workerId: 'w', limit: 1, leaseMs: 1000 })).toHaveLength(1);
    expect((await fx.call('POST', '/api/v1/queues/bad%20name/pause')).status).toBe(400);
  });
});

describe('the dead letter', () => {
  async function deadLetter(fx: ApiFixture) {
    const job = await fx.submit('t', null, { maxAttempts: 1 });
    const [claimed] = await fx.store.claim({ workerId: 'w', limit: 1, leaseMs: 30_000 });
    await fx.store.fail(job.id, claimed!.leaseToken!, {
      error: { message: 'boom', errorClass: 'error' },
      outcome: { state: 'dead_letter' },
    });
    return job;
  }

  it('lists, requeues and purges dead-lettered jobs', async () => {
    const fx = (f = await createApiFixture());
    const a = await deadLetter(fx);
    const b = await deadLetter(fx);
    const list = await fx.call('GET', '/api/v1/dead-letter');
    expect(list.body).toMatchObject({ count: 2, total: 2 });
    expect(list.body.jobs.map((j: { id: string }) => j.id)).toEqual([b.id, a.id]);
    const requeued = await fx.call('POST', `/api/v1/dead-letter/${a.id}/requeue`);
    expect(requeued.body).toMatchObject({ id: a.id, state: 'scheduled', attempt: 0 });
    const notDead = await fx.call('POST', `/api/v1/dead-letter/${a.id}/requeue`);
    expect(notDead.status).toBe(409);
    const purged = await fx.call('POST', '/api/v1/dead-letter/purge');
    expect(purged.body).toEqual({ purged: 1 });
    expect(await fx.store.get(b.id)).toBeUndefined();
    expect((await fx.store.get(a.id))?.state).toBe('scheduled');
  });

  it('keeps jobs younger than older_than', async () => {
    const fx = (f = await createApiFixture());
    await deadLetter(fx);
    const purged = await fx.call('POST', '/api/v1/dead-letter/purge', {
      body: { older_than: '1h' },
    });
    expect(purged.body).toEqual({ purged: 0 });
  });
});

describe('GET /api/v1', () => {
  it('reports the version the server passes, by default its own package version', async () => {
    f = await createApiFixture({ version: '9.8.7' });
    expect(await f.call('GET', '/api/v1')).toMatchObject({
      status: 200,
      body: { name: 'GopherQueue API', version: '9.8.7', openapi: '/api/v1/openapi.json' },
    });
    await f.close();
    f = await createApiFixture();
    const own = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect((await f.call('GET', '/api/v1')).body.version).toBe(own.version);
    expect(own.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('refuses a version that is not a short string', async () => {
    await expect(createApiFixture({ version: '' })).rejects.toThrow(
      'options.version must be a version string; got ""',
    );
  });
});

describe('GET /api/v1/openapi.json', () => {
  it('describes every route the app serves', async () => {
    const fx = (f = await createApiFixture({ auth: 'required' }));
    const res = await fx.call('GET', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const documented = new Set(
      Object.entries(openApiDocument.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    const served = new Set(
      fx.app.routes
        // The web dashboard (`/`, `/ui/...`) serves pages, not the API.
        .filter((r) => r.method !== 'ALL' && r.path !== '/api/v1')
        .filter((r) => r.path !== '/' && r.path !== '/ui' && !r.path.startsWith('/ui/'))
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
    );
    expect([...served].sort()).toEqual([...documented].sort());
    expect(
      res.body.paths['/api/v1/jobs'].post.requestBody.content['application/json'].schema.required,
    ).toEqual(['type']);
  });
});
