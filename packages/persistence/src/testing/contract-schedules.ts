import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  scheduleTickKey,
  type FireOutcome,
  type ScheduleDefinition,
  type StoredSchedule,
} from '@gopherqueue/core';
import { expectCode, useStore, type StoreContractHarness } from './contract-fixture.js';

const EVERY_SECOND: ScheduleDefinition = { job: { type: 'tick' }, everyMs: 1000 };
const CRON: ScheduleDefinition = {
  job: { type: 'report', payload: { kind: 'daily' }, queue: 'reports' },
  cron: '30 2 * * *',
  timezone: 'Europe/Berlin',
  misfire: 'once',
};

/** Schedules: `Store.schedules`, and `fire`, which creates one job per tick across racers. */
export function schedulesContract(harness: StoreContractHarness): void {
  const f = useStore(harness);

  /** Fires `tick` of `name` with the job a scheduler would build for it. */
  const fire = async (
    name: string,
    tick: number,
    revision = 1,
    createdAt?: number,
  ): Promise<FireOutcome> =>
    f.store.schedules.fire(name, {
      tick,
      revision,
      createdAt: createdAt ?? (await f.store.schedules.get(name))?.createdAt ?? 0,
      spec: f.spec('tick', {
        idempotencyKey: scheduleTickKey(name, tick),
        tags: { schedule: name, scheduled_for: new Date(tick).toISOString() },
      }),
    });

  describe('keeping schedules', () => {
    it('creates a schedule unpaused at revision 1, its last tick the time of creation', async () => {
      const created = await f.store.schedules.put({
        name: 'nightly',
        definition: CRON,
        source: 'code',
      });
      const now = f.clock.now();
      const expected: StoredSchedule = {
        name: 'nightly',
        definition: CRON,
        source: 'code',
        paused: false,
        lastTick: now,
        revision: 1,
        createdAt: now,
        updatedAt: now,
      };
      expect(created).toEqual(expected);
      expect(await f.store.schedules.get('nightly')).toEqual(expected);
      expect(await f.store.schedules.get('other')).toBeUndefined();
    });

    it('creates only a new name: of creates racing for one name, one wins and the rest get GQ_CONFLICT', async () => {
      const now = f.clock.now();
      const outcomes = await Promise.allSettled(
        [CRON, EVERY_SECOND, CRON, EVERY_SECOND].map((definition) =>
          f.store.schedules.create({ name: 'once', definition, source: 'api', paused: true }),
        ),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o) => o.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost.map((o) => (o.reason as { code: string }).code)).toEqual([
        ErrorCode.CONFLICT,
        ErrorCode.CONFLICT,
        ErrorCode.CONFLICT,
      ]);
      const stored = await f.store.schedules.get('once');
      expect(stored).toEqual(won[0]!.value);
      expect(stored).toMatchObject({ paused: true, revision: 1, lastTick: now, createdAt: now });
      await expectCode(
        f.store.schedules.create({ name: 'once', definition: CRON, source: 'code' }),
        ErrorCode.CONFLICT,
      );
      expect(await f.store.schedules.get('once')).toEqual(stored);
    });

    it('replaces a definition, keeping paused, last tick and creation time', async () => {
      const start = f.clock.now();
      await f.store.schedules.put({ name: 's', definition: EVERY_SECOND, source: 'code' });
      f.clock.advance(5000);
      await f.store.schedules.setPaused('s', true);
      f.clock.advance(5000);
      const replaced = await f.store.schedules.put({ name: 's', definition: CRON, source: 'api' });
      expect(replaced).toEqual({
        name: 's',
        definition: CRON,
        source: 'api',
        paused: true,
        lastTick: start,
        revision: 2,
        createdAt: start,
        updatedAt: start + 10_000,
      });
      expect(await f.store.schedules.get('s')).toEqual(replaced);
    });

    it('changes nothing when the same definition and source are put again', async () => {
      const first = await f.store.schedules.put({ name: 's', definition: CRON, source: 'code' });
      f.clock.advance(1000);
      const reordered = JSON.parse(
        JSON.stringify({
          misfire: CRON.misfire,
          timezone: CRON.timezone,
          cron: CRON.cron,
          job: CRON.job,
        }),
      ) as typeof CRON;
      const puts = await Promise.all(
        [0, 1, 2].map(() =>
          f.store.schedules.put({ name: 's', definition: reordered, source: 'code' }),
        ),
      );
      for (const put of puts) expect(put).toEqual(first);
      expect(await f.store.schedules.get('s')).toEqual(first);
      const asApi = await f.store.schedules.put({ name: 's', definition: CRON, source: 'api' });
      expect(asApi).toMatchObject({ revision: 2, source: 'api' });
    });

    it('lists schedules by name and deletes them', async () => {
      for (const name of ['b', 'a-1', 'c.x', 'a']) {
        await f.store.schedules.put({ name, definition: EVERY_SECOND, source: 'api' });
      }
      expect((await f.store.schedules.list()).map((s) => s.name)).toEqual(['a', 'a-1', 'b', 'c.x']);
      expect(await f.store.schedules.delete('b')).toBe(true);
      expect(await f.store.schedules.delete('b')).toBe(false);
      expect((await f.store.schedules.list()).map((s) => s.name)).toEqual(['a', 'a-1', 'c.x']);
      expect(await f.store.schedules.get('b')).toBeUndefined();
    });

    it('refuses a bad name naming the field, and pausing an unknown schedule', async () => {
      for (const name of ['', 'has space', 'x'.repeat(129), 'slash/name']) {
        const put = f.store.schedules.put({ name, definition: EVERY_SECOND, source: 'api' });
        await expect(put).rejects.toMatchObject({
          code: ErrorCode.INVALID_ARGUMENT,
          details: { field: 'name' },
        });
      }
      expect(await f.store.schedules.list()).toEqual([]);
      await expectCode(f.store.schedules.setPaused('ghost', true), ErrorCode.NOT_FOUND);
    });
  });

  describe('firing ticks', () => {
    it('creates the tick job and records the tick; the same or an earlier tick is done', async () => {
      const t0 = f.clock.now();
      await f.store.schedules.put({ name: 's', definition: EVERY_SECOND, source: 'api' });
      f.clock.advance(1000);
      const first = await fire('s', t0 + 1000);
      expect(first.status).toBe('fired');
      if (first.status !== 'fired') return;
      expect(first.result.deduplicated).toBe(false);
      expect(first.schedule.lastTick).toBe(t0 + 1000);
      const job = await f.get(first.result.job.id);
      expect(job.idempotencyKey).toBe(scheduleTickKey('s', t0 + 1000));
      expect(job.tags).toEqual({ schedule: 's', scheduled_for: new Date(t0 + 1000).toISOString() });
      expect((await fire('s', t0 + 1000)).status).toBe('done');
      expect((await fire('s', t0 + 500)).status).toBe('done');
      expect((await f.store.schedules.get('s'))?.lastTick).toBe(t0 + 1000);
      expect((await f.store.counts()).total).toBe(1);
      expect((await fire('s', t0 + 2000)).status).toBe('fired');
      expect((await f.store.counts()).total).toBe(2);
    });

    it('creates one job when many fire the same tick at once', async () => {
      const t0 = f.clock.now();
      await f.store.schedules.put({ name: 's', definition: EVERY_SECOND, source: 'api' });
      f.clock.advance(1000);
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => fire('s', t0 + 1000)));
      expect(outcomes.filter((o) => o.status === 'fired')).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'done')).toHaveLength(7);
      expect((await f.store.counts()).total).toBe(1);
    });

    it('fires nothing while paused; resuming skips the ticks that passed', async () => {
      const t0 = f.clock.now();
      await f.store.schedules.put({ name: 's', definition: EVERY_SECOND, source: 'api' });
      const paused = await f.store.schedules.setPaused('s', true);
      expect(paused.paused).toBe(true);
      f.clock.advance(3000);
      expect((await fire('s', t0 + 1000)).status).toBe('paused');
      const resumed = await f.store.schedules.setPaused('s', false);
      expect(resumed).toMatchObject({ paused: false, lastTick: t0 + 3000 });
      expect((await fire('s', t0 + 3000)).status).toBe('done');
      expect((await fire('s', t0 + 4000)).status).toBe('fired');
      expect((await f.store.counts()).total).toBe(1);
    });

    it('refuses a job built from an older revision, a deleted or a re-created schedule', async () => {
      const t0 = f.clock.now();
      await f.store.schedules.put({ name: 's', definition: EVERY_SECOND, source: 'api' });
      await f.store.schedules.put({ name: 's', definition: CRON, source: 'api' });
      const stale = await fire('s', t0 + 1000, 1);
      expect(stale.status).toBe('stale');
      if (stale.status === 'stale') expect(stale.schedule.revision).toBe(2);
      expect((await fire('s', t0 + 1000, 2)).status).toBe('fired');
      await f.store.schedules.delete('s');
      expect(await fire('s', t0 + 2000, 2)).toEqual({ status: 'missing' });
      expect((await f.store.counts()).total).toBe(1);
      // Created again under the name: revision 1 again, but a job built from the old one is stale.
      f.clock.advance(1000);
      await f.store.schedules.put({ name: 's', definition: CRON, source: 'api' });
      expect((await fire('s', t0 + 5000, 1, t0)).status).toBe('stale');
      expect((await fire('s', t0 + 5000, 1)).status).toBe('fired');
    });

    it('leaves the tick unrecorded when the job is refused', async () => {
      const t0 = f.clock.now();
      await f.store.schedules.put({ name: 's', definition: EVERY_SECOND, source: 'api' });
      const spec = { ...f.spec('tick'), runAt: Number.NaN };
      await expectCode(
        f.store.schedules.fire('s', { tick: t0 + 1000, revision: 1, createdAt: t0, spec }),
        ErrorCode.INVALID_ARGUMENT,
      );
      expect((await f.store.schedules.get('s'))?.lastTick).toBe(t0);
      expect((await fire('s', t0 + 1000)).status).toBe('fired');
    });
  });
}
