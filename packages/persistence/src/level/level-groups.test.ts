import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createJob, type Job } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore } from './level-store.js';

describe('LevelStore group keys', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  const tempDir = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gq-groups-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };
  const open = async (location: string, clock: ManualClock): Promise<LevelStore> => {
    const store = await LevelStore.open({ location, clock, headSize: 4 });
    cleanup.push(() => store.close());
    return store;
  };
  const claim = (store: LevelStore): Promise<Job[]> =>
    store.claim({ workerId: 'w', limit: 50, leaseMs: 10_000 });

  it('knows an ordered key’s head and its running jobs again after a reopen', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await LevelStore.open({ location: dir, clock, headSize: 4 });
    await first.setQueue('o', { ordered: true, agingMs: 60_000 });
    const specs = Array.from({ length: 10 }, () =>
      createJob('t', null, { queue: 'o', group: 'acct-1' }, clock.now()),
    );
    await first.submitBatch(specs);
    const [head] = await claim(first);
    expect(head?.id).toBe(specs[0]?.id);
    await first.fail(head?.id as string, head?.leaseToken as string, {
      error: { message: 'x', errorClass: 'error' },
      outcome: { state: 'retrying', runAt: clock.now() + 1000 },
    });
    const [second] = await claim(first);
    expect(second).toBeUndefined();
    await first.close();

    const reopened = await open(dir, clock);
    expect(await reopened.getQueue('o')).toMatchObject({ ordered: true, agingMs: 60_000 });
    expect(await reopened.getGroup('o', 'acct-1')).toEqual({
      queue: 'o',
      group: 'acct-1',
      running: 0,
      headId: specs[0]?.id,
    });
    expect(await claim(reopened)).toEqual([]);
    clock.advance(1000);
    const order: string[] = [];
    for (let i = 0; i < 10; i++) {
      const [job] = await claim(reopened);
      expect(job).toBeDefined();
      order.push(job?.id as string);
      expect(await claim(reopened)).toEqual([]);
      await reopened.complete(job?.id as string, job?.leaseToken as string, null);
    }
    expect(order).toEqual(specs.map((spec) => spec.id));
    expect(await reopened.getGroup('o', 'acct-1')).toEqual({
      queue: 'o',
      group: 'acct-1',
      running: 0,
    });
  });

  it('holds back a key’s jobs beyond the in-memory heads without losing or repeating any', async () => {
    const clock = new ManualClock();
    const store = await open(tempDir(), clock);
    await store.setQueue('g', { groupConcurrency: 2 });
    // 40 jobs of one hot key first, then one job of each of 10 other keys: a claim must get past
    // the hot key's backlog (far beyond the 4 entries held in memory) to the others.
    const hot = Array.from({ length: 40 }, () =>
      createJob('t', null, { queue: 'g', group: 'hot' }, clock.now()),
    );
    const others = Array.from({ length: 10 }, (_, i) =>
      createJob('t', null, { queue: 'g', group: `k${i}` }, clock.now()),
    );
    await store.submitBatch([...hot, ...others]);
    const seen = new Set<string>();
    let running: Job[] = [];
    for (let round = 0; seen.size < 50 && round < 200; round++) {
      const got = await claim(store);
      for (const job of got) {
        expect(seen.has(job.id)).toBe(false);
        seen.add(job.id);
      }
      running.push(...got);
      const hotRunning = running.filter((j) => j.group === 'hot');
      expect(hotRunning.length).toBeLessThanOrEqual(2);
      if (round === 0) expect(got).toHaveLength(12);
      const finished = running.shift();
      if (finished !== undefined) {
        await store.complete(finished.id, finished.leaseToken as string, null);
      }
      running = running.filter((j) => j.id !== finished?.id);
    }
    expect(seen.size).toBe(50);
    expect(store.memoryStats().heldJobs).toBeLessThanOrEqual(60);
  });
});
