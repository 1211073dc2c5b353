import { afterEach, describe, expect, it } from 'vitest';
import type { Clock, ScheduleDefinition, Store } from '@gopherqueue/core';
import { SteppingClock } from '@gopherqueue/core/testing';
import { LevelStore } from '@gopherqueue/persistence';
import { ScheduleTicker, type ScheduleTickerOptions } from './schedule-ticker.js';

const stores: Store[] = [];
const tickers: ScheduleTicker[] = [];

afterEach(async () => {
  for (const ticker of tickers.splice(0)) await ticker.stop();
  for (const store of stores.splice(0)) await store.close();
});

async function openStore(clock: Clock): Promise<Store> {
  const store = await LevelStore.open({ memory: true, clock });
  stores.push(store);
  return store;
}

function ticker(store: Store, clock: Clock, options: Partial<ScheduleTickerOptions> = {}) {
  const t = new ScheduleTicker({ store, clock, refreshMs: 3_600_000, random: () => 0, ...options });
  tickers.push(t);
  return t;
}

/** Stores a schedule as the API would. */
async function putSchedule(
  store: Store,
  name: string,
  definition: ScheduleDefinition,
): Promise<void> {
  await store.schedules.put({ name, definition, source: 'api' });
}

/** Steps the clock from timer to timer (each tick exactly on time) up to `until`. */
async function walk(clock: SteppingClock, tickers: ScheduleTicker[], until: number): Promise<void> {
  for (let steps = 0; steps < 100_000; steps++) {
    for (const t of tickers) await t.settled();
    const at = clock.timerAt;
    if (at === undefined || at > until) break;
    clock.manual.advance(Math.max(0, at - clock.now()));
  }
  clock.manual.advance(Math.max(0, until - clock.now()));
  for (const t of tickers) await t.settled();
}

/** The `scheduled_for` of every job of the store, in order. */
async function ticksOf(store: Store): Promise<string[]> {
  const page = await store.list({ limit: 1000 });
  return page.jobs.map((j) => j.tags['scheduled_for'] ?? '?').sort();
}

const iso = (ms: number): string => new Date(ms).toISOString();
const T0 = Date.UTC(2026, 0, 1);

describe('ScheduleTicker', () => {
  it('creates one job per second of an every-second cron, tagged with its tick', async () => {
    const clock = new SteppingClock(T0 + 300);
    const store = await openStore(clock);
    await putSchedule(store, 'sec', {
      job: { type: 'beat', payload: { n: 1 } },
      cron: '*/1 * * * * *',
    });
    const t = ticker(store, clock);
    await t.start();
    await walk(clock, [t], T0 + 5_500);
    expect(await ticksOf(store)).toEqual([1, 2, 3, 4, 5].map((s) => iso(T0 + s * 1000)));
    const job = (await store.list({ limit: 1 })).jobs[0];
    expect(job).toMatchObject({ type: 'beat', payload: { n: 1 }, runAt: T0 + 5000 });
    expect(job?.tags['schedule']).toBe('sec');
  });

  it("writes each tick's job leadMs ahead, as a job that waits for its tick", async () => {
    const clock = new SteppingClock(T0 + 300);
    const store = await openStore(clock);
    await putSchedule(store, 'minute', { job: { type: 'beat' }, cron: '0 * * * * *' });
    const t = ticker(store, clock, { leadMs: 1000 });
    await t.start();
    await walk(clock, [t], T0 + 58_999);
    expect(await ticksOf(store)).toEqual([]);
    await walk(clock, [t], T0 + 59_000);
    const [first] = (await store.list({ limit: 10 })).jobs;
    expect(first).toMatchObject({ state: 'delayed', createdAt: T0 + 59_000, runAt: T0 + 60_000 });
    expect(first?.tags['scheduled_for']).toBe(iso(T0 + 60_000));
    await walk(clock, [t], T0 + 125_000);
    const jobs = (await store.list({ limit: 10 })).jobs;
    expect(jobs.map((j) => [j.tags['scheduled_for'], j.createdAt, j.runAt])).toEqual([
      [iso(T0 + 120_000), T0 + 119_000, T0 + 120_000],
      [iso(T0 + 60_000), T0 + 59_000, T0 + 60_000],
    ]);
    expect((await store.schedules.get('minute'))?.lastTick).toBe(T0 + 120_000);
  });

  it('refuses a lead that is not a whole number of ms from 0 to a minute', async () => {
    const clock = new SteppingClock(T0);
    const store = await openStore(clock);
    for (const leadMs of [-1, 60_001, 1.5, Number.NaN]) {
      expect(() => new ScheduleTicker({ store, clock, leadMs })).toThrow(
        `leadMs must be an integer from 0 to 60000; got ${leadMs}`,
      );
    }
  });

  it('fires each tick once with three tickers on one store', async () => {
    const clock = new SteppingClock(T0 + 300);
    const store = await openStore(clock);
    await putSchedule(store, 'every', { job: { type: 'beat' }, everyMs: 1000 });
    const all = [ticker(store, clock), ticker(store, clock), ticker(store, clock)];
    for (const t of all) await t.start();
    await walk(clock, all, T0 + 10_500);
    expect(await ticksOf(store)).toEqual(
      Array.from({ length: 10 }, (_, i) => iso(T0 + (i + 1) * 1000)),
    );
  });

  describe('misfire after 5 ticks with no ticker running', () => {
    const cases: [ScheduleDefinition['misfire'], number | undefined, number[]][] = [
      ['skip', undefined, []],
      ['once', undefined, [5]],
      ['catch_up', 3, [3, 4, 5]],
      ['catch_up', undefined, [1, 2, 3, 4, 5]],
    ];
    for (const [misfire, limit, expected] of cases) {
      it(`${misfire}${limit === undefined ? '' : ` (limit ${limit})`} fires ticks ${expected.join(', ') || 'none'} of them`, async () => {
        const clock = new SteppingClock(T0 + 300);
        const store = await openStore(clock);
        const definition: ScheduleDefinition = {
          job: { type: 'beat' },
          cron: '* * * * * *',
          ...(misfire === undefined ? {} : { misfire }),
          ...(limit === undefined ? {} : { catchUpLimit: limit }),
        };
        await putSchedule(store, 's', definition);
        // Stopped across the ticks of seconds 1..5; started again at 5.5.
        clock.manual.advance(5_200);
        const t = ticker(store, clock);
        await t.start();
        await t.settled();
        expect(await ticksOf(store)).toEqual(expected.map((s) => iso(T0 + s * 1000)));
        // Then it goes on on time.
        await walk(clock, [t], T0 + 7_500);
        expect((await ticksOf(store)).slice(expected.length)).toEqual([
          iso(T0 + 6000),
          iso(T0 + 7000),
        ]);
      });
    }
  });

  describe('daylight saving', () => {
    const walkDays = async (
      cron: string,
      timezone: string,
      from: string,
      to: string,
    ): Promise<string[]> => {
      const clock = new SteppingClock(Date.parse(from));
      const store = await openStore(clock);
      await putSchedule(store, 'dst', { job: { type: 'report' }, cron, timezone });
      const t = ticker(store, clock);
      await t.start();
      await walk(clock, [t], Date.parse(to));
      return ticksOf(store);
    };

    it('runs 02:30 Europe/Berlin once on the spring-forward day (at 03:00 CEST)', async () => {
      expect(
        await walkDays(
          '30 2 * * *',
          'Europe/Berlin',
          '2026-03-27T12:00:00Z',
          '2026-03-31T12:00:00Z',
        ),
      ).toEqual([
        '2026-03-28T01:30:00.000Z',
        '2026-03-29T01:00:00.000Z',
        '2026-03-30T00:30:00.000Z',
        '2026-03-31T00:30:00.000Z',
      ]);
    });

    it('runs 02:30 Europe/Berlin once on the fall-back day (its first occurrence, CEST)', async () => {
      expect(
        await walkDays(
          '30 2 * * *',
          'Europe/Berlin',
          '2026-10-23T12:00:00Z',
          '2026-10-27T12:00:00Z',
        ),
      ).toEqual([
        '2026-10-24T00:30:00.000Z',
        '2026-10-25T00:30:00.000Z',
        '2026-10-26T01:30:00.000Z',
        '2026-10-27T01:30:00.000Z',
      ]);
    });

    it('runs 02:30 America/New_York once on both transition days', async () => {
      expect(
        await walkDays(
          '30 2 * * *',
          'America/New_York',
          '2026-03-07T00:00:00Z',
          '2026-03-10T00:00:00Z',
        ),
      ).toEqual([
        '2026-03-07T07:30:00.000Z',
        '2026-03-08T07:00:00.000Z',
        '2026-03-09T06:30:00.000Z',
      ]);
      expect(
        await walkDays(
          '30 2 * * *',
          'America/New_York',
          '2026-10-31T00:00:00Z',
          '2026-11-03T00:00:00Z',
        ),
      ).toEqual([
        '2026-10-31T06:30:00.000Z',
        '2026-11-01T07:30:00.000Z',
        '2026-11-02T07:30:00.000Z',
      ]);
    });

    it('runs an hourly Europe/Berlin schedule at every real hour across the fall-back hour', async () => {
      expect(
        await walkDays(
          '0 * * * *',
          'Europe/Berlin',
          '2026-10-24T23:30:00Z',
          '2026-10-25T03:30:00Z',
        ),
      ).toEqual([
        '2026-10-25T00:00:00.000Z',
        '2026-10-25T01:00:00.000Z',
        '2026-10-25T02:00:00.000Z',
        '2026-10-25T03:00:00.000Z',
      ]);
    });
  });

  it('fires nothing while paused and picks up after resume without the paused ticks', async () => {
    const clock = new SteppingClock(T0 + 300);
    const store = await openStore(clock);
    await putSchedule(store, 's', { job: { type: 'beat' }, everyMs: 1000 });
    const t = ticker(store, clock);
    await t.start();
    await walk(clock, [t], T0 + 2_500);
    await store.schedules.setPaused('s', true);
    await t.refresh();
    await walk(clock, [t], T0 + 5_500);
    await store.schedules.setPaused('s', false);
    await t.refresh();
    await walk(clock, [t], T0 + 7_500);
    expect(await ticksOf(store)).toEqual([1, 2, 6, 7].map((s) => iso(T0 + s * 1000)));
  });

  it('follows a changed definition and stops for a deleted schedule', async () => {
    const clock = new SteppingClock(T0 + 300);
    const store = await openStore(clock);
    await putSchedule(store, 's', { job: { type: 'a' }, everyMs: 1000 });
    const t = ticker(store, clock);
    await t.start();
    await walk(clock, [t], T0 + 1_500);
    await putSchedule(store, 's', { job: { type: 'b' }, everyMs: 2000 });
    await t.refresh();
    await walk(clock, [t], T0 + 4_500);
    await store.schedules.delete('s');
    await t.refresh();
    await walk(clock, [t], T0 + 8_500);
    const jobs = (await store.list({ limit: 10 })).jobs.reverse();
    expect(jobs.map((j) => [j.type, j.tags['scheduled_for']])).toEqual([
      ['a', iso(T0 + 1000)],
      ['b', iso(T0 + 2000)],
      ['b', iso(T0 + 4000)],
    ]);
  });

  it('builds jobs from a schedule deleted and created again elsewhere, not from the old one', async () => {
    const clock = new SteppingClock(T0 + 300);
    const store = await openStore(clock);
    await putSchedule(store, 's', { job: { type: 'old' }, everyMs: 1000 });
    const t = ticker(store, clock);
    await t.start();
    await walk(clock, [t], T0 + 1_500);
    // Another process re-creates it (revision 1 again); this ticker has not re-read it.
    await store.schedules.delete('s');
    await putSchedule(store, 's', { job: { type: 'new' }, everyMs: 1000 });
    await walk(clock, [t], T0 + 3_500);
    const jobs = (await store.list({ limit: 10 })).jobs.reverse();
    expect(jobs.map((j) => [j.type, j.tags['scheduled_for']])).toEqual([
      ['old', iso(T0 + 1000)],
      ['new', iso(T0 + 2000)],
      ['new', iso(T0 + 3000)],
    ]);
  });

  it('sees a schedule another process created at its next re-read', async () => {
    const clock = new SteppingClock(T0 + 300);
    const store = await openStore(clock);
    const t = ticker(store, clock, { refreshMs: 5000 });
    await t.start();
    await putSchedule(store, 'late', { job: { type: 'beat' }, everyMs: 1000 });
    await walk(clock, [t], T0 + 7_500);
    // Created at 0.3 s, read at 5.3 s: the ticks since creation fire as on time.
    expect(await ticksOf(store)).toEqual([1, 2, 3, 4, 5, 6, 7].map((s) => iso(T0 + s * 1000)));
  });

  it('leaves a schedule whose stored definition is invalid idle and runs the others', async () => {
    const clock = new SteppingClock(T0 + 300);
    const store = await openStore(clock);
    await putSchedule(store, 'bad', { job: { type: 'x' }, cron: 'not a cron' });
    await putSchedule(store, 'good', { job: { type: 'y' }, everyMs: 1000 });
    const t = ticker(store, clock);
    await t.start();
    await walk(clock, [t], T0 + 2_500);
    expect(await ticksOf(store)).toEqual([iso(T0 + 1000), iso(T0 + 2000)]);
  });

  it('adds a jitter below the bound to each job run time', async () => {
    const clock = new SteppingClock(T0 + 300);
    const store = await openStore(clock);
    await putSchedule(store, 'j', { job: { type: 'beat' }, everyMs: 10_000, jitterMs: 4000 });
    const t = ticker(store, clock, { random: () => 0.5 });
    await t.start();
    await walk(clock, [t], T0 + 10_500);
    const [job] = (await store.list({ limit: 1 })).jobs;
    expect(job?.runAt).toBe(T0 + 12_000);
    expect(job?.tags['scheduled_for']).toBe(iso(T0 + 10_000));
  });
});
