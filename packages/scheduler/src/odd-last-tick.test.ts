import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type {
  Clock,
  LogFields,
  Logger,
  ScheduleStore,
  Store,
  StoredSchedule,
} from '@gopherqueue/core';
import { SteppingClock } from '@gopherqueue/core/testing';
import { LevelStore, PostgresStore } from '@gopherqueue/persistence';
import { openLevelDb } from '../../persistence/src/level/level-open.js';
import { describeWithPostgres } from '../../persistence/src/postgres/describe-with-postgres.js';
import {
  dropSchemas,
  runSql,
  TEST_POSTGRES_URL,
  uniqueSchema,
} from '../../persistence/src/postgres/test-database.js';
import { ScheduleTicker } from './schedule-ticker.js';

/** A logger that keeps its warnings. */
function recordingLogger(): Logger & { warnings: [string, LogFields | undefined][] } {
  const warnings: [string, LogFields | undefined][] = [];
  const logger = {
    warnings,
    debug: () => undefined,
    info: () => undefined,
    warn: (message: string, fields?: LogFields) => void warnings.push([message, fields]),
    error: (message: string, fields?: LogFields) => void warnings.push([message, fields]),
    child: () => logger,
  };
  return logger;
}

const T0 = Date.UTC(2026, 0, 1);
const iso = (ms: number): string => new Date(ms).toISOString();
const EVERY_SECOND = { job: { type: 'beat' }, cron: '* * * * * *' };

const stores: Store[] = [];
const tickers: ScheduleTicker[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const ticker of tickers.splice(0)) await ticker.stop();
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function ticker(store: Store, clock: Clock, logger?: Logger): ScheduleTicker {
  const t = new ScheduleTicker({
    store,
    clock,
    refreshMs: 1000,
    random: () => 0,
    ...(logger === undefined ? {} : { logger }),
  });
  tickers.push(t);
  return t;
}

/** Steps the clock from timer to timer up to `until`. */
async function walk(clock: SteppingClock, t: ScheduleTicker, until: number): Promise<void> {
  for (let steps = 0; steps < 10_000; steps++) {
    await t.settled();
    const at = clock.timerAt;
    if (at === undefined || at > until) break;
    clock.manual.advance(Math.max(0, at - clock.now()));
  }
  clock.manual.advance(Math.max(0, until - clock.now()));
  await t.settled();
}

/** Each schedule's fired ticks, by the `schedule` and `scheduled_for` tags of the store's jobs. */
async function firedBy(store: Store): Promise<Record<string, string[]>> {
  const fired: Record<string, string[]> = {};
  for (const job of (await store.list({ limit: 1000 })).jobs) {
    (fired[job.tags['schedule'] ?? '?'] ??= []).push(job.tags['scheduled_for'] ?? '?');
  }
  for (const ticks of Object.values(fired)) ticks.sort();
  return fired;
}

const seconds = (...s: number[]): string[] => s.map((n) => iso(T0 + n * 1000));

/**
 * A store whose schedule reads show `odd` with `shown.lastTick` (while set), as a reader that let
 * it through.
 */
function withOddLastTick(store: Store, shown: { lastTick?: number }): Store {
  const inner = store.schedules;
  const odd = (s: StoredSchedule): StoredSchedule =>
    s.name === 'odd' && shown.lastTick !== undefined ? { ...s, lastTick: shown.lastTick } : s;
  const schedules: ScheduleStore = {
    list: async (page) => (await inner.list(page)).map(odd),
    get: async (name) => {
      const found = await inner.get(name);
      return found === undefined ? undefined : odd(found);
    },
    put: (write) => inner.put(write),
    create: (write) => inner.create(write),
    setPaused: (name, paused) => inner.setPaused(name, paused),
    delete: (name) => inner.delete(name),
    fire: (name, input) => inner.fire(name, input),
    fireMany: (inputs) => inner.fireMany(inputs),
  };
  return new Proxy(store, {
    get(target, key) {
      if (key === 'schedules') return schedules;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

describe('a schedule whose last tick no Date can hold', () => {
  it('is left idle and logged by the ticker, and the others fire on time', async () => {
    const clock = new SteppingClock(T0 + 300);
    const store = await LevelStore.open({ memory: true, clock });
    stores.push(store);
    for (const name of ['alpha', 'odd']) {
      await store.schedules.put({ name, definition: EVERY_SECOND, source: 'api' });
    }
    const logger = recordingLogger();
    const shown: { lastTick?: number } = { lastTick: 1e300 };
    const t = ticker(withOddLastTick(store, shown), clock, logger);
    await t.start();
    await walk(clock, t, T0 + 1_500);
    // A schedule created while it runs (named after the odd one) is seen and fires.
    await store.schedules.put({ name: 'zeta', definition: EVERY_SECOND, source: 'api' });
    await t.refresh();
    await walk(clock, t, T0 + 3_500);
    expect(await firedBy(store)).toEqual({
      alpha: seconds(1, 2, 3),
      zeta: seconds(2, 3),
    });
    // Logged once, not at each re-read.
    expect(logger.warnings).toEqual([
      [
        'schedule left idle: its next tick cannot be worked out',
        {
          schedule: 'odd',
          lastTick: 1e300,
          error: 'CronDate: Invalid date passed to CronDate constructor',
        },
      ],
    ]);
    // Read with a real last tick again, it goes on: the ticks missed meanwhile are skipped.
    delete shown.lastTick;
    await t.refresh();
    await walk(clock, t, T0 + 5_500);
    expect((await firedBy(store))['odd']).toEqual(seconds(4, 5));
  });

  it('is read from an embedded store with its last change as its last tick, and fires', async () => {
    const location = mkdtempSync(path.join(tmpdir(), 'gq-odd-tick-'));
    dirs.push(location);
    const clock = new SteppingClock(T0 + 300);
    const first = await LevelStore.open({ location, clock });
    for (const name of ['good', 'odd']) {
      await first.schedules.put({ name, definition: EVERY_SECOND, source: 'api' });
    }
    await first.close();
    const db = await openLevelDb(location, false);
    const record = JSON.parse((await db.get('sched!odd')) as string) as StoredSchedule;
    await db.put('sched!odd', JSON.stringify({ ...record, lastTick: 1e300 }));
    await db.close();

    const logger = recordingLogger();
    const store = await LevelStore.open({ location, clock, logger });
    stores.push(store);
    expect((await store.schedules.get('odd'))?.lastTick).toBe(T0 + 300);
    expect(logger.warnings).toEqual([
      [
        'schedule record has an impossible last tick; using its last change',
        { key: 'sched!odd', stored: 1e300, lastTick: T0 + 300 },
      ],
    ]);
    const t = ticker(store, clock);
    await t.start();
    await walk(clock, t, T0 + 3_500);
    expect(await firedBy(store)).toEqual({ good: seconds(1, 2, 3), odd: seconds(1, 2, 3) });
    // Its next fire wrote a real last tick.
    await t.stop();
    await store.close();
    stores.length = 0;
    const db2 = await openLevelDb(location, false);
    expect((JSON.parse((await db2.get('sched!odd')) as string) as StoredSchedule).lastTick).toBe(
      T0 + 3000,
    );
    await db2.close();
  });
});

describeWithPostgres('a PostgreSQL schedule whose last_tick no Date can hold', () => {
  const schema = uniqueSchema('gq_odd_tick');
  afterAll(() => dropSchemas([schema]));

  it('is read with its last change as its last tick, and it and the others fire', async () => {
    const clock = new SteppingClock(T0 + 300);
    const store = await PostgresStore.open({
      connectionString: TEST_POSTGRES_URL,
      schema,
      poolSize: 2,
      clock,
    });
    stores.push(store);
    for (const name of ['alpha', 'odd', 'zeta']) {
      await store.schedules.put({ name, definition: EVERY_SECOND, source: 'api' });
    }
    clock.manual.advance(100);
    await store.schedules.setPaused('odd', false);
    expect(
      await runSql(
        `UPDATE "${schema}".schedules SET last_tick = 9000000000000000000 WHERE name = 'odd'`,
      ),
    ).toBe(1);
    const odd = await store.schedules.get('odd');
    expect([odd?.lastTick, odd?.updatedAt, odd?.createdAt]).toEqual([T0 + 400, T0 + 400, T0 + 300]);
    expect((await store.schedules.list()).map((s) => [s.name, s.lastTick])).toEqual([
      ['alpha', T0 + 300],
      ['odd', T0 + 400],
      ['zeta', T0 + 300],
    ]);
    const t = ticker(store, clock);
    await t.start();
    await walk(clock, t, T0 + 3_500);
    expect(await firedBy(store)).toEqual({
      alpha: seconds(1, 2, 3),
      odd: seconds(1, 2, 3),
      zeta: seconds(1, 2, 3),
    });
    expect((await store.schedules.get('odd'))?.lastTick).toBe(T0 + 3000);
  });
});
