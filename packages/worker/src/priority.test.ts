import { describe, expect, it } from 'vitest';
import { createJob, type PriorityName } from '@gopherqueue/core';
import { gate, until, useEngine } from './testing/engine-fixture.js';

describe('WorkerPool priority order', () => {
  const engine = useEngine();

  it('runs jobs submitted as bulk, low, normal, high, critical in the order critical..bulk', async () => {
    const e = await engine({ concurrency: 1 });
    const blocker = gate();
    const started = gate();
    const order: string[] = [];
    e.pool.register('block', async () => {
      started.open();
      await blocker.promise;
    });
    e.pool.register('ranked', (ctx) => {
      order.push(ctx.payload as string);
    });
    e.pool.start();
    await e.scheduler.enqueue(createJob('block'));
    await started.promise;
    const names: PriorityName[] = ['bulk', 'low', 'normal', 'high', 'critical'];
    for (const priority of names) {
      await e.scheduler.enqueue(createJob('ranked', priority, { priority }));
    }
    blocker.open();
    await until(() => (order.length === 5 ? true : undefined), 'five ranked jobs');
    expect(order).toEqual(['critical', 'high', 'normal', 'low', 'bulk']);
  });
});
