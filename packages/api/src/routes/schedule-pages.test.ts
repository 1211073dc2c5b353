import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore } from '@gopherqueue/persistence';
import { GopherQueueClient, type WireSchedule } from '@gopherqueue/client';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';

let f: ApiFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

interface Page {
  schedules: WireSchedule[];
  next_cursor?: string;
}

const every = (name: string) => ({
  name,
  definition: { everyMs: 60_000, job: { type: 'beat' } },
  source: 'api' as const,
});

describe('GET /api/v1/schedules pages', () => {
  it('answers a page by name with next_cursor, 100 by default, and refuses a bad limit or cursor', async () => {
    const store = await LevelStore.open({ memory: true, clock: new ManualClock() });
    const names = Array.from({ length: 250 }, (_, i) => `s${String(i).padStart(3, '0')}`);
    await Promise.all(names.map((name) => store.schedules.put(every(name))));
    const fx = (f = await createApiFixture({ store }));

    const first = await fx.call('GET', '/api/v1/schedules');
    expect(first.status).toBe(200);
    const body = first.body as Page;
    expect(body.schedules.map((s) => s.name)).toEqual(names.slice(0, 100));
    expect(body.next_cursor).toBe('s099');

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await fx.call(
        'GET',
        `/api/v1/schedules?limit=120${cursor === undefined ? '' : `&cursor=${cursor}`}`,
      );
      const page = res.body as Page;
      seen.push(...page.schedules.map((s) => s.name));
      cursor = page.next_cursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(names);

    const last = (await fx.call('GET', '/api/v1/schedules?limit=50&cursor=s199')).body as Page;
    expect(last.schedules.map((s) => s.name)).toEqual(names.slice(200));
    expect(last.next_cursor).toBeUndefined();

    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=x', 'limit'],
      ['cursor=has%20space', 'cursor'],
    ] as const) {
      const res = await fx.call('GET', `/api/v1/schedules?${query}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: { details: { field } } });
    }
  });

  it('lets the client read every page, one request per 1000', async () => {
    const store = await LevelStore.open({ memory: true, clock: new ManualClock() });
    const names = Array.from({ length: 1500 }, (_, i) => `s${String(i).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += 500) {
      await Promise.all(names.slice(i, i + 500).map((name) => store.schedules.put(every(name))));
    }
    const fx = (f = await createApiFixture({ store }));
    const client = new GopherQueueClient({
      baseUrl: 'http://gq.test',
      fetch: (input, init) => Promise.resolve(fx.app.fetch(new Request(input, init))),
    });
    expect((await client.schedules.list()).map((s) => s.name)).toEqual(names);
    const page = await client.schedules.page({ limit: 2, cursor: 's0009' });
    expect(page).toMatchObject({ next_cursor: 's0011' });
    expect(page.schedules.map((s) => s.name)).toEqual(['s0010', 's0011']);
  });
});
