import { createJob } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore } from '@gopherqueue/persistence';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';

let f: ApiFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

describe('GET /api/v1/queues', () => {
  it('lists queues by name a page at a time, and refuses a bad limit or cursor', async () => {
    const fx = (f = await createApiFixture());
    for (const queue of ['c', 'a', 'B', 'b']) await fx.submit('t', null, { queue });
    const names = (body: unknown) =>
      (body as { queues: { name: string }[] }).queues.map((q) => q.name);
    const first = await fx.call('GET', '/api/v1/queues?limit=3');
    expect(names(first.body)).toEqual(['B', 'a', 'b']);
    expect(first.body.next_cursor).toBe('b');
    const rest = await fx.call('GET', '/api/v1/queues?limit=3&cursor=b');
    expect(rest.body).toEqual({ queues: [expect.objectContaining({ name: 'c', total: 1 })] });
    expect(names((await fx.call('GET', '/api/v1/queues')).body)).toEqual(['B', 'a', 'b', 'c']);
    const badLimit = await fx.call('GET', '/api/v1/queues?limit=1001');
    expect([badLimit.status, badLimit.body.error.details.field]).toEqual([400, 'limit']);
    const badCursor = await fx.call('GET', '/api/v1/queues?cursor=%20');
    expect([badCursor.status, badCursor.body.error.details.field]).toEqual([400, 'cursor']);
  });
});

describe('GET and PATCH /api/v1/queues/:name', () => {
  it('sets limits, reads them back with the state of the queue, and clears them', async () => {
    const fx = (f = await createApiFixture());
    for (let i = 0; i < 3; i++) await fx.submit('t', null, { queue: 'emails' });
    const set = await fx.call('PATCH', '/api/v1/queues/emails', {
      body: { concurrency: 1, rate: '100/1s' },
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      name: 'emails',
      paused: false,
      concurrency: 1,
      rate: '100/1s',
      running: 0,
      waiting: 3,
      rate_remaining: 100,
      next_start_at: null,
      total: 3,
    });
    expect(await fx.store.claim({ workerId: 'w', limit: 5, leaseMs: 1000 })).toHaveLength(1);
    const read = await fx.call('GET', '/api/v1/queues/emails');
    expect(read.body).toMatchObject({ running: 1, waiting: 2, rate_remaining: 99 });
    const list = await fx.call('GET', '/api/v1/queues');
    expect(list.body.queues).toEqual([
      expect.objectContaining({ name: 'emails', concurrency: 1, rate: '100/1s' }),
    ]);
    const cleared = await fx.call('PATCH', '/api/v1/queues/emails', {
      body: { concurrency: null, rate: null },
    });
    expect(cleared.body).toMatchObject({ concurrency: null, rate: null, rate_remaining: null });
    expect(await fx.store.claim({ workerId: 'w', limit: 5, leaseMs: 1000 })).toHaveLength(2);
    const audit = await fx.audit.list({ limit: 10 });
    expect(audit.entries.map((e) => [e.action, e.details])).toContainEqual([
      'queue.update',
      { concurrency: 1, rate: '100/1s' },
    ]);
  });

  it('shows why a job waits on its queue, and how long the oldest has waited', async () => {
    const clock = new ManualClock();
    const store = await LevelStore.open({ memory: true, clock });
    const fx = (f = await createApiFixture({ store, clock }));
    await fx.call('PATCH', '/api/v1/queues/q', { body: { concurrency: 1, rate: '2/1m' } });
    const jobs = [];
    for (let i = 0; i < 3; i++) {
      jobs.push((await store.submit(createJob('t', null, { queue: 'q' }, clock.now()))).job);
    }
    clock.advance(1500);
    const reason = async (id: string) =>
      (await fx.call('GET', `/api/v1/jobs/${id}`)).body.waiting_reason as string | undefined;
    expect(await reason(jobs[0]!.id)).toBeUndefined();
    const [first] = await store.claim({ workerId: 'w', limit: 5, leaseMs: 10_000 });
    expect(await reason(jobs[1]!.id)).toBe('queue_concurrency');
    expect((await fx.call('GET', '/api/v1/queues/q')).body).toMatchObject({
      running: 1,
      waiting: 2,
      oldest_waiting_at: new Date(jobs[1]!.runAt).toISOString(),
      oldest_waiting_ms: 1500,
    });
    await store.complete(first!.id, first!.leaseToken!, null);
    await store.claim({ workerId: 'w', limit: 5, leaseMs: 10_000 }).then(async ([second]) => {
      await store.complete(second!.id, second!.leaseToken!, null);
    });
    expect(await reason(jobs[2]!.id)).toBe('queue_rate');
    expect((await fx.call('GET', '/api/v1/queues/q')).body).toMatchObject({
      rate_remaining: 0,
      next_start_at: new Date(clock.now() + 60_000).toISOString(),
    });
    await fx.call('POST', '/api/v1/queues/q/pause');
    expect(await reason(jobs[2]!.id)).toBe('queue_paused');
    await store.close();
  });

  it('refuses bad settings with a 400 naming the field, changing nothing', async () => {
    const fx = (f = await createApiFixture());
    await fx.call('PATCH', '/api/v1/queues/q', { body: { concurrency: 2, rate: '5/1s' } });
    const bad: [unknown, string][] = [
      [{ rate: '0/1s' }, 'rate'],
      [{ rate: '10/2h' }, 'rate'],
      [{ rate: '10/0s' }, 'rate'],
      [{ rate: 'fast' }, 'rate'],
      [{ rate: 10 }, 'rate'],
      [{ concurrency: -1 }, 'concurrency'],
      [{ concurrency: 0 }, 'concurrency'],
      [{ concurrency: 2.5 }, 'concurrency'],
      [{ concurrency: 100_001 }, 'concurrency'],
      [{ concurrency: '3' }, 'concurrency'],
      [{ paused: 'yes' }, 'paused'],
      [{ concurrency: 3, burst: 10 }, 'burst'],
    ];
    for (const [body, field] of bad) {
      const res = await fx.call('PATCH', '/api/v1/queues/q', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.details, JSON.stringify(body)).toMatchObject({ field });
      expect(res.body.error.message).toContain(field);
    }
    expect((await fx.call('GET', '/api/v1/queues/q')).body).toMatchObject({
      concurrency: 2,
      rate: '5/1s',
    });
    expect((await fx.call('PATCH', '/api/v1/queues/bad%20name', { body: {} })).status).toBe(400);
    const notJson = await fx.call('PATCH', '/api/v1/queues/q', { raw: '[1]' });
    expect(notJson.status).toBe(400);
  });

  it('follows the roles and the queues of the key, as pause and resume do', async () => {
    const fx = (f = await createApiFixture({ auth: 'required' }));
    const viewer = await fx.key('viewer');
    const operator = await fx.key('operator');
    const mine = await fx.key('operator', ['mine']);
    const body = { concurrency: 4 };
    expect((await fx.call('GET', '/api/v1/queues/q', { key: viewer })).status).toBe(200);
    expect((await fx.call('PATCH', '/api/v1/queues/q', { key: viewer, body })).status).toBe(403);
    expect((await fx.call('PATCH', '/api/v1/queues/q', { key: mine, body })).status).toBe(403);
    expect((await fx.call('GET', '/api/v1/queues/q', { key: mine })).status).toBe(403);
    expect((await fx.call('PATCH', '/api/v1/queues/mine', { key: mine, body })).status).toBe(200);
    expect((await fx.call('PATCH', '/api/v1/queues/q', { key: operator, body })).status).toBe(200);
    expect((await fx.store.getQueue('q')).concurrency).toBe(4);
    expect((await fx.store.getQueue('mine')).concurrency).toBe(4);
  });
});
