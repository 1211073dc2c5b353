/* eslint-disable @typescript-eslint/no-unsafe-call -- tests read JSON answers as any */
import { afterEach, describe, expect, it } from 'vitest';
import { HandlerCoverage } from '../handler-coverage.js';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';
import { WorkerRegistry } from '../worker-registry.js';

let f: ApiFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

/** A fixture whose local pool claims `localTypes` (undefined: every type). */
async function fixture(localTypes: string[] | undefined, extra: object = {}) {
  const workerRegistry = new WorkerRegistry();
  const coverage = new HandlerCoverage({ localTypes: () => localTypes, registry: workerRegistry });
  f = await createApiFixture({
    workerRegistry,
    waitingReason: coverage.waitingReason,
    getRemoteAddress: () => '10.0.0.9',
    workers: () => ({
      id: 'pool-1',
      host: 'server.lan',
      busy: 0,
      concurrency: 10,
      ...(localTypes === undefined ? {} : { types: localTypes }),
      jobs: [],
    }),
    ...extra,
  });
  return { fx: f, coverage };
}

async function claim(fx: ApiFixture, body: Record<string, unknown>, key?: string) {
  const res = await fx.call('POST', '/api/v1/workers/claim', {
    body,
    ...(key === undefined ? {} : { key }),
  });
  expect(res.status).toBe(200);
  return res.body.jobs as { id: string; lease_token: string }[];
}

describe('GET /api/v1/workers', () => {
  it('lists the local pool and each remote worker with its host, types, slots and jobs', async () => {
    const { fx } = await fixture(['echo']);
    const job = await fx.submit('remote.t', null, { queue: 'q1' });
    await claim(fx, {
      worker_id: 'gq-work-1',
      types: ['remote.t'],
      host: 'box-1',
      concurrency: 4,
      limit: 2,
    });
    await claim(fx, { worker_id: 'curl-worker', queues: ['q2'] });
    const res = await fx.call('GET', '/api/v1/workers');
    expect(res.status).toBe(200);
    const at = expect.stringMatching(/Z$/);
    expect(res.body.workers).toEqual([
      {
        id: 'pool-1',
        kind: 'local',
        host: 'server.lan',
        types: ['echo'],
        queues: null,
        concurrency: 10,
        busy: 0,
        jobs: [],
        last_seen_at: at,
      },
      {
        id: 'curl-worker',
        kind: 'remote',
        host: '10.0.0.9',
        address: '10.0.0.9',
        types: null,
        queues: ['q2'],
        concurrency: null,
        busy: 0,
        jobs: [],
        last_seen_at: at,
      },
      {
        id: 'gq-work-1',
        kind: 'remote',
        host: 'box-1',
        address: '10.0.0.9',
        types: ['remote.t'],
        queues: null,
        concurrency: 4,
        busy: 1,
        jobs: [job.id],
        last_seen_at: at,
      },
    ]);
    const stats = await fx.call('GET', '/api/v1/stats');
    expect(stats.body.workers).toEqual({
      busy: 1,
      concurrency: 14,
      local: { busy: 0, concurrency: 10 },
      // curl-worker said no concurrency and holds nothing: it adds no slot.
      remote: { workers: 2, busy: 1, concurrency: 4 },
    });
  });

  it('refuses a claim whose host or concurrency is out of bounds, naming the field', async () => {
    const { fx } = await fixture(['echo']);
    for (const [field, value] of [
      ['host', 'x'.repeat(256)],
      ['host', ''],
      ['concurrency', 0],
      ['concurrency', 100_001],
    ] as const) {
      const res = await fx.call('POST', '/api/v1/workers/claim', {
        body: { worker_id: 'w', [field]: value },
      });
      expect(res.status, `${field} ${String(value).slice(0, 10)}`).toBe(400);
      expect(res.body.error.details.field).toBe(field);
    }
    expect((await fx.call('GET', '/api/v1/workers')).body.workers).toHaveLength(1);
  });

  it('drops a job from its worker once the worker completes it or it is cancelled', async () => {
    const { fx } = await fixture(['echo']);
    const first = await fx.submit('remote.t');
    const second = await fx.submit('remote.t');
    const [a, b] = await claim(fx, { worker_id: 'w', types: ['remote.t'], limit: 2 });
    const held = async () =>
      ((await fx.call('GET', '/api/v1/workers')).body.workers[1].jobs as string[]).sort();
    expect(await held()).toEqual([first.id, second.id].sort());
    const done = await fx.call('POST', `/api/v1/jobs/${a!.id}/complete`, {
      body: { lease_token: a!.lease_token, result: null },
    });
    expect(done.status).toBe(200);
    expect(await held()).toEqual([b!.id]);
    await fx.call('POST', `/api/v1/jobs/${b!.id}/cancel`, { body: {} });
    expect(await held()).toEqual([]);
  });

  it('shows a key restricted to queues the workers that may claim from them, with their jobs only', async () => {
    const { fx } = await fixture(['echo'], { auth: 'required' });
    const mine = await fx.submit('remote.t', null, { queue: 'mine' });
    const theirs = await fx.submit('remote.t', null, { queue: 'theirs' });
    const admin = await fx.key('admin');
    await claim(fx, { worker_id: 'everywhere', types: ['remote.t'], limit: 2 }, admin);
    await claim(fx, { worker_id: 'elsewhere', queues: ['theirs'] }, admin);
    const viewer = await fx.key('viewer', ['mine']);
    const res = await fx.call('GET', '/api/v1/workers', { key: viewer });
    expect(res.status).toBe(200);
    expect(
      res.body.workers.map((w: { id: string; busy: number; jobs: string[] }) => [
        w.id,
        w.busy,
        w.jobs,
      ]),
    ).toEqual([
      ['pool-1', 0, []],
      ['everywhere', 1, [mine.id]],
    ]);
    const all = await fx.call('GET', '/api/v1/workers', { key: admin });
    expect(all.body.workers[2].jobs.sort()).toEqual([mine.id, theirs.id].sort());
    const stats = await fx.call('GET', '/api/v1/stats', { key: viewer });
    expect(stats.body.workers.remote).toEqual({ workers: 1, busy: 1, concurrency: 1 });
    expect((await fx.call('GET', '/api/v1/workers')).status).toBe(401);
  });
});

describe('waiting_reason', () => {
  it('says no_handler for a due job of a type no worker claims, until a remote worker claims it', async () => {
    const { fx } = await fixture(['echo']);
    const submitted = await fx.call('POST', '/api/v1/jobs', { body: { type: 'nobody.t' } });
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({ state: 'scheduled', waiting_reason: 'no_handler' });
    const id = submitted.body.id as string;
    const later = await fx.call('POST', '/api/v1/jobs', {
      body: { type: 'nobody.t', delay: '1h' },
    });
    expect(later.body.state).toBe('delayed');
    expect(later.body).not.toHaveProperty('waiting_reason');
    const echo = await fx.call('POST', '/api/v1/jobs', { body: { type: 'echo' } });
    expect(echo.body).not.toHaveProperty('waiting_reason');

    expect((await fx.call('GET', `/api/v1/jobs/${id}`)).body.waiting_reason).toBe('no_handler');
    const listed = await fx.call('GET', '/api/v1/jobs?type=nobody.t');
    expect(listed.body.jobs.map((j: { waiting_reason?: string }) => j.waiting_reason)).toEqual([
      undefined,
      'no_handler',
    ]);

    await claim(fx, { worker_id: 'w', types: ['other.t', 'nobody.t'], limit: 1 });
    // The claim took the job: it is running, and a new one of its type waits for no one.
    const again = await fx.call('POST', '/api/v1/jobs', { body: { type: 'nobody.t' } });
    expect(again.body).not.toHaveProperty('waiting_reason');
    expect((await fx.call('GET', `/api/v1/jobs/${id}`)).body).not.toHaveProperty('waiting_reason');
  });

  it('never says no_handler when the local pool claims every type (--unknown-types fail)', async () => {
    const { fx } = await fixture(undefined);
    const submitted = await fx.call('POST', '/api/v1/jobs', { body: { type: 'nobody.t' } });
    expect(submitted.body).not.toHaveProperty('waiting_reason');
  });

  it('is counted per type by HandlerCoverage.countWaiting, leaving out served types', async () => {
    const { fx, coverage } = await fixture(['echo']);
    for (const type of ['a.t', 'a.t', 'b.t', 'echo']) await fx.submit(type);
    await fx.submit('c.t', null, { delay: '1h' });
    expect(await coverage.countWaiting(fx.store)).toEqual([
      { type: 'a.t', count: 2 },
      { type: 'b.t', count: 1 },
    ]);
    await claim(fx, { worker_id: 'w', types: ['b.t'], limit: 1 });
    expect(await coverage.countWaiting(fx.store)).toEqual([{ type: 'a.t', count: 2 }]);
    await claim(fx, { worker_id: 'any', limit: 1 });
    expect(await coverage.countWaiting(fx.store)).toEqual([]);
  });
});

describe('metricsPublic', () => {
  it('lets /metrics, and only /metrics, be read without a key', async () => {
    const { fx } = await fixture(['echo'], {
      auth: 'required',
      metricsPublic: true,
      metrics: {
        contentType: 'text/plain',
        render: () => Promise.resolve('gq_up 1\n'),
        json: () => Promise.resolve({}),
      },
    });
    const metrics = await fx.call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toBe('gq_up 1\n');
    expect((await fx.call('GET', '/health')).status).toBe(401);
    expect((await fx.call('GET', '/api/v1/stats')).status).toBe(401);
    const page = await fx.call('GET', '/metrics', {
      headers: { origin: 'http://evil.example' },
    });
    expect(page.status).toBe(403);
  });

  it('needs a key for /metrics without it', async () => {
    const { fx } = await fixture(['echo'], {
      auth: 'required',
      metrics: {
        contentType: 'text/plain',
        render: () => Promise.resolve('gq_up 1\n'),
        json: () => Promise.resolve({}),
      },
    });
    expect((await fx.call('GET', '/metrics')).status).toBe(401);
    const viewer = await fx.key('viewer');
    expect((await fx.call('GET', '/metrics', { key: viewer })).status).toBe(200);
  });
});
