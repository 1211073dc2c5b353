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

describe('group keys and aging through the API', () => {
  it('sets group_concurrency, ordered and aging, reads them back and clears them', async () => {
    const fx = (f = await createApiFixture());
    const set = await fx.call('PATCH', '/api/v1/queues/emails', {
      body: { group_concurrency: 2, aging: '5m' },
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      group_concurrency: 2,
      ordered: false,
      aging: '5m',
      groups_at_limit: [],
    });
    const ordered = await fx.call('PATCH', '/api/v1/queues/emails', {
      body: { ordered: true, group_concurrency: 1 },
    });
    expect(ordered.body).toMatchObject({ group_concurrency: 1, ordered: true, aging: '5m' });
    const list = await fx.call('GET', '/api/v1/queues');
    expect(list.body.queues).toEqual([
      expect.objectContaining({ name: 'emails', group_concurrency: 1, ordered: true, aging: '5m' }),
    ]);
    const cleared = await fx.call('PATCH', '/api/v1/queues/emails', {
      body: { group_concurrency: null, ordered: false, aging: null },
    });
    expect(cleared.body).toMatchObject({ group_concurrency: null, ordered: false, aging: null });
    const audit = await fx.audit.list({ limit: 10 });
    expect(audit.entries.map((e) => e.details)).toContainEqual({
      group_concurrency: 2,
      aging: '5m',
    });
  });

  it('refuses bad settings with a 400 naming the field, changing nothing', async () => {
    const fx = (f = await createApiFixture());
    await fx.call('PATCH', '/api/v1/queues/q', { body: { group_concurrency: 3, aging: '1m' } });
    const bad: [unknown, string][] = [
      [{ group_concurrency: -1 }, 'group_concurrency'],
      [{ group_concurrency: 0 }, 'group_concurrency'],
      [{ group_concurrency: 1.5 }, 'group_concurrency'],
      [{ group_concurrency: '2' }, 'group_concurrency'],
      [{ aging: 'x' }, 'aging'],
      [{ aging: '10ms' }, 'aging'],
      [{ aging: '48h' }, 'aging'],
      [{ aging: 300 }, 'aging'],
      [{ ordered: 'yes' }, 'ordered'],
      [{ group_concurrency: 2, per_key: 1 }, 'per_key'],
    ];
    for (const [body, field] of bad) {
      const res = await fx.call('PATCH', '/api/v1/queues/q', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.details, JSON.stringify(body)).toMatchObject({ field });
      expect(res.body.error.message).toContain(field);
    }
    expect((await fx.call('GET', '/api/v1/queues/q')).body).toMatchObject({
      group_concurrency: 3,
      ordered: false,
      aging: '1m',
    });
  });

  it('takes a group on submit and in a batch, and refuses a bad one naming the field', async () => {
    const fx = (f = await createApiFixture());
    const one = await fx.call('POST', '/api/v1/jobs', { body: { type: 't', group: 'acct-1' } });
    expect(one.status).toBe(201);
    expect(one.body.group).toBe('acct-1');
    const batch = await fx.call('POST', '/api/v1/jobs/batch', {
      body: { jobs: [{ type: 't', group: 'acct-2' }, { type: 't' }] },
    });
    expect(batch.status).toBe(201);
    const ids = (batch.body.results as { job: { id: string } }[]).map((r) => r.job.id);
    expect((await fx.store.getMany(ids)).map((j) => j?.group)).toEqual(['acct-2', undefined]);
    for (const group of ['', 'has space', 'x'.repeat(129), 7]) {
      const res = await fx.call('POST', '/api/v1/jobs', { body: { type: 't', group } });
      expect(res.status, JSON.stringify(group)).toBe(400);
      expect(res.body.error.details).toMatchObject({ field: 'group' });
    }
  });

  it('shows group_concurrency as the waiting reason and lists the keys at their limit', async () => {
    const clock = new ManualClock();
    const store = await LevelStore.open({ memory: true, clock });
    const fx = (f = await createApiFixture({ store, clock }));
    await fx.call('PATCH', '/api/v1/queues/q', { body: { group_concurrency: 1 } });
    const submit = async (group: string) =>
      (await store.submit(createJob('t', null, { queue: 'q', group }, clock.now()))).job;
    const a1 = await submit('a');
    const a2 = await submit('a');
    const b1 = await submit('b');
    const reason = async (id: string) =>
      (await fx.call('GET', `/api/v1/jobs/${id}`)).body.waiting_reason as string | undefined;
    expect(await reason(a2.id)).toBeUndefined();
    const claimed = await store.claim({ workerId: 'w', limit: 5, leaseMs: 10_000 });
    expect(claimed.map((j) => j.id).sort()).toEqual([a1.id, b1.id].sort());
    expect(await reason(a2.id)).toBe('group_concurrency');
    expect((await fx.call('GET', '/api/v1/queues/q')).body.groups_at_limit).toEqual([
      { group: 'a', running: 1 },
      { group: 'b', running: 1 },
    ]);
    await fx.call('PATCH', '/api/v1/queues/q', { body: { ordered: true } });
    const a3 = await submit('a');
    const first = claimed.find((j) => j.id === a1.id);
    await store.complete(a1.id, first?.leaseToken as string, null);
    // a2 is now the head of key a; a3 waits behind it though no job of a runs.
    expect(await reason(a2.id)).toBeUndefined();
    expect(await reason(a3.id)).toBe('group_concurrency');
    await store.close();
  });
});
