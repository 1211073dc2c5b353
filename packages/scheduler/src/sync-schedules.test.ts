import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScheduleDefinition } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore } from '@gopherqueue/persistence';
import { syncDeclaredSchedules } from './sync-schedules.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const nightly: ScheduleDefinition = {
  job: { type: 'report', payload: { a: 1, b: [1, 2] } },
  cron: '30 2 * * *',
  timezone: 'Europe/Berlin',
};
const hourly: ScheduleDefinition = { job: { type: 'sweep' }, everyMs: 3_600_000 };

describe('syncDeclaredSchedules', () => {
  it('keeps declared schedules unchanged across a restart and removes one no longer declared', async () => {
    const location = mkdtempSync(path.join(tmpdir(), 'gq-sync-'));
    dirs.push(location);
    const clock = new ManualClock();
    let store = await LevelStore.open({ location, clock });
    await store.schedules.put({ name: 'adhoc', definition: hourly, source: 'api' });
    expect(
      await syncDeclaredSchedules(store, [
        { name: 'nightly', definition: nightly },
        { name: 'hourly', definition: hourly },
      ]),
    ).toEqual({ created: ['nightly', 'hourly'], updated: [], removed: [], unchanged: [] });
    await store.schedules.setPaused('hourly', true);
    const before = await store.schedules.list();
    await store.close();

    clock.advance(60_000);
    store = await LevelStore.open({ location, clock });
    // The same declarations, keys in another order: nothing is written.
    const reordered: ScheduleDefinition = {
      timezone: 'Europe/Berlin',
      cron: '30 2 * * *',
      job: { payload: { b: [1, 2], a: 1 }, type: 'report' },
    };
    expect(
      await syncDeclaredSchedules(store, [
        { name: 'hourly', definition: hourly },
        { name: 'nightly', definition: reordered },
      ]),
    ).toEqual({ created: [], updated: [], removed: [], unchanged: ['hourly', 'nightly'] });
    expect(await store.schedules.list()).toEqual(before);

    // `hourly` is no longer declared: removed; the API's `adhoc` stays.
    expect(await syncDeclaredSchedules(store, [{ name: 'nightly', definition: nightly }])).toEqual({
      created: [],
      updated: [],
      removed: ['hourly'],
      unchanged: ['nightly'],
    });
    expect((await store.schedules.list()).map((s) => [s.name, s.source])).toEqual([
      ['adhoc', 'api'],
      ['nightly', 'code'],
    ]);
    await store.close();
  });

  it('lets the last of two nodes with different declarations win', async () => {
    const store = await LevelStore.open({ memory: true });
    const nodeA = [{ name: 'nightly', definition: nightly }];
    const nodeB = [
      { name: 'nightly', definition: { ...nightly, cron: '0 3 * * *' } },
      { name: 'hourly', definition: hourly },
    ];
    await syncDeclaredSchedules(store, nodeA);
    await syncDeclaredSchedules(store, nodeB);
    const afterB = await store.schedules.list();
    expect(afterB.map((s) => [s.name, s.definition.cron ?? s.definition.everyMs])).toEqual([
      ['hourly', 3_600_000],
      ['nightly', '0 3 * * *'],
    ]);
    // A restarts: its declarations win, B's extra one goes.
    await syncDeclaredSchedules(store, nodeA);
    expect((await store.schedules.list()).map((s) => [s.name, s.definition.cron])).toEqual([
      ['nightly', '30 2 * * *'],
    ]);
    await store.close();
  });

  it('takes over an API schedule of a declared name and refuses a name declared twice', async () => {
    const store = await LevelStore.open({ memory: true });
    await store.schedules.put({ name: 'nightly', definition: nightly, source: 'api' });
    expect(await syncDeclaredSchedules(store, [{ name: 'nightly', definition: nightly }])).toEqual({
      created: [],
      updated: ['nightly'],
      removed: [],
      unchanged: [],
    });
    expect((await store.schedules.get('nightly'))?.source).toBe('code');
    await expect(
      syncDeclaredSchedules(store, [
        { name: 'x', definition: hourly },
        { name: 'x', definition: hourly },
      ]),
    ).rejects.toThrow('"x" is declared twice');
    await store.close();
  });
});
