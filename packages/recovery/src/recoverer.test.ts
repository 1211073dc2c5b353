import { join } from 'node:path';
import {
  createJob,
  isGqError,
  type FailInput,
  type Job,
  type JobOptions,
  type Store,
} from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { LevelStore } from '@gopherqueue/persistence';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LEASE_EXPIRED_ERROR, Recoverer } from './recoverer.js';
import { makeTempDir, type TempDir } from './testing/temp-dir.js';

const LEASE_MS = 30_000;

let dir: TempDir;
let clock: ManualClock;
let store: Store;

beforeEach(async () => {
  dir = await makeTempDir('recoverer');
  clock = new ManualClock();
  store = await LevelStore.open({ location: join(dir.path, 'data'), durability: 'durable', clock });
});

afterEach(async () => {
  await store.close();
  await dir.remove();
});

async function submit(count: number, options: JobOptions = {}): Promise<Job[]> {
  const specs = Array.from({ length: count }, () => createJob('work', null, options, clock.now()));
  return (await store.submitBatch(specs)).map((r) => r.job);
}

async function claim(count: number, leaseMs = LEASE_MS): Promise<Job[]> {
  const jobs = await store.claim({ workerId: 'dead-worker', limit: count, leaseMs });
  expect(jobs).toHaveLength(count);
  return jobs;
}

async function get(id: string): Promise<Job> {
  const job = await store.get(id);
  if (!job) throw new Error(`job ${id} is missing`);
  return job;
}

/** `inner` with some members replaced; everything else reaches the real store. */
function overriding(inner: Store, overrides: Partial<Record<keyof Store, unknown>>): Store {
  return new Proxy(inner, {
    get(target, key, receiver) {
      if (key in overrides) return overrides[key as keyof Store];
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

/** The store, with every `fail` that succeeded counted per job id. */
function countingFails(inner: Store): { store: Store; fails: Map<string, number> } {
  const fails = new Map<string, number>();
  const fail = async (id: string, token: string, input: FailInput): Promise<Job> => {
    const job = await inner.fail(id, token, input);
    fails.set(id, (fails.get(id) ?? 0) + 1);
    return job;
  };
  return { store: overriding(inner, { fail }), fails };
}

describe('Recoverer.recoverExpired', () => {
  it('sends a job whose lease expired to retrying, runnable at once, with the attempt spent', async () => {
    const [submitted] = await submit(1, { maxAttempts: 3 });
    const [claimed] = await claim(1);
    clock.advance(LEASE_MS);
    const now = clock.now();

    const recovered = await new Recoverer({ store, clock }).recoverExpired();

    expect(recovered).toBe(1);
    const job = await get(submitted!.id);
    expect(job.state).toBe('retrying');
    expect(job.attempt).toBe(1);
    expect(job.runAt).toBe(now);
    expect(job.leaseToken).toBeUndefined();
    expect(job.errors).toEqual([
      {
        attempt: 1,
        message: 'lease expired: the worker stopped heartbeating',
        errorClass: 'lease_expired',
        at: now,
      },
    ]);
    expect(claimed!.attempt).toBe(1);
    const [again] = await store.claim({ workerId: 'next', limit: 1, leaseMs: LEASE_MS });
    expect(again?.id).toBe(submitted!.id);
    expect(again?.attempt).toBe(2);
  });

  it('dead-letters a job whose expired lease was its last attempt', async () => {
    const [submitted] = await submit(1, { maxAttempts: 2 });
    await claim(1);
    clock.advance(LEASE_MS);
    await new Recoverer({ store, clock }).recoverExpired();
    await claim(1);
    clock.advance(LEASE_MS + 1);

    expect(await new Recoverer({ store, clock }).recoverExpired()).toBe(1);

    const job = await get(submitted!.id);
    expect(job.state).toBe('dead_letter');
    expect(job.attempt).toBe(2);
    expect(job.errors.map((e) => [e.attempt, e.errorClass])).toEqual([
      [1, 'lease_expired'],
      [2, 'lease_expired'],
    ]);
    expect((await store.counts()).byState.dead_letter).toBe(1);
  });

  it('leaves alone a job whose lease was renewed, and one whose lease has not expired', async () => {
    await submit(2);
    const [renewed, fresh] = await claim(2);
    clock.advance(20_000);
    await store.heartbeat(renewed!.id, renewed!.leaseToken!, { leaseMs: LEASE_MS });
    clock.advance(LEASE_MS - 1);
    await store.heartbeat(renewed!.id, renewed!.leaseToken!, { leaseMs: LEASE_MS });
    const { store: counted, fails } = countingFails(store);
    clock.advance(LEASE_MS - 1);

    expect(await new Recoverer({ store: counted, clock }).recoverExpired()).toBe(1);

    expect(fails).toEqual(new Map([[fresh!.id, 1]]));
    const job = await get(renewed!.id);
    expect(job.state).toBe('running');
    expect(job.leaseToken).toBe(renewed!.leaseToken);
    expect(job.errors).toEqual([]);
    expect((await get(fresh!.id)).state).toBe('retrying');
  });

  it('recovers each job exactly once when two recoverers race over the same leases', async () => {
    await submit(60);
    const claimed = await claim(60);
    clock.advance(LEASE_MS);
    const { store: counted, fails } = countingFails(store);
    const a = new Recoverer({ store: counted, clock, batchSize: 7 });
    const b = new Recoverer({ store: counted, clock, batchSize: 7 });

    const [byA, byB] = await Promise.all([a.recoverExpired(), b.recoverExpired()]);

    expect(byA + byB).toBe(60);
    expect([...fails.keys()].sort()).toEqual(claimed.map((j) => j.id).sort());
    expect([...fails.values()].every((n) => n === 1)).toBe(true);
    for (const { id } of claimed) {
      const job = await get(id);
      expect(job.state).toBe('retrying');
      expect(job.errors).toHaveLength(1);
    }
    expect(await a.recoverExpired()).toBe(0);
  });

  it('spares a job whose worker renewed the same lease after the lookup', async () => {
    await submit(2);
    const [late, dead] = await claim(2);
    clock.advance(LEASE_MS);
    const { store: counted, fails } = countingFails(store);
    const racing = overriding(counted, {
      // The lookup sees both expired; then the stalled worker of `late` heartbeats.
      expiredLeases: async (now: number, limit: number) => {
        const jobs = await store.expiredLeases(now, limit);
        await store.heartbeat(late!.id, late!.leaseToken!, { leaseMs: LEASE_MS });
        return jobs;
      },
    });

    expect(await new Recoverer({ store: racing, clock }).recoverExpired()).toBe(1);

    expect(fails).toEqual(new Map([[dead!.id, 1]]));
    const job = await get(late!.id);
    expect(job.state).toBe('running');
    expect(job.leaseExpiresAt).toBe(clock.now() + LEASE_MS);
  });

  it('leaves running a job whose worker renews its lease just before the take-back', async () => {
    await submit(2);
    const [late, dead] = await claim(2);
    clock.advance(LEASE_MS);
    const seen: (number | undefined)[] = [];
    const { store: counted, fails } = countingFails(store);
    const racing = overriding(counted, {
      // The stalled worker of `late` heartbeats after every read, right as its fail is sent.
      fail: async (id: string, token: string, input: FailInput) => {
        seen.push(input.leaseExpiredBy);
        if (id === late!.id) await store.heartbeat(id, token, { leaseMs: LEASE_MS });
        return counted.fail(id, token, input);
      },
    });

    expect(await new Recoverer({ store: racing, clock }).recoverExpired()).toBe(1);

    expect(seen).toEqual([clock.now(), clock.now()]);
    expect(fails).toEqual(new Map([[dead!.id, 1]]));
    const job = await get(late!.id);
    expect(job.state).toBe('running');
    expect(job.leaseToken).toBe(late!.leaseToken);
    expect(job.leaseExpiresAt).toBe(clock.now() + LEASE_MS);
    expect(job.errors).toEqual([]);
    expect((await get(dead!.id)).state).toBe('retrying');
  });

  it('skips a job that changed between the lookup and the take-back', async () => {
    await submit(1);
    const [claimed] = await claim(1);
    clock.advance(LEASE_MS);
    const racing = overriding(store, {
      // An operator cancels the job just before the take-back: its lease token is void.
      fail: async (id: string, token: string, input: FailInput) => {
        await store.cancel(id, 'operator');
        return store.fail(id, token, input);
      },
    });

    expect(await new Recoverer({ store: racing, clock }).recoverExpired()).toBe(0);
    expect((await get(claimed!.id)).state).toBe('cancelled');
  });

  it('runs on the clock every intervalMs once started, and not after stop', async () => {
    await submit(2);
    const [first] = await claim(1, 1_000);
    const recoverer = new Recoverer({ store, clock, intervalMs: 500 });
    recoverer.start();
    expect(recoverer.status).toBe('running');
    clock.advance(1_000);
    await vi.waitFor(async () => expect((await get(first!.id)).state).toBe('retrying'));

    await recoverer.stop();
    expect(recoverer.status).toBe('stopped');
    const [second] = await store.claim({ workerId: 'w', limit: 2, leaseMs: 1_000 });
    clock.advance(5_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await get(second!.id)).state).toBe('running');
  });

  it('rejects options that make no sense', () => {
    expect(() => new Recoverer({ store, intervalMs: 0 })).toThrow(RangeError);
    expect(() => new Recoverer({ store, batchSize: 1.5 })).toThrow(RangeError);
    expect(() => new Recoverer({} as { store: Store })).toThrow(TypeError);
  });
});

describe('Recoverer.recoverStartup', () => {
  it('takes back every running job at once on an exclusive store, whatever its lease', async () => {
    expect(store.exclusive).toBe(true);
    await submit(5);
    const claimed = await claim(3, 3_600_000);
    await store.close();
    // The crashed process is gone; the next owner reopens the same directory.
    clock.advance(1);
    store = await LevelStore.open({ location: join(dir.path, 'data'), clock });
    const now = clock.now();

    const recovered = await new Recoverer({ store, clock, batchSize: 2 }).recoverStartup();

    expect(recovered).toBe(3);
    for (const { id } of claimed) {
      const job = await get(id);
      expect(job.state).toBe('retrying');
      expect(job.runAt).toBe(now);
      expect(job.errors).toEqual([{ ...LEASE_EXPIRED_ERROR, attempt: 1, at: now }]);
    }
    const counts = await store.counts();
    expect(counts.byState.running).toBe(0);
    expect(counts.byState.retrying).toBe(3);
    expect(counts.byState.scheduled).toBe(2);
  });

  it('does nothing on a store that is not exclusive', async () => {
    await submit(1);
    const [claimed] = await claim(1, 1);
    clock.advance(10);
    const shared = overriding(store, { exclusive: false });

    expect(await new Recoverer({ store: shared, clock }).recoverStartup()).toBe(0);
    expect((await get(claimed!.id)).state).toBe('running');
  });

  it('propagates store failures other than a lost lease', async () => {
    await submit(1);
    await claim(1);
    await store.close();
    const error: unknown = await new Recoverer({ store, clock })
      .recoverStartup()
      .catch((e: unknown) => e);
    expect(isGqError(error, 'GQ_STORE_CLOSED')).toBe(true);
    store = await LevelStore.open({ location: join(dir.path, 'data'), clock });
  });
});
