import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { createJob, type Job, type JobOptions, type PriorityLevel } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore } from './level-store.js';

const LEASE = { workerId: 'w', leaseMs: 60_000 };

/** Claim order: priority, then runAt, then submission. */
function claimOrder(a: Job, b: Job): number {
  return a.priority - b.priority || a.runAt - b.runAt || a.seq - b.seq;
}

describe('LevelStore with a backlog larger than its ready heads', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  function tempDir(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'gq-backlog-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  async function open(dir: string, clock: ManualClock, headSize = 8): Promise<LevelStore> {
    const store = await LevelStore.open({ location: dir, clock, headSize });
    cleanup.push(() => store.close());
    return store;
  }

  async function submitMany(
    store: LevelStore,
    clock: ManualClock,
    n: number,
    options: (i: number) => JobOptions,
  ): Promise<Job[]> {
    const specs = Array.from({ length: n }, (_, i) => createJob('t', i, options(i), clock.now()));
    const jobs: Job[] = [];
    for (let at = 0; at < specs.length; at += 100) {
      for (const r of await store.submitBatch(specs.slice(at, at + 100))) jobs.push(r.job);
    }
    return jobs;
  }

  async function claimAll(store: LevelStore, batch: number): Promise<Job[]> {
    const claimed: Job[] = [];
    for (;;) {
      const jobs = await store.claim({ ...LEASE, limit: batch });
      if (jobs.length === 0) return claimed;
      claimed.push(...jobs);
    }
  }

  it('claims 2,000 jobs of five priorities, two queues and spread run times in strict order, holding at most the heads in memory', async () => {
    const clock = new ManualClock();
    const store = await open(tempDir(), clock);
    const submitted = await submitMany(store, clock, 2000, (i) => ({
      priority: ((i * 7) % 5) as PriorityLevel,
      queue: i % 2 === 0 ? 'a' : 'b',
      delay: (i * 13) % 50,
    }));
    // Ten buckets (two queues, five priorities), each with at most 8 jobs in memory.
    expect(store.memoryStats()).toEqual({ heldJobs: 80, runningJobs: 0, readyBuckets: 10 });
    clock.advance(100);
    const claimed = await claimAll(store, 7);
    expect(claimed.map((j) => j.id)).toEqual([...submitted].sort(claimOrder).map((j) => j.id));
    expect(store.memoryStats()).toEqual({ heldJobs: 2000, runningJobs: 2000, readyBuckets: 0 });
  });

  it('keeps claim order and loses nothing when submits, cancels and claims race the refills', async () => {
    const clock = new ManualClock();
    const store = await open(tempDir(), clock, 4);
    await submitMany(store, clock, 300, (i) => ({ priority: (i % 3) as PriorityLevel }));
    const cancelled = new Map<string, Job>();
    const claimed: Job[] = [];
    const racing: Promise<unknown>[] = [];
    for (let round = 0; round < 60; round++) {
      racing.push(
        store.claim({ ...LEASE, limit: 3 }).then((jobs) => claimed.push(...jobs)),
        store.submit(
          createJob('t', `late-${round}`, { priority: (round % 3) as PriorityLevel }, clock.now()),
        ),
      );
      if (round % 5 === 0) {
        const page = await store.list({ state: 'scheduled', limit: 1 });
        const victim = page.jobs[0];
        if (victim !== undefined) {
          racing.push(
            // A claim may take the victim first: a running job cancels too.
            store.cancel(victim.id).then((job) => cancelled.set(victim.id, job)),
          );
        }
      }
    }
    await Promise.all(racing);
    const rest = await claimAll(store, 5);
    expect(rest.map((j) => j.id)).toEqual([...rest].sort(claimOrder).map((j) => j.id));
    claimed.push(...rest);
    const counts = await store.counts();
    const claimedIds = new Set(claimed.map((j) => j.id));
    expect(claimedIds.size).toBe(claimed.length);
    // Those cancelled after a claim took them were running when cancelled; the rest never ran.
    const cancelledRunning = [...cancelled.keys()].filter((id) => claimedIds.has(id));
    for (const [id, job] of cancelled) {
      expect(job.state).toBe('cancelled');
      expect(job.startedAt !== undefined).toBe(claimedIds.has(id));
      expect((await store.get(id))?.state).toBe('cancelled');
    }
    expect(counts.byState.running).toBe(claimed.length - cancelledRunning.length);
    expect(counts.byState.cancelled).toBe(cancelled.size);
    expect(claimed.length + cancelled.size - cancelledRunning.length).toBe(360);
    expect(counts.byState.scheduled).toBe(0);
  });

  it('starts the highest-priority job first after a restart, reading only the heads', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await LevelStore.open({ location: dir, clock, headSize: 8 });
    const jobs = await submitMany(first, clock, 500, (i) => ({ priority: i === 321 ? 0 : 3 }));
    await first.close();
    const store = await open(dir, clock);
    expect(store.memoryStats()).toEqual({ heldJobs: 0, runningJobs: 0, readyBuckets: 2 });
    const [next] = await store.claim({ ...LEASE, limit: 1 });
    expect(next?.id).toBe(jobs[321]?.id);
    expect(store.memoryStats().heldJobs).toBeLessThanOrEqual(1 + 16);
  });

  it('closes cleanly while a head is being refilled from disk, and loses nothing', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await LevelStore.open({ location: dir, clock, headSize: 8 });
    await submitMany(first, clock, 100, () => ({}));
    await first.close();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const store = await LevelStore.open({ location: dir, clock, headSize: 8 });
      // Seven of a head of eight: the head runs low and a refill starts that nobody awaits.
      expect(await store.claim({ ...LEASE, limit: 7 })).toHaveLength(7);
      await store.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    const again = await open(dir, clock);
    expect((await again.counts()).byState).toMatchObject({ running: 7, scheduled: 93 });
  });

  it('lists every state newest first from the state index, for waiting jobs too', async () => {
    const clock = new ManualClock();
    const store = await open(tempDir(), clock, 2);
    const jobs = await submitMany(store, clock, 30, (i) => (i % 3 === 0 ? { delay: 60_000 } : {}));
    const delayed = jobs
      .filter((_, i) => i % 3 === 0)
      .map((j) => j.id)
      .reverse();
    const scheduled = jobs
      .filter((_, i) => i % 3 !== 0)
      .map((j) => j.id)
      .reverse();
    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ state: 'delayed', limit: 4, ...(cursor ? { cursor } : {}) });
      pages.push(...page.jobs.map((j) => j.id));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(pages).toEqual(delayed);
    expect((await store.list({ state: 'scheduled', limit: 100 })).jobs.map((j) => j.id)).toEqual(
      scheduled,
    );
  });

  it('upgrades a directory of the previous layout: indexes built, claim order and lists right', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await LevelStore.open({ location: dir, clock });
    const parent = (await first.submit(createJob('p', null, {}, clock.now()))).job;
    const child = (
      await first.submit(createJob('c', null, { dependsOn: [parent.id] }, clock.now()))
    ).job;
    const low = (await first.submit(createJob('t', null, { priority: 'low' }, clock.now()))).job;
    const high = (await first.submit(createJob('t', null, { priority: 'high' }, clock.now()))).job;
    await first.close();

    // The previous layout: active jobs at `act!<id>` with no state, ready or dependency entries;
    // finished ones at `job!<id>` with their state entry; no format record.
    const raw = new ClassicLevel<string, string>(dir);
    await raw.open();
    const move = raw.batch();
    for (const job of [parent, child, low, high]) {
      const record = await raw.get(`job!${job.id}`);
      move.put(`act!${job.id}`, record!).del(`job!${job.id}`);
    }
    for (const prefix of ['st!', 'rdy!', 'dep!']) {
      for (const key of await raw.keys({ gte: prefix, lt: `${prefix}~` }).all()) move.del(key);
    }
    move.del('sys!format');
    await move.write();
    await raw.close();

    const store = await open(dir, clock);
    expect((await store.list({ state: 'pending' })).jobs.map((j) => j.id)).toEqual([child.id]);
    const claimed = await store.claim({ ...LEASE, limit: 10 });
    expect(claimed.map((j) => j.id)).toEqual([high.id, parent.id, low.id]);
    const done = claimed[1] as Job;
    await store.complete(done.id, done.leaseToken ?? '', null);
    expect((await store.get(child.id))?.state).toBe('scheduled');
  });
});
