import { describe, expect, it } from 'vitest';
import { createJob, type Job } from '@gopherqueue/core';
import { untilState, useEngine } from './testing/engine-fixture.js';

describe('WorkerPool dependencies', () => {
  const engine = useEngine();

  it('runs a diamond in a valid order and gives D the results of B and C', async () => {
    const e = await engine({ concurrency: 4 });
    const order: string[] = [];
    let seen: Job[] = [];
    e.pool.register('step', async (ctx) => {
      const name = ctx.payload as string;
      order.push(name);
      if (name === 'D') seen = [...ctx.dependencies];
      await new Promise((resolve) => setTimeout(resolve, name === 'B' ? 30 : 1));
      return `${name}-result`;
    });
    const a = createJob('step', 'A');
    const b = createJob('step', 'B', { dependsOn: [a.id] });
    const c = createJob('step', 'C', { dependsOn: [a.id] });
    const d = createJob('step', 'D', { dependsOn: [b.id, c.id] });
    await e.scheduler.enqueueBatch([a, b, c, d]);
    e.pool.start();
    await untilState(e.store, d.id, 'completed');
    expect(order[0]).toBe('A');
    expect(order.slice(1, 3).sort()).toEqual(['B', 'C']);
    expect(order[3]).toBe('D');
    expect(seen.map((job) => [job.id, job.state, job.result])).toEqual([
      [b.id, 'completed', 'B-result'],
      [c.id, 'completed', 'C-result'],
    ]);
  });

  it('cancels D with dependency_failed when B dead-letters', async () => {
    const e = await engine({ concurrency: 4 });
    const ran: string[] = [];
    e.pool.register('step', (ctx) => {
      const name = ctx.payload as string;
      ran.push(name);
      if (name === 'B') throw new Error('B cannot');
      return name;
    });
    const a = createJob('step', 'A');
    const b = createJob('step', 'B', {
      dependsOn: [a.id],
      maxAttempts: 2,
      backoff: { initialMs: 5, jitter: false },
    });
    const c = createJob('step', 'C', { dependsOn: [a.id] });
    const d = createJob('step', 'D', { dependsOn: [b.id, c.id] });
    await e.scheduler.enqueueBatch([a, b, c, d]);
    e.pool.start();
    const dead = await untilState(e.store, b.id, 'dead_letter');
    const cancelled = await untilState(e.store, d.id, 'cancelled');
    await untilState(e.store, c.id, 'completed');
    expect(dead.attempt).toBe(2);
    expect(cancelled.cancelReason).toBe('dependency_failed');
    expect(ran.filter((name) => name === 'B')).toHaveLength(2);
    expect(ran).not.toContain('D');
  });
});
