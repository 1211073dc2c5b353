import { describe, expect, it } from 'vitest';
import { createJob, isGqError } from '@gopherqueue/core';
import { untilState, useEngine } from './testing/engine-fixture.js';

describe('WorkerPool timeouts', () => {
  const engine = useEngine();

  it('abandons a handler that ignores its signal, fails the attempt as timeout, and runs the next job', async () => {
    const e = await engine({ concurrency: 1, timeoutGraceMs: 50 });
    let reason: unknown;
    e.pool.register('stuck', async (ctx) => {
      ctx.signal.addEventListener('abort', () => {
        reason = ctx.signal.reason;
      });
      await new Promise((resolve) => setTimeout(resolve, 60_000).unref());
    });
    e.pool.register('next', () => 'ran');
    e.pool.start();
    const stuck = createJob('stuck', null, { timeout: 50, maxAttempts: 1 });
    const next = createJob('next');
    await e.scheduler.enqueue(stuck);
    await e.scheduler.enqueue(next);
    const failed = await untilState(e.store, stuck.id, 'dead_letter');
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors[0]).toMatchObject({
      attempt: 1,
      errorClass: 'timeout',
      name: 'TimeoutError',
    });
    expect(failed.errors[0]!.message).toContain('abandoned');
    expect(isGqError(reason, 'GQ_TIMEOUT')).toBe(true);
    expect((await untilState(e.store, next.id, 'completed')).result).toBe('ran');
  });

  it('fails a handler that honours its signal as timeout and retries it', async () => {
    const e = await engine({ concurrency: 1 });
    e.pool.register('slow', async (ctx) => {
      if (ctx.attempt === 2) return 'second time lucky';
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      throw ctx.signal.reason;
    });
    e.pool.start();
    const spec = createJob('slow', null, { timeout: 30, backoff: { initialMs: 1, jitter: false } });
    await e.scheduler.enqueue(spec);
    const done = await untilState(e.store, spec.id, 'completed');
    expect(done.errors.map((err) => [err.attempt, err.errorClass])).toEqual([[1, 'timeout']]);
    expect(done.errors[0]!.message).not.toContain('abandoned');
    expect(done.result).toBe('second time lucky');
  });
});
