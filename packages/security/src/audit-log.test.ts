import { isGqError } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore } from '@gopherqueue/persistence';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from './audit-log.js';

const T0 = Date.UTC(2026, 0, 1);
const stores: LevelStore[] = [];

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

async function memoryMeta() {
  const store = await LevelStore.open({ memory: true });
  stores.push(store);
  return store.meta;
}

describe('AuditLog', () => {
  it('stores entries under audit/<uuidv7> with actor, action, target and details', async () => {
    const meta = await memoryMeta();
    const audit = new AuditLog({ meta, clock: new ManualClock(T0) });
    const entry = await audit.record({
      actor: 'key:0123456789abcdef',
      action: 'job.cancel',
      target: '0190d7a0-0000-7000-8000-000000000000',
      details: { reason: 'stuck' },
    });
    expect(entry).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7/) as string,
      at: T0,
      actor: 'key:0123456789abcdef',
      action: 'job.cancel',
      target: '0190d7a0-0000-7000-8000-000000000000',
      details: { reason: 'stuck' },
    });
    expect(await meta.get(`audit/${entry.id}`)).toEqual(entry);
  });

  it('lists entries newest first, a page at a time', async () => {
    const clock = new ManualClock(T0);
    const audit = new AuditLog({ meta: await memoryMeta(), clock });
    for (let i = 1; i <= 5; i++) {
      await audit.record({ actor: 'local', action: `action.${String(i)}` });
      // Entries 3 and 4 share a millisecond; their order still holds.
      if (i !== 3) clock.advance(1000);
    }
    const actions = (page: { entries: { action: string }[] }) => page.entries.map((e) => e.action);
    const first = await audit.list({ limit: 2 });
    expect(actions(first)).toEqual(['action.5', 'action.4']);
    expect(first.nextCursor).toBe(first.entries[1]?.id);
    const second = await audit.list({ limit: 2, cursor: first.nextCursor! });
    expect(actions(second)).toEqual(['action.3', 'action.2']);
    const third = await audit.list({ limit: 2, cursor: second.nextCursor! });
    expect(actions(third)).toEqual(['action.1']);
    expect(third.nextCursor).toBeUndefined();
    const all = await audit.list();
    expect(actions(all)).toEqual(['action.5', 'action.4', 'action.3', 'action.2', 'action.1']);
    expect(all.nextCursor).toBeUndefined();
    expect(all.entries.map((e) => e.at)).toEqual([T0 + 3000, T0 + 2000, T0 + 2000, T0 + 1000, T0]);
  });

  it('records the queues an entry concerns and lists only those within the given queues', async () => {
    const clock = new ManualClock(T0);
    const audit = new AuditLog({ meta: await memoryMeta(), clock });
    const cases: [string, string[] | undefined][] = [
      ['qa.1', ['qa']],
      ['qb.1', ['qb']],
      ['none', undefined],
      ['empty', []],
      ['qa+qb', ['qa', 'qb']],
      ['qa.2', ['qa', 'qa']],
    ];
    for (const [action, queues] of cases) {
      await audit.record({ actor: 'local', action, ...(queues === undefined ? {} : { queues }) });
      clock.advance(1);
    }
    const view = async (queues?: string[]) =>
      (await audit.list(queues === undefined ? {} : { queues })).entries.map((e) => [
        e.action,
        e.queues,
      ]);
    expect(await view()).toEqual([
      ['qa.2', ['qa']],
      ['qa+qb', ['qa', 'qb']],
      ['empty', undefined],
      ['none', undefined],
      ['qb.1', ['qb']],
      ['qa.1', ['qa']],
    ]);
    expect(await view(['qa'])).toEqual([
      ['qa.2', ['qa']],
      ['qa.1', ['qa']],
    ]);
    expect(await view(['qb', 'qa'])).toEqual([
      ['qa.2', ['qa']],
      ['qa+qb', ['qa', 'qb']],
      ['qb.1', ['qb']],
      ['qa.1', ['qa']],
    ]);
    expect(await view(['qc'])).toEqual([]);
  });

  it('pages a filtered list past entries of other queues, without losing or repeating one', async () => {
    const clock = new ManualClock(T0);
    const audit = new AuditLog({ meta: await memoryMeta(), clock });
    const mine: string[] = [];
    for (let i = 0; i < 700; i++) {
      const entry = await audit.record({
        actor: 'local',
        action: `a.${String(i)}`,
        queues: [i % 7 === 0 ? 'qa' : 'qb'],
      });
      if (i % 7 === 0) mine.push(entry.id);
      clock.advance(1);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await audit.list({ limit: 30, queues: ['qa'], ...(cursor ? { cursor } : {}) });
      expect(page.entries.length).toBeLessThanOrEqual(30);
      seen.push(...page.entries.map((e) => e.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    expect(seen).toEqual([...mine].reverse());
    expect(pages).toBe(4);
  });

  it('rejects a malformed cursor, a bad limit and a missing actor or action', async () => {
    const audit = new AuditLog({ meta: await memoryMeta() });
    const err: unknown = await audit.list({ cursor: 'nope' }).catch((e: unknown) => e);
    expect(isGqError(err, 'GQ_INVALID_ARGUMENT')).toBe(true);
    await expect(audit.list({ limit: 0 })).rejects.toThrow(RangeError);
    await expect(audit.list({ limit: 1001 })).rejects.toThrow(RangeError);
    await expect(audit.record({ actor: '', action: 'x' })).rejects.toThrow(TypeError);
    await expect(audit.record({ actor: 'a', action: '' })).rejects.toThrow(TypeError);
  });

  it('purges entries recorded before a time, oldest first, a bounded batch at a time', async () => {
    const clock = new ManualClock(T0);
    const meta = await memoryMeta();
    const audit = new AuditLog({ meta, clock });
    for (let i = 1; i <= 5; i++) {
      await audit.record({ actor: 'local', action: `action.${String(i)}` });
      clock.advance(1000);
    }
    // An entry that cannot be read, among the old ones, goes with them.
    const [second] = (await meta.list('audit/', { limit: 2 })).slice(1);
    await meta.put(second!.key, 'garbage');
    const actions = async () => (await audit.list()).entries.map((e) => e.action);

    expect(await audit.purge(T0 + 3000, 2)).toBe(2);
    expect(await actions()).toEqual(['action.5', 'action.4', 'action.3']);
    expect(await audit.purge(T0 + 3000, 2)).toBe(1);
    expect(await audit.purge(T0 + 3000, 2)).toBe(0);
    expect(await actions()).toEqual(['action.5', 'action.4']);
    expect(await audit.purge(T0 + 10_000)).toBe(2);
    expect(await meta.list('audit/')).toEqual([]);
    await expect(audit.purge(Number.NaN)).rejects.toThrow(RangeError);
    await expect(audit.purge(T0, 0)).rejects.toThrow(RangeError);
  });
});
