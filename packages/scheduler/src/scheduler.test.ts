import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJob, type Clock, type JobOptions, type Store } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore } from '@gopherqueue/persistence';
import { Scheduler } from './scheduler.js';

/** A ManualClock that counts its pending timers. */
class CountingClock implements Clock {
  readonly inner = new ManualClock();
  pending = 0;
  now(): number {
    return this.inner.now();
  }
  setTimer(fn: () => void, ms: number): () => void {
    this.pending++;
    let live = true;
    const cancel = this.inner.setTimer(() => {
      live = false;
      this.pending--;
      fn();
    }, ms);
    return () => {
      if (live) this.pending--;
      live = false;
      cancel();
    };
  }
  advance(ms: number): void {
    this.inner.advance(ms);
  }
}

/** Whether `promise` settled within a few event-loop turns. */
async function settles(promise: Promise<void>, ms = 30): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setTimeout(resolve, ms));
  return done;
}

/** `inner` with some methods replaced; the others still run on `inner` itself. */
function overriding(inner: Store, overrides: Partial<Record<keyof Store, unknown>>): Store {
  return new Proxy(inner, {
    get(target, key, receiver) {
      if (key in overrides) return overrides[key as keyof Store];
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

describe('Scheduler', () => {
  let dir: string;
  let store: Store;
  let clock: CountingClock;
  let scheduler: Scheduler;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gq-scheduler-'));
    clock = new CountingClock();
    store = await LevelStore.open({ location: join(dir, 'data'), clock });
    scheduler = new Scheduler({ store, clock, recheckIntervalMs: 0 });
  });
  afterEach(async () => {
    await scheduler.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const submit = (options: JobOptions = {}) =>
    scheduler.enqueue(createJob('t', null, options, clock.now()));

  it('wakes a waiter at once when a runnable job is submitted', async () => {
    await scheduler.start();
    const wait = scheduler.waitForWork();
    expect(await settles(wait)).toBe(false);
    await submit();
    expect(await settles(wait)).toBe(true);
  });

  it('wakes for a delayed job only when its run-at passes, with one timer', async () => {
    await scheduler.start();
    const wait = scheduler.waitForWork();
    await submit({ delay: 60_000 });
    await submit({ delay: 30_000 });
    await submit({ delay: 90_000 });
    expect(await settles(wait)).toBe(false);
    expect(clock.pending).toBe(1);
    clock.advance(29_999);
    expect(await settles(wait)).toBe(false);
    clock.advance(1);
    expect(await settles(wait)).toBe(true);
  });

  it('arms its timer for jobs stored before it started', async () => {
    await submit({ delay: 10_000 });
    await scheduler.start();
    expect(clock.pending).toBe(1);
    const wait = scheduler.waitForWork();
    clock.advance(10_000);
    expect(await settles(wait)).toBe(true);
  });

  it('re-arms for the next run-at after a claimer finds nothing', async () => {
    await scheduler.start();
    await submit({ delay: 1_000 });
    await submit({ delay: 5_000 });
    clock.advance(1_000);
    await store.claim({ workerId: 'w', limit: 1, leaseMs: 60_000 });
    // The claim resolves before its write; the wake-up for the job it took (read as due just
    // before) may still be on its way: let it land before waiting for the next one.
    await new Promise((resolve) => setImmediate(resolve));
    const wait = scheduler.waitForWork();
    expect(await settles(wait)).toBe(false);
    clock.advance(3_999);
    expect(await settles(wait)).toBe(false);
    clock.advance(1);
    expect(await settles(wait)).toBe(true);
  });

  it('wakes at every later run-at while a due job that no claimer takes stays in the store', async () => {
    await scheduler.start();
    // Due now, and never claimed: no worker has a handler for its type.
    await submit();
    await submit({ delay: 1_000 });
    await submit({ delay: 2_000 });
    await submit({ delay: 3_000 });
    expect(clock.pending).toBe(1);
    for (let round = 0; round < 3; round++) {
      const wait = scheduler.waitForWork();
      expect(await settles(wait)).toBe(false);
      clock.advance(999);
      expect(await settles(wait)).toBe(false);
      clock.advance(1);
      expect(await settles(wait)).toBe(true);
      // The claimer takes the job whose time came; the due one stays.
      await store.claim({ workerId: 'w', limit: 1, leaseMs: 60_000, types: ['none'] });
    }
    expect(clock.pending).toBe(0);
  });

  it('does not miss a wake that happened after the epoch it was given', async () => {
    await scheduler.start();
    const epoch = scheduler.epoch;
    await submit();
    expect(await settles(scheduler.waitForWork(undefined, epoch), 0)).toBe(true);
    await store.claim({ workerId: 'w', limit: 1, leaseMs: 60_000 });
    expect(await settles(scheduler.waitForWork(undefined, scheduler.epoch))).toBe(false);
  });

  it('keeps one abort listener per signal however often a claimer waits with it', async () => {
    await scheduler.start();
    const controller = new AbortController();
    const other = new AbortController();
    for (let i = 0; i < 20; i++) {
      const wait = scheduler.waitForWork(controller.signal);
      await submit();
      expect(await settles(wait, 0)).toBe(true);
    }
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const mine = scheduler.waitForWork(controller.signal);
    const theirs = scheduler.waitForWork(other.signal);
    controller.abort();
    expect([await settles(mine), await settles(theirs)]).toEqual([true, false]);
    await submit();
    expect(await settles(theirs)).toBe(true);
  });

  it('wakes when a paused queue is resumed', async () => {
    await scheduler.start();
    await store.pauseQueue('q');
    await submit({ queue: 'q' });
    const wait = scheduler.waitForWork();
    expect(await settles(wait)).toBe(false);
    await store.resumeQueue('q');
    expect(await settles(wait)).toBe(true);
  });

  it('wakes when a job of a queue at its concurrency ends', async () => {
    await store.setQueue('q', { concurrency: 1 });
    await scheduler.start();
    await submit({ queue: 'q' });
    await submit({ queue: 'q' });
    const [job] = await store.claim({ workerId: 'w', limit: 5, leaseMs: 60_000 });
    expect(await store.claim({ workerId: 'w', limit: 5, leaseMs: 60_000 })).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    const wait = scheduler.waitForWork(undefined, scheduler.epoch);
    expect(await settles(wait)).toBe(false);
    await store.complete(job!.id, job!.leaseToken!, null);
    expect(await settles(wait)).toBe(true);
    expect(await store.claim({ workerId: 'w', limit: 5, leaseMs: 60_000 })).toHaveLength(1);
  });

  it('reads the next run-at of a limited queue as it runs only for claimers that wait', async () => {
    let reads = 0;
    const counted = overriding(store, {
      nextRunAt: () => {
        reads++;
        return store.nextRunAt();
      },
    });
    const own = new Scheduler({ store: counted, clock, recheckIntervalMs: 0 });
    try {
      await store.setQueue('q', { concurrency: 50 });
      await own.start();
      // Let the reads of the start and of the queue's change settle.
      await new Promise((resolve) => setTimeout(resolve, 30));
      reads = 0;
      for (let i = 0; i < 20; i++) await own.enqueue(createJob('t', null, { queue: 'q' }));
      const jobs = await store.claim({ workerId: 'w', limit: 20, leaseMs: 60_000 });
      expect(jobs).toHaveLength(20);
      for (const job of jobs) await store.complete(job.id, job.leaseToken!, null);
      await new Promise((resolve) => setTimeout(resolve, 30));
      // 20 submits, 20 starts and 20 ends with no claimer waiting: no read.
      expect(reads).toBe(0);
      // A claimer that found nothing and waits reads it once; an end while it waits reads it.
      const wait = own.waitForWork(undefined, own.epoch);
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(reads).toBe(1);
      await own.enqueue(createJob('t', null, { queue: 'q' }));
      expect(await settles(wait)).toBe(true);
      const [job] = await store.claim({ workerId: 'w', limit: 1, leaseMs: 60_000 });
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(reads).toBe(1);
      const next = own.waitForWork(undefined, own.epoch);
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(reads).toBe(2);
      await store.complete(job!.id, job!.leaseToken!, null);
      expect(await settles(next)).toBe(true);
      expect(reads).toBe(3);
    } finally {
      await own.stop();
    }
  });

  it('wakes when the rate window of a limited queue frees a start, by its timer', async () => {
    await store.setQueue('q', { rate: { limit: 2, periodMs: 1000 } });
    await scheduler.start();
    for (let i = 0; i < 4; i++) await submit({ queue: 'q' });
    expect(await store.claim({ workerId: 'w', limit: 5, leaseMs: 60_000 })).toHaveLength(2);
    clock.advance(300);
    expect(await store.claim({ workerId: 'w', limit: 5, leaseMs: 60_000 })).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    const wait = scheduler.waitForWork(undefined, scheduler.epoch);
    expect(await settles(wait)).toBe(false);
    clock.advance(699);
    expect(await settles(wait)).toBe(false);
    clock.advance(1);
    expect(await settles(wait)).toBe(true);
    expect(await store.claim({ workerId: 'w', limit: 5, leaseMs: 60_000 })).toHaveLength(2);
  });

  it('arms for the rate window when a job is submitted to a queue whose window is full', async () => {
    await store.setQueue('q', { rate: { limit: 2, periodMs: 1000 } });
    await scheduler.start();
    await submit({ queue: 'q' });
    await submit({ queue: 'q' });
    // The window fills while no other job waits: the next run-at read after it is none.
    const started = new Promise<void>((resolve) => {
      let seen = 0;
      const off = store.subscribe((change) => {
        if (change.state === 'running' && ++seen === 2) {
          off();
          resolve();
        }
      });
    });
    expect(await store.claim({ workerId: 'w', limit: 5, leaseMs: 60_000 })).toHaveLength(2);
    await started;
    // Let the scheduler's read of the next run-at, which the starts set off, settle.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(clock.pending).toBe(0);
    // A job submitted now wakes the claimers, whose claim finds the window full.
    const woken = scheduler.waitForWork(undefined, scheduler.epoch);
    await submit({ queue: 'q' });
    expect(await settles(woken)).toBe(true);
    expect(await store.claim({ workerId: 'w', limit: 5, leaseMs: 60_000 })).toEqual([]);
    const wait = scheduler.waitForWork(undefined, scheduler.epoch);
    expect(await settles(wait)).toBe(false);
    clock.advance(999);
    expect(await settles(wait)).toBe(false);
    clock.advance(1);
    expect(await settles(wait)).toBe(true);
    expect(await store.claim({ workerId: 'w', limit: 5, leaseMs: 60_000 })).toHaveLength(1);
  });

  it('wakes a claimer whose claim found the rate window full just before it freed', async () => {
    // The read of the next run-at that follows a claim's start is slow (a read from disk): the
    // window frees a start while it runs. The run-at it returns must still wake the claimer.
    let slowRead = false;
    const slow = overriding(store, {
      nextRunAt: () => {
        if (slowRead) {
          slowRead = false;
          clock.advance(1000);
        }
        return store.nextRunAt();
      },
    });
    await scheduler.stop();
    scheduler = new Scheduler({ store: slow, clock, recheckIntervalMs: 0 });
    await store.setQueue('q', { rate: { limit: 1, periodMs: 1000 } });
    await submit({ queue: 'q' });
    await submit({ queue: 'q' });
    await scheduler.start();
    const wait = scheduler.waitForWork(undefined, scheduler.epoch);
    slowRead = true;
    // This claim takes the window's only start; the claimer's next claim would find it full,
    // and the read its start triggers ends after the window freed.
    expect(await store.claim({ workerId: 'w', limit: 5, leaseMs: 60_000 })).toHaveLength(1);
    expect(await settles(wait)).toBe(true);
    expect(slowRead).toBe(false);
    expect(clock.pending).toBe(0);
    expect(await store.claim({ workerId: 'w', limit: 5, leaseMs: 60_000 })).toHaveLength(1);
  });

  it('ends a wait when its signal aborts, and wakes on the slow re-check if configured', async () => {
    await scheduler.stop();
    scheduler = new Scheduler({ store, clock, recheckIntervalMs: 5_000 });
    await scheduler.start();
    const controller = new AbortController();
    const aborted = scheduler.waitForWork(controller.signal);
    controller.abort();
    expect(await settles(aborted)).toBe(true);
    const wait = scheduler.waitForWork();
    clock.advance(4_999);
    expect(await settles(wait)).toBe(false);
    clock.advance(1);
    expect(await settles(wait)).toBe(true);
  });

  it('creates one job for one idempotency key submitted 100 times at once', async () => {
    await scheduler.start();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        scheduler.enqueue(createJob('t', i, { idempotencyKey: 'order-42' }, clock.now())),
      ),
    );
    const originals = results.filter((r) => !r.deduplicated);
    expect(originals).toHaveLength(1);
    const original = originals[0]!.job;
    expect(results.every((r) => r.job.id === original.id)).toBe(true);
    expect(results.every((r) => r.job.payload === original.payload)).toBe(true);
    expect((await store.counts()).total).toBe(1);
  });

  it('is starting until it read the earliest run-at, stopping until a read in flight settles', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const slow = overriding(store, {
      nextRunAt: async () => {
        await gate;
        return store.nextRunAt();
      },
    });
    const gated = new Scheduler({ store: slow, clock, recheckIntervalMs: 0 });
    expect([gated.status, gated.running]).toEqual(['stopped', false]);
    const started = gated.start();
    expect([gated.status, gated.running]).toEqual(['starting', true]);
    expect(gated.start()).toBe(started);
    expect(await settles(started, 0)).toBe(false);

    const stopped = gated.stop();
    expect([gated.status, gated.running]).toEqual(['stopping', false]);
    expect(gated.stop()).toBe(stopped);
    expect(await settles(stopped, 0)).toBe(false);
    open();
    await Promise.all([started, stopped]);
    // The start that settled after the stop does not mark it running.
    expect(gated.status).toBe('stopped');

    await gated.start();
    expect([gated.status, gated.running]).toEqual(['running', true]);
    await gated.stop();
    expect([gated.status, gated.running]).toEqual(['stopped', false]);
  });

  it('validates its options', () => {
    expect(() => new Scheduler({ store, recheckIntervalMs: -1 })).toThrow(RangeError);
    expect(() => new Scheduler(undefined as never)).toThrow(TypeError);
  });
});
