import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  MAX_FIRE_BATCH,
  MAX_SCHEDULE_PAGE,
  scheduleTickKey,
  type NamedFireInput,
  type ScheduleDefinition,
} from '@gopherqueue/core';
import { expectCode, useStore, type StoreContractHarness } from './contract-fixture.js';

const EVERY_SECOND: ScheduleDefinition = { job: { type: 'tick' }, everyMs: 1000 };

/** Schedules by the batch: `fireMany` (many ticks in one atomic write) and paged `list`. */
export function scheduleBatchesContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  /** The input that fires `tick` of `name` with the job a scheduler would build for it. */
  const input = async (name: string, tick: number, revision = 1): Promise<NamedFireInput> => ({
    name,
    tick,
    revision,
    createdAt: (await f.store.schedules.get(name))?.createdAt ?? 0,
    spec: f.spec('tick', {
      idempotencyKey: scheduleTickKey(name, tick),
      tags: { schedule: name, scheduled_for: new Date(tick).toISOString() },
    }),
  });

  const put = async (...names: string[]): Promise<void> => {
    for (const name of names) {
      await f.store.schedules.put({ name, definition: EVERY_SECOND, source: 'api' });
    }
  };

  describe('firing many ticks at once', () => {
    it('decides each tick in order and writes the jobs and last ticks of those fired', async () => {
      const t0 = f.clock.now();
      await put('a', 'b', 'c', 'd');
      await f.store.schedules.setPaused('c', true);
      await f.store.schedules.put({
        name: 'd',
        definition: { ...EVERY_SECOND, everyMs: 2000 },
        source: 'api',
      });
      f.clock.advance(2000);
      const outcomes = await f.store.schedules.fireMany([
        await input('a', t0 + 1000),
        await input('a', t0 + 2000),
        await input('a', t0 + 2000),
        await input('b', t0 + 1000),
        await input('c', t0 + 1000),
        await input('d', t0 + 1000, 1),
        await input('ghost', t0 + 1000),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual([
        'fired',
        'fired',
        'done',
        'fired',
        'paused',
        'stale',
        'missing',
      ]);
      const [a1, a2, , b1] = outcomes;
      if (a1?.status !== 'fired' || a2?.status !== 'fired' || b1?.status !== 'fired') return;
      expect([a1.schedule.lastTick, a2.schedule.lastTick, b1.schedule.lastTick]).toEqual([
        t0 + 1000,
        t0 + 2000,
        t0 + 1000,
      ]);
      const jobs = await Promise.all([a1, a2, b1].map((o) => f.get(o.result.job.id)));
      expect(jobs.map((j) => j.idempotencyKey)).toEqual([
        scheduleTickKey('a', t0 + 1000),
        scheduleTickKey('a', t0 + 2000),
        scheduleTickKey('b', t0 + 1000),
      ]);
      expect((await f.store.schedules.get('a'))?.lastTick).toBe(t0 + 2000);
      expect((await f.store.schedules.get('b'))?.lastTick).toBe(t0 + 1000);
      expect((await f.store.schedules.get('c'))?.lastTick).toBe(t0);
      expect((await f.store.counts()).total).toBe(3);
      expect(await f.store.schedules.fireMany([])).toEqual([]);
    });

    it('creates one job per tick when many fire the same ticks at once', async () => {
      const t0 = f.clock.now();
      const names = Array.from({ length: 20 }, (_, i) => `s${String(i).padStart(2, '0')}`);
      await put(...names);
      f.clock.advance(1000);
      const inputs = await Promise.all(names.map((name) => input(name, t0 + 1000)));
      // Each racer fires the same ticks, in its own order.
      const racers = Array.from({ length: 6 }, (_, i) =>
        f.store.schedules.fireMany(i % 2 === 0 ? inputs : [...inputs].reverse()),
      );
      const statuses = (await Promise.all(racers)).flat().map((o) => o.status);
      expect(statuses.filter((s) => s === 'fired')).toHaveLength(names.length);
      expect(statuses.filter((s) => s === 'done')).toHaveLength(names.length * 5);
      expect((await f.store.counts()).total).toBe(names.length);
    });

    it('writes nothing when one job is refused', async () => {
      const t0 = f.clock.now();
      await put('a', 'b');
      f.clock.advance(1000);
      const good = await input('a', t0 + 1000);
      const bad = { ...(await input('b', t0 + 1000)), spec: { ...f.spec('t'), runAt: Number.NaN } };
      await expectCode(f.store.schedules.fireMany([good, bad]), ErrorCode.INVALID_ARGUMENT);
      expect((await f.store.schedules.get('a'))?.lastTick).toBe(t0);
      expect((await f.store.counts()).total).toBe(0);
      const again = await f.store.schedules.fireMany([good, await input('b', t0 + 1000)]);
      expect(again.map((o) => o.status)).toEqual(['fired', 'fired']);
    });

    it('refuses more than MAX_FIRE_BATCH ticks, naming the inputs', async () => {
      const t0 = f.clock.now();
      await put('a');
      const one = await input('a', t0 + 1000);
      const inputs = Array.from({ length: MAX_FIRE_BATCH + 1 }, () => one);
      await expect(f.store.schedules.fireMany(inputs)).rejects.toMatchObject({
        code: ErrorCode.INVALID_ARGUMENT,
        details: { field: 'inputs' },
      });
      expect((await f.store.counts()).total).toBe(0);
    });
  });

  describe('listing a page', () => {
    it('lists the names after `after`, at most `limit`', async () => {
      await put('b', 'a-1', 'c.x', 'a', 'd');
      const names = async (page: { after?: string; limit?: number }): Promise<string[]> =>
        (await f.store.schedules.list(page)).map((s) => s.name);
      expect(await names({ limit: 2 })).toEqual(['a', 'a-1']);
      expect(await names({ after: 'a-1', limit: 2 })).toEqual(['b', 'c.x']);
      expect(await names({ after: 'c.x', limit: 2 })).toEqual(['d']);
      expect(await names({ after: 'd' })).toEqual([]);
      expect(await names({ after: 'a0' })).toEqual(['b', 'c.x', 'd']);
      await f.store.schedules.delete('b');
      expect(await names({ after: 'a-1', limit: 1 })).toEqual(['c.x']);
    });

    it('refuses a limit out of bounds, naming it', async () => {
      for (const limit of [0, MAX_SCHEDULE_PAGE + 1, 1.5]) {
        await expect(f.store.schedules.list({ limit })).rejects.toMatchObject({
          code: ErrorCode.INVALID_ARGUMENT,
          details: { field: 'limit' },
        });
      }
    });
  });
}
