import { describe, expect, it } from 'vitest';
import { createJob } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { untilState, useEngine } from './testing/engine-fixture.js';

describe('WorkerPool wake-up', () => {
  const engine = useEngine();

  it('starts a job submitted to an idle pool at once, with no polling tick (the clock never moves)', async () => {
    const clock = new ManualClock();
    const e = await engine({ clock });
    e.pool.register('ping', (ctx) => `pong ${JSON.stringify(ctx.payload)}`);
    e.pool.start();
    // Let the pool find nothing and go idle on the scheduler.
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const n of [1, 2, 3]) {
      const spec = createJob('ping', n, {}, clock.now());
      await e.scheduler.enqueue(spec);
      expect((await untilState(e.store, spec.id, 'completed')).result).toBe(`pong ${n}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });

  it('starts a job submitted on disk before its submit is durable (the store hints at once)', async () => {
    const clock = new ManualClock();
    const e = await engine({ clock });
    const seen: boolean[] = [];
    let acknowledged = false;
    e.pool.register('ping', () => {
      seen.push(acknowledged);
      return null;
    });
    e.pool.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 0; i < 3; i++) {
      acknowledged = false;
      const spec = createJob('ping', i, {}, clock.now());
      await e.scheduler.enqueue(spec);
      acknowledged = true;
      await untilState(e.store, spec.id, 'completed');
    }
    // Each handler ran while its submit's write was still being synced.
    expect(seen).toEqual([false, false, false]);
  });

  it('wakes for a retry, a resumed queue and a dependency gate without the clock moving', async () => {
    const clock = new ManualClock();
    const e = await engine({ clock });
    e.pool.register('ok', () => 'ok');
    e.pool.register('fails-once', (ctx) => {
      if (ctx.attempt === 1) throw new Error('first');
      return 'second';
    });
    e.pool.start();
    // backoff 0: the retry is due at once, the store's change must wake the idle pool.
    const retried = createJob(
      'fails-once',
      null,
      { backoff: { initialMs: 0, jitter: false } },
      clock.now(),
    );
    await e.scheduler.enqueue(retried);
    expect((await untilState(e.store, retried.id, 'completed')).attempt).toBe(2);

    await e.store.pauseQueue('later');
    const queued = createJob('ok', null, { queue: 'later' }, clock.now());
    await e.scheduler.enqueue(queued);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await e.store.get(queued.id))!.state).toBe('scheduled');
    await e.store.resumeQueue('later');
    await untilState(e.store, queued.id, 'completed');

    const first = createJob('ok', null, {}, clock.now());
    const second = createJob('ok', null, { dependsOn: [first.id] }, clock.now());
    await e.scheduler.enqueueBatch([first, second]);
    await untilState(e.store, second.id, 'completed');
  });
});
