import { afterEach, describe, expect, it } from 'vitest';
import {
  ErrorCode,
  GqError,
  MAX_FIRE_BATCH,
  type NamedFireInput,
  type ScheduleStore,
  type Store,
} from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore } from '@gopherqueue/persistence';
import { MAX_TICKER_CONCURRENCY, ScheduleTicker } from './schedule-ticker.js';

const T0 = Date.UTC(2026, 0, 1);
const stores: Store[] = [];
const tickers: ScheduleTicker[] = [];

afterEach(async () => {
  for (const ticker of tickers.splice(0)) await ticker.stop();
  for (const store of stores.splice(0)) await store.close();
});

/** Every call of `schedules.fireMany` (its inputs), and the most calls in flight at once. */
interface FireLog {
  calls: NamedFireInput[][];
  inFlight: number;
  most: number;
}

/**
 * A store whose `schedules.fireMany` is logged, each call yielding once before it goes on; a call
 * with a tick of the schedule `refuse` is refused as the store refuses a job it cannot take.
 */
function logged(store: Store, log: FireLog, refuse?: string): Store {
  const inner = store.schedules;
  const schedules: ScheduleStore = {
    list: (page) => inner.list(page),
    get: (name) => inner.get(name),
    put: (write) => inner.put(write),
    create: (write) => inner.create(write),
    setPaused: (name, paused) => inner.setPaused(name, paused),
    delete: (name) => inner.delete(name),
    fire: (name, input) => inner.fire(name, input),
    fireMany: async (inputs) => {
      log.calls.push([...inputs]);
      log.most = Math.max(log.most, ++log.inFlight);
      try {
        await new Promise((resolve) => setImmediate(resolve));
        if (inputs.some((input) => input.name === refuse)) {
          throw new GqError(ErrorCode.INVALID_ARGUMENT, `job of ${refuse} refused`);
        }
        return await inner.fireMany(inputs);
      } finally {
        log.inFlight--;
      }
    },
  };
  return new Proxy(store, {
    get(target, key) {
      if (key === 'schedules') return schedules;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

async function putEverySecond(store: Store, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await store.schedules.put({
      name,
      definition: { job: { type: 'beat' }, cron: '* * * * * *', misfire: 'catch_up' },
      source: 'api',
    });
  }
}

describe('ScheduleTicker batches', () => {
  it('fires at most `batchSize` ticks per store call, `concurrency` calls at once, each schedule its ticks in order in one call', async () => {
    const clock = new ManualClock(T0 + 300);
    const store = await LevelStore.open({ memory: true, clock });
    stores.push(store);
    const names = Array.from({ length: 10 }, (_, i) => `s${i}`);
    await putEverySecond(store, names);
    clock.advance(3_000);
    const log: FireLog = { calls: [], inFlight: 0, most: 0 };
    const t = new ScheduleTicker({
      store: logged(store, log),
      clock,
      refreshMs: 3_600_000,
      batchSize: 7,
      concurrency: 2,
    });
    tickers.push(t);
    await t.start();
    await t.settled();
    expect(log.most).toBe(2);
    // 3 ticks per schedule, never split: two schedules (6 ticks) per call of at most 7.
    expect(log.calls.map((c) => c.length)).toEqual([6, 6, 6, 6, 6]);
    for (const name of names) {
      const calls = log.calls.filter((c) => c.some((i) => i.name === name));
      expect(calls).toHaveLength(1);
      const ticks = (calls[0] as NamedFireInput[])
        .filter((i) => i.name === name)
        .map((i) => i.tick);
      expect(ticks).toEqual([T0 + 1000, T0 + 2000, T0 + 3000]);
    }
    const page = await store.list({ limit: 100 });
    expect(page.jobs).toHaveLength(30);
  });

  it('fires the other schedules of a batch one by one when the store refuses one of its jobs', async () => {
    const clock = new ManualClock(T0 + 300);
    const store = await LevelStore.open({ memory: true, clock });
    stores.push(store);
    await putEverySecond(store, ['a', 'bad', 'c']);
    const badBefore = (await store.schedules.get('bad'))?.lastTick;
    clock.advance(2_000);
    const log: FireLog = { calls: [], inFlight: 0, most: 0 };
    const t = new ScheduleTicker({
      store: logged(store, log, 'bad'),
      clock,
      refreshMs: 3_600_000,
      batchSize: 100,
    });
    tickers.push(t);
    await t.start();
    await t.settled();
    // The batch of all three is refused; then each schedule alone: only `bad` is refused again.
    const names = log.calls.map((c) => [...new Set(c.map((i) => i.name))].sort().join(','));
    expect(names[0]).toBe('a,bad,c');
    expect(names.slice(1).sort()).toEqual(['a', 'bad', 'c']);
    const jobs = (await store.list({ limit: 100 })).jobs;
    const fired = jobs.map((job) => `${job.tags.schedule}@${job.tags.scheduled_for}`).sort();
    expect(fired).toEqual([
      `a@${new Date(T0 + 1000).toISOString()}`,
      `a@${new Date(T0 + 2000).toISOString()}`,
      `c@${new Date(T0 + 1000).toISOString()}`,
      `c@${new Date(T0 + 2000).toISOString()}`,
    ]);
    expect((await store.schedules.get('bad'))?.lastTick).toBe(badBefore);
  });

  it('fires a schedule with more missed ticks than a batch over several calls, in order', async () => {
    const clock = new ManualClock(T0 + 300);
    const store = await LevelStore.open({ memory: true, clock });
    stores.push(store);
    await putEverySecond(store, ['only']);
    clock.advance(5_000);
    const log: FireLog = { calls: [], inFlight: 0, most: 0 };
    const t = new ScheduleTicker({
      store: logged(store, log),
      clock,
      refreshMs: 3_600_000,
      batchSize: 2,
    });
    tickers.push(t);
    await t.start();
    await t.settled();
    expect(log.calls.map((c) => c.map((i) => i.tick - T0))).toEqual([
      [1000, 2000],
      [3000, 4000],
      [5000],
    ]);
    expect((await store.list({ limit: 100 })).jobs).toHaveLength(5);
  });

  it('touches only the schedules due: one store call for the one due among many', async () => {
    const clock = new ManualClock(T0 + 300);
    const store = await LevelStore.open({ memory: true, clock });
    stores.push(store);
    for (let i = 0; i < 50; i++) {
      await store.schedules.put({
        name: `hourly-${i}`,
        definition: { job: { type: 'report' }, cron: '0 * * * *' },
        source: 'api',
      });
    }
    await putEverySecond(store, ['beat']);
    const log: FireLog = { calls: [], inFlight: 0, most: 0 };
    const t = new ScheduleTicker({ store: logged(store, log), clock, refreshMs: 3_600_000 });
    tickers.push(t);
    await t.start();
    await t.settled();
    clock.advance(1000);
    await t.settled();
    await expect.poll(() => log.calls.length).toBe(1);
    expect(log.calls[0]?.map((i) => [i.name, i.tick])).toEqual([['beat', T0 + 1000]]);
  });

  it('rejects a concurrency or batch size that is not a whole number within its bounds', async () => {
    const store = await LevelStore.open({ memory: true });
    stores.push(store);
    for (const concurrency of [0, MAX_TICKER_CONCURRENCY + 1, 1.5, Number.NaN]) {
      expect(() => new ScheduleTicker({ store, concurrency })).toThrow(
        `concurrency must be an integer from 1 to ${MAX_TICKER_CONCURRENCY}; got ${concurrency}`,
      );
    }
    for (const batchSize of [0, MAX_FIRE_BATCH + 1, 2.5]) {
      expect(() => new ScheduleTicker({ store, batchSize })).toThrow(
        `batchSize must be an integer from 1 to ${MAX_FIRE_BATCH}; got ${batchSize}`,
      );
    }
    expect(
      new ScheduleTicker({ store, concurrency: MAX_TICKER_CONCURRENCY, batchSize: MAX_FIRE_BATCH })
        .status,
    ).toBe('stopped');
  });
});
