import { describe, expect, it } from 'vitest';
import { createJob, isGqError, type Store } from '@gopherqueue/core';
import { gate, until, untilState, useEngine } from './testing/engine-fixture.js';
import { WorkerPool } from './worker-pool.js';

/** The same store without its change feed, as a pool on a shared store without notifications sees it. */
function withoutFeed(store: Store): Store {
  return new Proxy(store, {
    get(target, key) {
      if (key === 'subscribe') return () => () => undefined;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

describe('WorkerPool heartbeat', () => {
  const engine = useEngine();

  it('renews the lease of a running job', async () => {
    const e = await engine({ leaseMs: 300, heartbeatIntervalMs: 30 });
    const proceed = gate();
    let firstExpiry = 0;
    e.pool.register('long', async (ctx) => {
      firstExpiry = ctx.job.leaseExpiresAt!;
      await proceed.promise;
      return 'kept';
    });
    e.pool.start();
    const spec = createJob('long');
    await e.scheduler.enqueue(spec);
    await until(async () => {
      const job = await e.store.get(spec.id);
      return firstExpiry > 0 && job!.leaseExpiresAt! > firstExpiry + 100 ? true : undefined;
    }, 'the lease to be extended');
    proceed.open();
    const done = await untilState(e.store, spec.id, 'completed');
    expect([done.attempt, done.result, done.errors]).toEqual([1, 'kept', []]);
  });

  it('aborts the handler when a heartbeat finds the lease lost', async () => {
    const e = await engine();
    const pool = new WorkerPool({
      store: withoutFeed(e.store),
      scheduler: e.scheduler,
      leaseMs: 3_000,
      heartbeatIntervalMs: 20,
    });
    const aborted = gate();
    let reason: unknown;
    pool.register('long', async (ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      reason = ctx.signal.reason;
      aborted.open();
      return 'late';
    });
    pool.start();
    try {
      const spec = createJob('long');
      await e.scheduler.enqueue(spec);
      await untilState(e.store, spec.id, 'running');
      await e.store.cancel(spec.id);
      await aborted.promise;
      expect(isGqError(reason, 'GQ_LEASE_LOST')).toBe(true);
      expect((reason as Error).message).toContain('lost its lease');
      await until(() => (pool.stats().busy === 0 ? true : undefined), 'the slot to free');
      const job = (await e.store.get(spec.id))!;
      expect([job.state, job.result]).toEqual(['cancelled', undefined]);
    } finally {
      await pool.stop();
    }
  });
});
