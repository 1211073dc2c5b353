import { afterEach, describe, expect, it } from 'vitest';
import type { FireInput, ScheduleStore, Store } from '@gopherqueue/core';
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

/** Every call of `schedules.fire`, and the most calls in flight at once (overall, per schedule). */
interface FireLog {
  ticks: Map<string, number[]>;
  inFlight: number;
  most: number;
  mostOfOne: number;
}

/** A store whose `schedules.fire` is logged, each call yielding once before it goes on. */
function logged(store: Store, log: FireLog): Store {
  const inner = store.schedules;
  const busy = new Map<string, number>();
  const schedules: ScheduleStore = {
    list: () => inner.list(),
    get: (name) => inner.get(name),
    put: (write) => inner.put(write),
    setPaused: (name, paused) => inner.setPaused(name, paused),
    delete: (name) => inner.delete(name),
    fire: async (name: string, input: FireInput) => {
      log.ticks.set(name, [...(log.ticks.get(name) ?? []), input.tick]);
      log.most = Math.max(log.most, ++log.inFlight);
      busy.set(name, (busy.get(name) ?? 0) + 1);
      log.mostOfOne = Math.max(log.mostOfOne, busy.get(name) ?? 0);
      try {
        await new Promise((resolve) => setImmediate(resolve));
        return await inner.fire(name, input);
      } finally {
        log.inFlight--;
        busy.set(name, (busy.get(name) ?? 0) - 1);
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

describe('ScheduleTicker concurrency', () => {
  it('fires at most `concurrency` schedules at once, each one its ticks in order', async () => {
    const clock = new ManualClock(T0 + 300);
    const store = await LevelStore.open({ memory: true, clock });
    stores.push(store);
    const names = Array.from({ length: 10 }, (_, i) => `s${i}`);
    for (const name of names) {
      await store.schedules.put({
        name,
        definition: { job: { type: 'beat' }, cron: '* * * * * *', misfire: 'catch_up' },
        source: 'api',
      });
    }
    clock.advance(3_000);
    const log: FireLog = { ticks: new Map(), inFlight: 0, most: 0, mostOfOne: 0 };
    const t = new ScheduleTicker({
      store: logged(store, log),
      clock,
      refreshMs: 3_600_000,
      concurrency: 4,
    });
    tickers.push(t);
    await t.start();
    await t.settled();
    expect(log.most).toBe(4);
    expect(log.mostOfOne).toBe(1);
    for (const name of names) {
      expect(log.ticks.get(name)).toEqual([T0 + 1000, T0 + 2000, T0 + 3000]);
    }
    const page = await store.list({ limit: 100 });
    expect(page.jobs).toHaveLength(30);
  });

  it('rejects a concurrency that is not a whole number from 1 to the bound', async () => {
    const store = await LevelStore.open({ memory: true });
    stores.push(store);
    for (const concurrency of [0, MAX_TICKER_CONCURRENCY + 1, 1.5, Number.NaN]) {
      expect(() => new ScheduleTicker({ store, concurrency })).toThrow(
        `concurrency must be an integer from 1 to ${MAX_TICKER_CONCURRENCY}; got ${concurrency}`,
      );
    }
    expect(new ScheduleTicker({ store, concurrency: MAX_TICKER_CONCURRENCY }).status).toBe(
      'stopped',
    );
  });
});
