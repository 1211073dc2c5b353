import { join } from 'node:path';
import { createJob, type Job, type Store } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore } from '@gopherqueue/persistence';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Janitor } from './janitor.js';
import { makeTempDir, type TempDir } from './testing/temp-dir.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const error = { message: 'boom', errorClass: 'error' } as const;

let dir: TempDir;
let clock: ManualClock;
let store: Store;

beforeEach(async () => {
  dir = await makeTempDir('janitor');
  clock = new ManualClock();
  store = await LevelStore.open({ location: join(dir.path, 'data'), durability: 'durable', clock });
});

afterEach(async () => {
  await store.close();
  await dir.remove();
});

/** Submits and claims `count` jobs at the clock's current time. */
async function running(count: number): Promise<Job[]> {
  const specs = Array.from({ length: count }, () => createJob('work', null, {}, clock.now()));
  await store.submitBatch(specs);
  return store.claim({ workerId: 'w', limit: count, leaseMs: 60_000 });
}

/** Finishes `count` jobs at the clock's current time in the given state; returns their ids. */
async function finished(
  state: 'completed' | 'failed' | 'dead_letter' | 'cancelled',
  count = 1,
): Promise<string[]> {
  const jobs = await running(count);
  for (const job of jobs) {
    const token = job.leaseToken!;
    if (state === 'completed') await store.complete(job.id, token, 'ok');
    if (state === 'failed') await store.fail(job.id, token, { error, outcome: { state } });
    if (state === 'dead_letter') await store.fail(job.id, token, { error, outcome: { state } });
    if (state === 'cancelled') await store.cancel(job.id, 'operator');
  }
  return jobs.map((j) => j.id);
}

async function exists(ids: string[]): Promise<boolean[]> {
  return (await store.getMany(ids)).map((job) => job !== undefined);
}

describe('Janitor.runOnce', () => {
  it('purges completed jobs older than 24 hours and keeps younger ones', async () => {
    const old = await finished('completed', 2);
    clock.advance(12 * HOUR);
    const young = await finished('completed', 3);
    clock.advance(12 * HOUR);
    const janitor = new Janitor({ store, clock });

    expect(await janitor.runOnce()).toBe(0);
    clock.advance(1);
    expect(await janitor.runOnce()).toBe(2);

    expect(await exists(old)).toEqual([false, false]);
    expect(await exists(young)).toEqual([true, true, true]);
    const counts = await store.counts();
    expect(counts.byState.completed).toBe(3);
    expect(counts.total).toBe(3);
  });

  it('keeps failed, dead-lettered and cancelled jobs for 7 days by default', async () => {
    const failed = await finished('failed');
    const dead = await finished('dead_letter');
    const cancelled = await finished('cancelled');
    const completed = await finished('completed');
    const janitor = new Janitor({ store, clock });
    clock.advance(2 * DAY);

    expect(await janitor.runOnce()).toBe(1);
    expect(await exists([...completed, ...failed, ...dead, ...cancelled])).toEqual([
      false,
      true,
      true,
      true,
    ]);
    clock.advance(5 * DAY);
    expect(await janitor.runOnce()).toBe(0);
    clock.advance(1);
    expect(await janitor.runOnce()).toBe(3);

    const counts = await store.counts();
    expect(counts.total).toBe(0);
    expect(counts.byState.failed).toBe(0);
    expect(counts.byState.dead_letter).toBe(0);
    expect(counts.byState.cancelled).toBe(0);
  });

  it('never touches jobs that have not finished', async () => {
    await running(2);
    await store.submit(createJob('later', null, { delay: '1h' }, clock.now()));
    clock.advance(30 * DAY);

    expect(await new Janitor({ store, clock, completedTtlMs: 0 }).runOnce()).toBe(0);
    expect((await store.counts()).total).toBe(3);
  });

  it('applies custom ages per state and loops over batches until none is full', async () => {
    const completed = await finished('completed', 5);
    const failed = await finished('failed', 2);
    const cancelled = await finished('cancelled', 1);
    clock.advance(10_001);
    const janitor = new Janitor({
      store,
      clock,
      completedTtlMs: 10_000,
      failedTtlMs: 20_000,
      cancelledTtlMs: 0,
      batchSize: 2,
    });

    expect(await janitor.runOnce()).toBe(6);
    expect(await exists([...completed, ...failed, ...cancelled])).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
      true,
      false,
    ]);
    clock.advance(10_000);
    expect(await janitor.runOnce()).toBe(2);
    expect((await store.counts()).total).toBe(0);
  });

  it('purges every intervalMs once started, and not after stop', async () => {
    const first = await finished('completed');
    const janitor = new Janitor({ store, clock, intervalMs: 1_000, completedTtlMs: 500 });
    janitor.start();
    expect(janitor.status).toBe('running');
    clock.advance(1_000);
    await vi.waitFor(async () => expect(await exists(first)).toEqual([false]));

    await janitor.stop();
    expect(janitor.status).toBe('stopped');
    const second = await finished('completed');
    clock.advance(10_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await exists(second)).toEqual([true]);
  });

  it('purges audit entries past auditTtlMs through purgeAudit, in batches until one is short', async () => {
    // An audit log in miniature: entry times, oldest first, purged as AuditLog.purge does.
    const entries = [0, 1, 2, 3, 4].map((i) => clock.now() + i * DAY);
    const calls: [number, number][] = [];
    const purgeAudit = (before: number, limit: number): Promise<number> => {
      calls.push([before, limit]);
      let n = 0;
      while (n < limit && entries[0] !== undefined && entries[0] < before) {
        entries.shift();
        n++;
      }
      return Promise.resolve(n);
    };
    const janitor = new Janitor({ store, clock, purgeAudit, auditTtlMs: 2 * DAY, batchSize: 2 });
    clock.advance(2 * DAY);
    expect(await janitor.runOnce()).toBe(0);
    expect(calls).toEqual([[clock.now() - 2 * DAY, 2]]);
    expect(entries).toHaveLength(5);
    clock.advance(3 * DAY);
    calls.length = 0;
    await janitor.runOnce();
    expect(entries).toEqual([clock.now() - 2 * DAY, clock.now() - DAY]);
    expect(calls).toEqual([
      [clock.now() - 2 * DAY, 2],
      [clock.now() - 2 * DAY, 2],
    ]);
  });

  it('keeps audit entries for 90 days by default', async () => {
    const calls: number[] = [];
    const purgeAudit = (before: number): Promise<number> => {
      calls.push(before);
      return Promise.resolve(0);
    };
    await new Janitor({ store, clock, purgeAudit }).runOnce();
    expect(calls).toEqual([clock.now() - 90 * DAY]);
  });

  it('rejects options that make no sense', () => {
    expect(() => new Janitor({ store, completedTtlMs: -1 })).toThrow(RangeError);
    expect(() => new Janitor({ store, failedTtlMs: Number.NaN })).toThrow(RangeError);
    expect(() => new Janitor({ store, batchSize: 0 })).toThrow(RangeError);
    expect(() => new Janitor({ store, intervalMs: Infinity })).toThrow(RangeError);
    expect(() => new Janitor({ store, auditTtlMs: -1 })).toThrow(RangeError);
    expect(
      () => new Janitor({ store, purgeAudit: 'audit' as unknown as () => Promise<number> }),
    ).toThrow(TypeError);
  });
});

/** Whether `promise` settled by the next turn of the event loop. */
async function settledByNextTurn(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('Janitor status', () => {
  it('is stopped, running once started, stopping while a purge in progress finishes, then stopped', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let purges = 0;
    const purgeAudit = async (): Promise<number> => {
      purges++;
      await held;
      return 0;
    };
    const janitor = new Janitor({ store, clock, intervalMs: 1_000, purgeAudit });
    expect(janitor.status).toBe('stopped');
    janitor.start();
    expect(janitor.status).toBe('running');
    clock.advance(1_000);
    await vi.waitFor(() => expect(purges).toBe(1));

    const stopped = janitor.stop();
    const again = janitor.stop();
    expect(janitor.status).toBe('stopping');
    expect(await settledByNextTurn(stopped)).toBe(false);
    expect(await settledByNextTurn(again)).toBe(false);
    release();
    await Promise.all([stopped, again]);
    expect(janitor.status).toBe('stopped');
  });

  it('stays running when started again while stopping, and goes on purging', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let purges = 0;
    const purgeAudit = async (): Promise<number> => {
      purges++;
      await held;
      return 0;
    };
    const janitor = new Janitor({ store, clock, intervalMs: 1_000, purgeAudit });
    janitor.start();
    clock.advance(1_000);
    await vi.waitFor(() => expect(purges).toBe(1));
    const stopped = janitor.stop();
    janitor.start();
    expect(janitor.status).toBe('running');
    release();
    await stopped;
    expect(janitor.status).toBe('running');
    clock.advance(1_000);
    await vi.waitFor(() => expect(purges).toBe(2));
    await janitor.stop();
    expect(janitor.status).toBe('stopped');
  });
});
