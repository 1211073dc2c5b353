import { createJob, type Job, type Store } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore } from '@gopherqueue/persistence';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkerRegistry } from './worker-registry.js';

let clock: ManualClock;
let store: LevelStore;

beforeEach(async () => {
  clock = new ManualClock();
  store = await LevelStore.open({ memory: true, clock });
});
afterEach(async () => {
  await store.close();
});

/** Submits `n` jobs of `type` and claims them for `workerId`, as the claim route does. */
async function claimFor(workerId: string, type: string, n: number, queue = 'default') {
  await store.submitBatch(Array.from({ length: n }, () => createJob(type, null, { queue })));
  return store.claim({ workerId, limit: n, leaseMs: 10_000, types: [type] });
}

function info(id: string, extra: object = {}) {
  return { id, host: `${id}.lan`, leaseMs: 10_000, ...extra };
}

describe('WorkerRegistry', () => {
  it('lists a worker from its first claim, most recently seen first, with the jobs it holds', async () => {
    const registry = new WorkerRegistry({ clock });
    registry.claimStarted(info('a', { types: ['t'], concurrency: 4, address: '10.0.0.1' }))([]);
    clock.advance(1);
    const jobs = await claimFor('b', 't', 2, 'q1');
    registry.claimStarted(info('b', { queues: ['q1'] }))(jobs);
    expect(await registry.list(store)).toEqual([
      {
        id: 'b',
        host: 'b.lan',
        queues: ['q1'],
        jobs: jobs.map((job) => ({ id: job.id, queue: 'q1' })),
        lastSeenAt: clock.now(),
      },
      {
        id: 'a',
        host: 'a.lan',
        address: '10.0.0.1',
        types: ['t'],
        concurrency: 4,
        jobs: [],
        lastSeenAt: clock.now() - 1,
      },
    ]);
    expect(registry.servedTypes()).toBeUndefined();
    expect(await registry.slots(store)).toEqual({ workers: 2, busy: 2, concurrency: 6 });
  });

  it('drops a job its worker reported the end of, and one the store no longer has running under it', async () => {
    const registry = new WorkerRegistry({ clock });
    const [done, cancelled, kept] = (await claimFor('w', 't', 3)) as [Job, Job, Job];
    registry.claimStarted(info('w'))([done, cancelled, kept]);
    registry.jobEnded(done.id);
    await store.cancel(cancelled.id);
    const [listed] = await registry.list(store);
    expect(listed?.jobs).toEqual([{ id: kept.id, queue: 'default' }]);
  });

  it('keeps a job held when an end comes with another token than its holder was handed', async () => {
    const registry = new WorkerRegistry({ clock });
    const [held] = (await claimFor('w', 't', 1)) as [Job];
    registry.claimStarted(info('w'))([held]);
    registry.jobEnded(held.id, 'forged');
    expect(registry.holder(held.id)).toBe('w');
    expect(registry.needsChange('w', { ...held, state: 'cancelled' })).toBe(true);
    registry.jobEnded(held.id, held.leaseToken);
    expect(registry.holder(held.id)).toBeUndefined();
  });

  it('tells a worker of the changes of its jobs it did not make itself', async () => {
    const registry = new WorkerRegistry({ clock });
    const [held, other] = await claimFor('w-1', 't', 2);
    registry.claimStarted(info('w-1'))([held!]);
    const needs = (job: Job) => registry.needsChange('w-1', job);
    expect(held!.attempt).toBe(1);
    // Its own start, heartbeats and checkpoints: the attempt it was handed, running under it.
    expect(needs({ ...held!, progress: 10 })).toBe(false);
    expect(registry.needsChange('w-2', { ...held!, state: 'cancelled' })).toBe(false);
    expect(needs(other!)).toBe(false);
    expect(needs({ ...held!, state: 'cancelled' })).toBe(true);
    expect(needs({ ...held!, state: 'retrying' })).toBe(true);
    expect(needs({ ...held!, attempt: 2 })).toBe(true);
    expect(needs({ ...held!, workerId: 'w-2' })).toBe(true);
    registry.jobEnded(held!.id);
    expect(needs({ ...held!, state: 'cancelled' })).toBe(false);
  });

  it('forgets a worker two of its leases after its last request, but not while its claim waits', async () => {
    const registry = new WorkerRegistry({ clock });
    const [job] = (await claimFor('busy', 't', 1)) as [Job];
    registry.claimStarted(info('busy', { types: ['t'] }))([job]);
    const waiting = registry.claimStarted(info('idle', { types: ['u'] }));
    clock.advance(20_000);
    expect(registry.servedTypes()).toEqual(new Set(['t', 'u']));
    registry.jobSeen(job.id);
    clock.advance(20_000);
    expect((await registry.list(store)).map((w) => w.id)).toEqual(['busy', 'idle']);
    expect((await registry.list(store))[1]?.lastSeenAt).toBe(clock.now());
    clock.advance(1);
    expect((await registry.list(store)).map((w) => w.id)).toEqual(['idle']);
    waiting([]);
    clock.advance(20_000);
    expect((await registry.list(store)).map((w) => w.id)).toEqual(['idle']);
    clock.advance(1);
    expect(await registry.list(store)).toEqual([]);
    expect(registry.servedTypes()).toEqual(new Set());
  });

  it('remembers at most maxWorkers workers, forgetting the one seen longest ago', async () => {
    const registry = new WorkerRegistry({ clock, maxWorkers: 2 });
    for (const id of ['a', 'b']) registry.claimStarted(info(id))([]);
    registry.claimStarted(info('a'))([]);
    registry.claimStarted(info('c'))([]);
    expect((await registry.list(store)).map((w) => w.id)).toEqual(['c', 'a']);
  });

  it('keeps what the last claim said of a worker', async () => {
    const registry = new WorkerRegistry({ clock });
    registry.claimStarted(info('w', { types: ['a'], concurrency: 2 }))([]);
    registry.claimStarted(info('w', { host: 'moved', types: ['b'] }))([]);
    expect(await registry.list(store as Store)).toEqual([
      { id: 'w', host: 'moved', types: ['b'], jobs: [], lastSeenAt: clock.now() },
    ]);
  });
});
