import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { createJob, scheduleTickKey } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore } from './level-store.js';

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gq-sched-'));
  dirs.push(dir);
  return dir;
}

describe('LevelStore schedules on disk', () => {
  it('keeps schedules and their last tick across a reopen', async () => {
    const location = tempDir();
    const clock = new ManualClock();
    const t0 = clock.now();
    const store = await LevelStore.open({ location, clock });
    const definition = { job: { type: 'tick' }, everyMs: 1000 };
    await store.schedules.put({ name: 'a', definition, source: 'code' });
    await store.schedules.put({ name: 'b', definition, source: 'api' });
    await store.schedules.setPaused('b', true);
    clock.advance(1000);
    const spec = createJob('tick', null, { idempotencyKey: scheduleTickKey('a', t0 + 1000) }, t0);
    expect(
      (await store.schedules.fire('a', { tick: t0 + 1000, revision: 1, createdAt: t0, spec }))
        .status,
    ).toBe('fired');
    await store.close();

    const reopened = await LevelStore.open({ location, clock });
    expect(await reopened.schedules.list()).toEqual([
      expect.objectContaining({ name: 'a', source: 'code', paused: false, lastTick: t0 + 1000 }),
      expect.objectContaining({ name: 'b', source: 'api', paused: true, lastTick: t0 }),
    ]);
    expect((await reopened.counts()).total).toBe(1);
    await reopened.close();
  });

  it('skips a record it cannot read, listing the others', async () => {
    const location = tempDir();
    const store = await LevelStore.open({ location });
    await store.schedules.put({ name: 'good', definition: { job: { type: 't' } }, source: 'api' });
    await store.close();
    const db = new ClassicLevel<string, string>(location);
    await db.put('sched!broken', '{not json');
    await db.put('sched!odd', JSON.stringify({ name: 'odd' }));
    await db.close();

    const reopened = await LevelStore.open({ location });
    expect((await reopened.schedules.list()).map((s) => s.name)).toEqual(['good']);
    await reopened.close();
  });
});
