import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { createJob, ErrorCode, MAX_SCHEDULES, scheduleTickKey } from '@gopherqueue/core';
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

describe('LevelStore schedules at the cap', () => {
  it('holds MAX_SCHEDULES, refuses one more naming the field, and pages through them all', async () => {
    const store = await LevelStore.open({ memory: true });
    const definition = { job: { type: 't' }, everyMs: 60_000 };
    const names = Array.from({ length: MAX_SCHEDULES }, (_, i) => `s${String(i).padStart(5, '0')}`);
    for (let i = 0; i < names.length; i += 500) {
      await Promise.all(
        names
          .slice(i, i + 500)
          .map((name) => store.schedules.put({ name, definition, source: 'api' })),
      );
    }
    await expect(
      store.schedules.put({ name: 'one-more', definition, source: 'api' }),
    ).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      details: { field: 'name' },
      message: `a store holds at most ${MAX_SCHEDULES} schedules; delete one first`,
    });
    // Replacing an existing one is no new schedule.
    const replaced = await store.schedules.put({
      name: 's00000',
      definition: { ...definition, everyMs: 30_000 },
      source: 'api',
    });
    expect(replaced.revision).toBe(2);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.schedules.list({
        limit: 1000,
        ...(after === undefined ? {} : { after }),
      });
      if (page.length === 0) break;
      seen.push(...page.map((s) => s.name));
      after = page[page.length - 1]?.name;
    }
    expect(seen).toEqual(names);
    expect(await store.schedules.list()).toHaveLength(MAX_SCHEDULES);
    await store.close();
  });
});
