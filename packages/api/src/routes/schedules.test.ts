import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore } from '@gopherqueue/persistence';
import type { WireSchedule } from '@gopherqueue/client';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';

let f: ApiFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

const T0 = Date.UTC(2026, 2, 27, 12);

const names = (body: unknown): string[] =>
  (body as { schedules: WireSchedule[] }).schedules.map((s) => s.name);

async function fixture(): Promise<{
  fx: ApiFixture;
  clock: ManualClock;
  changes: number[];
  store: LevelStore;
}> {
  const clock = new ManualClock(T0);
  const store = await LevelStore.open({ memory: true, clock });
  const changes: number[] = [];
  const fx = (f = await createApiFixture({
    store,
    clock,
    schedulesChanged: async () => {
      changes.push(clock.now());
      return Promise.resolve();
    },
  }));
  return { fx, clock, changes, store };
}

const nightly = {
  name: 'nightly',
  cron: '30 2 * * *',
  timezone: 'Europe/Berlin',
  misfire: 'catch_up',
  catch_up_limit: 3,
  jitter: '30s',
  job: {
    type: 'report',
    payload: { kind: 'daily' },
    queue: 'reports',
    priority: 'high',
    max_attempts: 5,
    timeout: '10m',
    tags: { team: 'ops' },
  },
};

describe('/api/v1/schedules', () => {
  it('creates a schedule and shows its next five runs across the DST change', async () => {
    const { fx, changes } = await fixture();
    const created = await fx.call('POST', '/api/v1/schedules', { body: nightly });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      name: 'nightly',
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
      misfire: 'catch_up',
      catch_up_limit: 3,
      jitter_ms: 30_000,
      job: {
        type: 'report',
        payload: { kind: 'daily' },
        queue: 'reports',
        priority: 1,
        max_attempts: 5,
        timeout_ms: 600_000,
        tags: { team: 'ops' },
      },
      source: 'api',
      paused: false,
      revision: 1,
      last_tick_at: '2026-03-27T12:00:00.000Z',
      next_runs: [
        '2026-03-28T01:30:00.000Z',
        '2026-03-29T01:00:00.000Z',
        '2026-03-30T00:30:00.000Z',
        '2026-03-31T00:30:00.000Z',
        '2026-04-01T00:30:00.000Z',
      ],
      created_at: '2026-03-27T12:00:00.000Z',
      updated_at: '2026-03-27T12:00:00.000Z',
    });
    expect(changes).toHaveLength(1);
    expect((await fx.call('GET', '/api/v1/schedules/nightly')).body).toEqual(created.body);
    expect((await fx.call('GET', '/api/v1/schedules')).body.schedules).toEqual([created.body]);
    const again = await fx.call('POST', '/api/v1/schedules', { body: nightly });
    expect(again.status).toBe(409);
  });

  it('changes, pauses, resumes and deletes a schedule', async () => {
    const { fx, clock, changes } = await fixture();
    await fx.call('POST', '/api/v1/schedules', { body: nightly });
    const patched = await fx.call('PATCH', '/api/v1/schedules/nightly', {
      body: { every: '15m', misfire: 'skip' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ every_ms: 900_000, misfire: 'skip', revision: 2 });
    expect(patched.body.cron).toBeUndefined();
    expect(patched.body.timezone).toBeUndefined();
    expect((patched.body as WireSchedule).next_runs.slice(0, 2)).toEqual([
      '2026-03-27T12:15:00.000Z',
      '2026-03-27T12:30:00.000Z',
    ]);
    const paused = await fx.call('POST', '/api/v1/schedules/nightly/pause');
    expect(paused.body).toMatchObject({ paused: true, next_runs: [] });
    clock.advance(3_600_000);
    const resumed = await fx.call('POST', '/api/v1/schedules/nightly/resume');
    expect(resumed.body).toMatchObject({
      paused: false,
      last_tick_at: '2026-03-27T13:00:00.000Z',
    });
    expect((await fx.call('DELETE', '/api/v1/schedules/nightly')).status).toBe(204);
    expect((await fx.call('GET', '/api/v1/schedules/nightly')).status).toBe(404);
    expect((await fx.call('DELETE', '/api/v1/schedules/nightly')).status).toBe(404);
    expect(changes).toHaveLength(5);
    const actions = (await fx.audit.list({ limit: 10 })).entries.map((e) => e.action).reverse();
    expect(actions).toEqual([
      'schedule.create',
      'schedule.update',
      'schedule.pause',
      'schedule.resume',
      'schedule.delete',
    ]);
  });

  it('triggers a job now, tagged with the schedule and the time', async () => {
    const { fx } = await fixture();
    await fx.call('POST', '/api/v1/schedules', { body: { ...nightly, jitter: undefined } });
    const triggered = await fx.call('POST', '/api/v1/schedules/nightly/trigger');
    expect(triggered.status).toBe(201);
    expect(triggered.body).toMatchObject({
      type: 'report',
      queue: 'reports',
      priority: 1,
      max_attempts: 5,
      payload: { kind: 'daily' },
      tags: { team: 'ops', schedule: 'nightly', scheduled_for: '2026-03-27T12:00:00.000Z' },
      state: 'scheduled',
    });
    expect(triggered.body.idempotency_key).toBeUndefined();
    expect((await fx.call('POST', '/api/v1/schedules/ghost/trigger')).status).toBe(404);
  });

  it('answers 400 naming the field of a bad cron, zone, duration or unknown field', async () => {
    const { fx } = await fixture();
    const cases: [Record<string, unknown>, string][] = [
      [{ ...nightly, cron: '61 * * * *' }, 'cron'],
      [{ ...nightly, cron: '* * *' }, 'cron'],
      [{ ...nightly, timezone: 'Mars/Olympus' }, 'timezone'],
      [{ name: 'x', every: '15 minutes', job: { type: 't' } }, 'every'],
      [{ name: 'x', every: '10ms', job: { type: 't' } }, 'every'],
      [{ name: 'x', every: '1m', jitter: '2h', job: { type: 't' } }, 'jitter'],
      [{ name: 'x', every: '1m', misfire: 'sometimes', job: { type: 't' } }, 'misfire'],
      [
        { name: 'x', every: '1m', misfire: 'catch_up', catch_up_limit: 5000, job: { type: 't' } },
        'catch_up_limit',
      ],
      [{ name: 'x', every: '1m', job: { type: 't' }, color: 'red' }, 'color'],
      [{ name: 'x', every: '1m', job: { type: 't', delay: '1s' } }, 'job.delay'],
      [{ name: 'x', every: '1m', job: { type: 't', timeout: 'soon' } }, 'job.timeout'],
      [{ name: 'x', every: '1m', job: { type: 't', max_attempts: 0 } }, 'job.max_attempts'],
      [{ name: 'x', job: { type: 't' } }, 'cron'],
      [{ name: 'x', cron: '* * * * *', every: '1m', job: { type: 't' } }, 'cron'],
      [{ name: 'bad name', every: '1m', job: { type: 't' } }, 'name'],
      [{ name: 'x', every: '1m' }, 'job'],
    ];
    for (const [body, field] of cases) {
      const res = await fx.call('POST', '/api/v1/schedules', { body });
      expect([res.status, res.body.error?.details?.field], JSON.stringify(body)).toEqual([
        400,
        field,
      ]);
      expect(res.body.error.message).toContain(field);
    }
    await fx.call('POST', '/api/v1/schedules', { body: nightly });
    const patch = await fx.call('PATCH', '/api/v1/schedules/nightly', {
      body: { timezone: 'Nowhere/Land' },
    });
    expect([patch.status, patch.body.error.details.field]).toEqual([400, 'timezone']);
    expect((await fx.call('GET', '/api/v1/schedules')).body.schedules).toHaveLength(1);
    expect((await fx.call('GET', '/api/v1/schedules/nightly')).body.timezone).toBe('Europe/Berlin');
  });

  it('keeps roles and queue restrictions', async () => {
    const fx = (f = await createApiFixture({ auth: 'required' }));
    const admin = await fx.key('admin');
    await fx.call('POST', '/api/v1/schedules', { body: nightly, key: admin });
    await fx.call('POST', '/api/v1/schedules', {
      body: { name: 'other', every: '1h', job: { type: 't', queue: 'other' } },
      key: admin,
    });
    const viewer = await fx.key('viewer');
    expect((await fx.call('GET', '/api/v1/schedules', { key: viewer })).status).toBe(200);
    expect((await fx.call('POST', '/api/v1/schedules/nightly/pause', { key: viewer })).status).toBe(
      403,
    );
    const producer = await fx.key('producer');
    expect(
      (await fx.call('POST', '/api/v1/schedules/nightly/trigger', { key: producer })).status,
    ).toBe(201);
    expect((await fx.call('DELETE', '/api/v1/schedules/nightly', { key: producer })).status).toBe(
      403,
    );
    const operator = await fx.key('operator', ['reports']);
    const listed = await fx.call('GET', '/api/v1/schedules', { key: operator });
    expect(names(listed.body)).toEqual(['nightly']);
    expect((await fx.call('GET', '/api/v1/schedules/other', { key: operator })).status).toBe(403);
    expect(
      (await fx.call('POST', '/api/v1/schedules/nightly/pause', { key: operator })).status,
    ).toBe(200);
    const moved = await fx.call('PATCH', '/api/v1/schedules/nightly', {
      body: { job: { type: 'report', queue: 'other' } },
      key: operator,
    });
    expect(moved.status).toBe(403);
    expect((await fx.call('GET', '/api/v1/schedules', { key: 'nope' })).status).toBe(401);
  });

  it('lists a schedule whose stored definition is odd, with its error', async () => {
    const { fx, store } = await fixture();
    await store.schedules.put({
      name: 'odd',
      definition: { job: { type: 't' }, cron: 'whenever' },
      source: 'api',
    });
    await store.schedules.put({
      name: 'nojob',
      definition: { everyMs: 'often' } as never,
      source: 'api',
    });
    await fx.call('POST', '/api/v1/schedules', { body: nightly });
    const list = await fx.call('GET', '/api/v1/schedules');
    expect(list.status).toBe(200);
    expect(names(list.body)).toEqual(['nightly', 'nojob', 'odd']);
    expect((await fx.call('GET', '/api/v1/schedules/nojob')).body.error).toBe(
      'every must be a duration',
    );
    expect(list.body.schedules[2]).toMatchObject({ next_runs: [], cron: 'whenever' });
    expect(list.body.schedules[2].error).toContain('cron');
  });
});
