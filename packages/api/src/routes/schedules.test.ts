import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore, PostgresStore } from '@gopherqueue/persistence';
import { Scheduler } from '@gopherqueue/scheduler';
import type { WireSchedule } from '@gopherqueue/client';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { describeWithPostgres } from '../../../persistence/src/postgres/describe-with-postgres.js';
import {
  dropSchemas,
  TEST_POSTGRES_URL,
  uniqueSchema,
} from '../../../persistence/src/postgres/test-database.js';
import { createApiFixture, type ApiFixture } from '../testing/api-fixture.js';

let f: ApiFixture | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
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

  it('keeps the time zone when a patch changes the cron, unless it names one or moves to every', async () => {
    const { fx } = await fixture();
    await fx.call('POST', '/api/v1/schedules', { body: nightly });
    const moved = await fx.call('PATCH', '/api/v1/schedules/nightly', {
      body: { cron: '0 6 * * *' },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ cron: '0 6 * * *', timezone: 'Europe/Berlin', revision: 2 });
    // 06:00 in Berlin: CET, then CEST from March 29.
    expect((moved.body as WireSchedule).next_runs.slice(0, 2)).toEqual([
      '2026-03-28T05:00:00.000Z',
      '2026-03-29T04:00:00.000Z',
    ]);
    const stored = await fx.call('GET', '/api/v1/schedules/nightly');
    expect([stored.body.cron, stored.body.timezone]).toEqual(['0 6 * * *', 'Europe/Berlin']);
    const zoned = await fx.call('PATCH', '/api/v1/schedules/nightly', {
      body: { cron: '0 7 * * *', timezone: 'America/New_York' },
    });
    expect([zoned.body.cron, zoned.body.timezone, zoned.body.next_runs[0]]).toEqual([
      '0 7 * * *',
      'America/New_York',
      '2026-03-28T11:00:00.000Z',
    ]);
    const every = await fx.call('PATCH', '/api/v1/schedules/nightly', { body: { every: '1h' } });
    expect([every.body.every_ms, every.body.cron, every.body.timezone]).toEqual([
      3_600_000,
      undefined,
      undefined,
    ]);
    const back = await fx.call('PATCH', '/api/v1/schedules/nightly', {
      body: { cron: '0 6 * * *' },
    });
    expect([back.body.cron, back.body.timezone, back.body.every_ms]).toEqual([
      '0 6 * * *',
      'UTC',
      undefined,
    ]);
  });

  it('refuses a name made only of dots, which no request path could name again', async () => {
    const { fx } = await fixture();
    for (const name of ['.', '..', '...']) {
      const res = await fx.call('POST', '/api/v1/schedules', {
        body: { name, every: '1h', job: { type: 't' } },
      });
      expect([res.status, res.body.error.code, res.body.error.details.field], name).toEqual([
        400,
        'validation_error',
        'name',
      ]);
      expect(res.body.error.message).toBe(
        'name must be 1..128 letters, digits and _.:-, and not only dots ("." and ".." cannot be named in a URL)',
      );
    }
    const dotted = await fx.call('POST', '/api/v1/schedules', {
      body: { name: '.hidden.', every: '1h', job: { type: 't' } },
    });
    expect(dotted.status).toBe(201);
    expect((await fx.call('GET', '/api/v1/schedules/.hidden.')).body.name).toBe('.hidden.');
    expect(names((await fx.call('GET', '/api/v1/schedules')).body)).toEqual(['.hidden.']);
  });

  it('answers 409 with the error to trigger a schedule whose stored definition is invalid', async () => {
    const { fx, store } = await fixture();
    await store.schedules.put({
      name: 'nojob',
      definition: { everyMs: 3_600_000 } as never,
      source: 'api',
    });
    await store.schedules.put({
      name: 'numbered',
      definition: { everyMs: 3_600_000, job: { type: 5 } } as never,
      source: 'api',
    });
    for (const [name, error] of [
      ['nojob', 'job must be an object'],
      ['numbered', 'job.type must be a string'],
    ] as const) {
      const res = await fx.call('POST', `/api/v1/schedules/${name}/trigger`);
      expect([res.status, res.body.error], name).toEqual([
        409,
        {
          code: 'conflict',
          message: `schedule "${name}" cannot be triggered: its stored definition is invalid: ${error}`,
          details: { name, error },
        },
      ]);
      // The error the schedule is shown with.
      expect((await fx.call('GET', `/api/v1/schedules/${name}`)).body.error).toBe(error);
    }
    expect((await store.list({ limit: 10 })).jobs).toEqual([]);
  });

  it('triggers a job to run now without the jitter of its ticks', async () => {
    const { clock, store } = await fixture();
    // A scheduler of the same store and clock, so the job is judged at the API's time.
    const scheduler = new Scheduler({ store, clock });
    await scheduler.start();
    const fx = await createApiFixture({ store, clock, scheduler });
    try {
      vi.spyOn(Math, 'random').mockReturnValue(0.5);
      await fx.call('POST', '/api/v1/schedules', { body: nightly });
      const triggered = await fx.call('POST', '/api/v1/schedules/nightly/trigger');
      expect(triggered.status).toBe(201);
      // Ready at once: no later run_at, which half the jitter of 30s would have set.
      expect([triggered.body.state, triggered.body.run_at, triggered.body.created_at]).toEqual([
        'scheduled',
        undefined,
        '2026-03-27T12:00:00.000Z',
      ]);
    } finally {
      await fx.close();
      await scheduler.stop();
    }
  });

  it('creates a schedule paused, and answers 409 to the second of two creates at once', async () => {
    const { fx, store } = await fixture();
    const paused = await fx.call('POST', '/api/v1/schedules', {
      body: { ...nightly, paused: true },
    });
    expect([paused.status, paused.body.paused, paused.body.next_runs]).toEqual([201, true, []]);
    expect((await store.schedules.get('nightly'))?.paused).toBe(true);
    const racing = await Promise.all(
      ['1h', '2h'].map((every) =>
        fx.call('POST', '/api/v1/schedules', {
          body: { name: 'race', every, job: { type: 't' } },
        }),
      ),
    );
    expect(racing.map((r) => r.status)).toEqual([201, 409]);
    expect(racing[1]?.body.error).toEqual({
      code: 'conflict',
      message: 'schedule "race" exists',
      details: { name: 'race' },
    });
    expect((await store.schedules.get('race'))?.definition.everyMs).toBe(3_600_000);
  });
});

describeWithPostgres('/api/v1/schedules on PostgreSQL', () => {
  const schema = uniqueSchema('gq_api_sched');
  afterAll(() => dropSchemas([schema]));

  it('answers 201 to one of two creates of one name at once and 409 to the other', async () => {
    const clock = new ManualClock(T0);
    const store = await PostgresStore.open({
      connectionString: TEST_POSTGRES_URL,
      schema,
      poolSize: 4,
      clock,
    });
    try {
      const fx = (f = await createApiFixture({ store, clock }));
      for (let round = 0; round < 5; round++) {
        const name = `race${round}`;
        const racing = await Promise.all(
          ['1h', '2h'].map((every) =>
            fx.call('POST', '/api/v1/schedules', { body: { name, every, job: { type: 't' } } }),
          ),
        );
        expect(racing.map((r) => r.status).sort(), name).toEqual([201, 409]);
        const won = racing.find((r) => r.status === 201);
        const lost = racing.find((r) => r.status === 409);
        expect(lost?.body.error).toEqual({
          code: 'conflict',
          message: `schedule "${name}" exists`,
          details: { name },
        });
        const stored = await store.schedules.get(name);
        expect([stored?.revision, stored?.definition.everyMs]).toEqual([1, won?.body.every_ms]);
      }
      const paused = await fx.call('POST', '/api/v1/schedules', {
        body: { name: 'quiet', every: '1h', job: { type: 't' }, paused: true },
      });
      expect([paused.status, paused.body.paused]).toEqual([201, true]);
      expect((await store.schedules.get('quiet'))?.paused).toBe(true);
    } finally {
      await f?.close();
      f = undefined;
      await store.close();
    }
  });
});
