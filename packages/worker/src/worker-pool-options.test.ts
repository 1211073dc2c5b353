import { describe, expect, it } from 'vitest';
import { createJob } from '@gopherqueue/core';
import { untilState, useEngine } from './testing/engine-fixture.js';
import { WorkerPool } from './worker-pool.js';
import { resolveWorkerPoolOptions } from './worker-pool-options.js';

describe('WorkerPool options', () => {
  const engine = useEngine();

  it('applies the documented defaults', async () => {
    const { store, scheduler } = await engine();
    const o = resolveWorkerPoolOptions({ store, scheduler });
    expect([
      o.concurrency,
      o.leaseMs,
      o.heartbeatIntervalMs,
      o.timeoutGraceMs,
      o.shutdownTimeoutMs,
      o.claimBatchSize,
      o.claimAhead,
      o.unknownTypes,
      o.queues,
    ]).toEqual([10, 30_000, 10_000, 5_000, 30_000, undefined, 0, 'fail', undefined]);
    // The store's own default (the embedded store has none), or the option given.
    expect(resolveWorkerPoolOptions({ store, scheduler, claimAhead: 7 }).claimAhead).toBe(7);
    const costly = Object.assign(Object.create(store) as typeof store, { claimAhead: 512 });
    expect(resolveWorkerPoolOptions({ store: costly, scheduler }).claimAhead).toBe(512);
    expect(resolveWorkerPoolOptions({ store: costly, scheduler, claimAhead: 0 }).claimAhead).toBe(
      0,
    );
    expect(o.workerId).toMatch(/^worker-[0-9a-f-]{36}$/);
    const unknown = (unknownTypes: 'fail' | 'wait' | 'leave') =>
      resolveWorkerPoolOptions({ store, scheduler, unknownTypes }).unknownTypes;
    expect([unknown('fail'), unknown('wait'), unknown('leave')]).toEqual(['fail', 'wait', 'wait']);
  });

  it('rejects bad options with errors that name them', async () => {
    const { store, scheduler } = await engine();
    const make = (extra: object) => () => new WorkerPool({ store, scheduler, ...extra });
    expect(make({ concurrency: 0 })).toThrow(/concurrency must be an integer >= 1; got 0/);
    expect(make({ leaseMs: 1.5 })).toThrow(RangeError);
    expect(make({ leaseMs: 100, heartbeatIntervalMs: 100 })).toThrow(/less than leaseMs/);
    expect(make({ unknownTypes: 'drop' })).toThrow(/unknownTypes must be/);
    for (const claimAhead of [-1, 1.5, 10_001, '8']) {
      expect(make({ claimAhead })).toThrow(
        `claimAhead must be an integer from 0 to 10000; got ${String(claimAhead)}`,
      );
    }
    expect(make({ queues: 'default' })).toThrow(TypeError);
    expect(make({ queueWeights: { a: 0 } })).toThrow(/queueWeights: the weight of queue "a"/);
    expect(make({ queueWeights: { a: 1 }, queues: ['a'] })).toThrow(
      /give queues or queueWeights, not both/,
    );
    expect(make({ queueWeights: { a: 1 }, random: 0.5 })).toThrow(/random must be a function/);
    expect(() => new WorkerPool({ store })).toThrow(/scheduler/);
    const pool = new WorkerPool({ store, scheduler });
    expect(() => pool.register('bad type!', () => null)).toThrow(TypeError);
    expect(() => pool.register('ok', 'nope' as never)).toThrow(/must be a function/);
  });

  it('refuses to start twice or before its scheduler', async () => {
    const e = await engine();
    await e.scheduler.stop();
    expect(() => {
      e.pool.start();
    }).toThrow(/start the scheduler/);
    await e.scheduler.start();
    e.pool.start();
    expect(() => {
      e.pool.start();
    }).toThrow(/already started/);
  });

  it('claims only from its queues', async () => {
    const e = await engine({ queues: ['mine'] });
    e.pool.register('t', (ctx) => ctx.job.queue);
    e.pool.start();
    const other = createJob('t', null, { queue: 'other' });
    const mine = createJob('t', null, { queue: 'mine' });
    await e.scheduler.enqueueBatch([other, mine]);
    expect((await untilState(e.store, mine.id, 'completed')).result).toBe('mine');
    expect((await e.store.get(other.id))!.state).toBe('scheduled');
  });
});
