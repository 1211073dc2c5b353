import { afterEach, describe, expect, it } from 'vitest';
import { createJob, type JobSpec } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { httpHarness } from './testing/attempt-harness.js';
import { gate, until, untilState, useEngine, type Engine } from './testing/engine-fixture.js';

/**
 * Claiming ahead on a real store on disk. The clock never moves unless a test moves it, so every
 * settled handler counts in the pool's current window.
 */
describe('WorkerPool claimAhead', () => {
  const engine = useEngine();
  // Runs before the engines stop (after-hooks run last-registered first): a handler still held
  // by a failed test must not keep the pool's stop waiting on a clock that never moves.
  const gates: { open: () => void }[] = [];
  afterEach(() => {
    for (const g of gates.splice(0)) g.open();
  });

  async function slowJobs(e: Engine, clock: ManualClock, count: number): Promise<JobSpec[]> {
    const specs = Array.from({ length: count }, (_, i) => createJob('slow', i, {}, clock.now()));
    await e.store.submitBatch(specs);
    return specs;
  }

  /**
   * One backlog, submitted at once: `quick` critical jobs first in claim order, then `slow`. Waits
   * for the quick ones to complete, so that `quick` handlers settled in this window while the
   * queues never ran dry; returns the slow ones.
   */
  async function backlog(
    e: Engine,
    clock: ManualClock,
    quick: number,
    slow: number | JobSpec[],
  ): Promise<JobSpec[]> {
    const quickSpecs = Array.from({ length: quick }, (_, i) =>
      createJob('quick', i, { priority: 'critical' }, clock.now()),
    );
    const slowSpecs =
      typeof slow === 'number'
        ? Array.from({ length: slow }, (_, i) => createJob('slow', i, {}, clock.now()))
        : slow;
    await e.store.submitBatch([...quickSpecs, ...slowSpecs]);
    for (const spec of quickSpecs) await untilState(e.store, spec.id, 'completed');
    return slowSpecs;
  }

  async function running(e: Engine): Promise<number> {
    return (await e.store.counts()).byState.running;
  }

  /** Waits for `expected` running jobs, then checks that no further claim follows. */
  async function settlesAt(e: Engine, expected: number): Promise<void> {
    await until(
      async () => ((await running(e)) === expected ? true : undefined),
      `${expected} running`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await running(e)).toBe(expected);
  }

  /**
   * A started engine on a ManualClock whose `slow` handlers record their job and wait for `slow`
   * to open; `quick` handlers return at once.
   */
  async function started(
    options: Parameters<typeof engine>[0],
    before?: (e: Engine) => Promise<void>,
  ): Promise<{ clock: ManualClock; e: Engine; slow: { open: () => void }; ran: string[] }> {
    const clock = new ManualClock();
    const e = await engine({ clock, ...options });
    const slow = gate();
    gates.push(slow);
    const ran: string[] = [];
    e.pool.register('quick', () => null);
    e.pool.register('slow', async (ctx) => {
      ran.push(ctx.job.id);
      await slow.promise;
    });
    await before?.(e);
    e.pool.start();
    return { clock, e, slow, ran };
  }

  it('holds nothing ahead until handlers settle: slow handlers claim only their free slots', async () => {
    const { clock, e, slow, ran } = await started({ concurrency: 2, claimAhead: 3 });
    const specs = await slowJobs(e, clock, 10);
    await settlesAt(e, 2);
    expect(ran).toHaveLength(2);
    slow.open();
    for (const spec of specs) await untilState(e.store, spec.id, 'completed');
    expect(ran.sort()).toEqual(specs.map((s) => s.id).sort());
  });

  it('holds as many as settled in the window, up to claimAhead, and runs each held job once', async () => {
    const { clock, e, slow, ran } = await started({ concurrency: 2, claimAhead: 3 });
    const first = await backlog(e, clock, 1, 10);
    // Two slots and one held (one handler settled).
    await settlesAt(e, 3);
    expect([ran.length, e.pool.stats().busy, e.pool.stats().held]).toEqual([2, 2, 1]);
    slow.open();
    for (const spec of first) await untilState(e.store, spec.id, 'completed');
    expect(ran.sort()).toEqual(first.map((s) => s.id).sort());
    for (const spec of first) expect((await e.store.get(spec.id))?.attempt).toBe(1);
  });

  it('holds no job of a limited queue, whose slot a held job would take', async () => {
    const { clock, e, slow, ran } = await started({ concurrency: 1, claimAhead: 5 }, async (e) => {
      await e.store.setQueue('capped', { concurrency: 3 });
    });
    const capped = Array.from({ length: 4 }, (_, i) =>
      createJob('slow', i, { queue: 'capped', priority: 'critical' }, clock.now()),
    );
    const open = Array.from({ length: 4 }, (_, i) => createJob('slow', i, {}, clock.now()));
    await backlog(e, clock, 3, [...capped, ...open]);
    // One capped job in the slot (first in claim order), and three held (three handlers settled
    // in this window) from the open queue only, though the capped queue had two more slots.
    await settlesAt(e, 4);
    expect((await e.store.getQueue('capped')).byState.running).toBe(1);
    expect((await e.store.getQueue('default')).byState.running).toBe(3);
    slow.open();
    for (const spec of [...capped, ...open]) await untilState(e.store, spec.id, 'completed');
    expect(ran).toHaveLength(8);
  });

  it('drops a held job cancelled while it waits, and runs the others', async () => {
    const { clock, e, slow, ran } = await started({ concurrency: 1, claimAhead: 2 });
    const [a, b, c] = (await backlog(e, clock, 2, 3)) as [JobSpec, JobSpec, JobSpec];
    await settlesAt(e, 3);
    expect(ran).toEqual([a.id]);
    await e.store.cancel(b.id, 'not wanted');
    slow.open();
    await untilState(e.store, c.id, 'completed');
    await untilState(e.store, a.id, 'completed');
    expect(ran).toEqual([a.id, c.id]);
    expect(await e.store.get(b.id)).toMatchObject({ state: 'cancelled', attempt: 1 });
  });

  it('gives back the held jobs of a queue paused while they wait, their attempt not spent', async () => {
    const { clock, e, slow, ran } = await started({ concurrency: 1, claimAhead: 2 });
    const [a, b, c] = (await backlog(e, clock, 2, 3)) as [JobSpec, JobSpec, JobSpec];
    await settlesAt(e, 3);
    expect([ran, e.pool.stats().held]).toEqual([[a.id], 2]);
    await e.store.pauseQueue('default');
    // Both held jobs go back to the paused queue at once, though no slot freed.
    await until(async () => ((await running(e)) === 1 ? true : undefined), 'the held jobs back');
    expect(e.pool.stats().held).toBe(0);
    for (const spec of [b, c]) {
      expect(await e.store.get(spec.id)).toMatchObject({ state: 'scheduled', attempt: 0 });
    }
    slow.open();
    await untilState(e.store, a.id, 'completed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ran).toEqual([a.id]);
    await e.store.resumeQueue('default');
    for (const spec of [b, c]) await untilState(e.store, spec.id, 'completed');
    expect(ran).toEqual([a.id, b.id, c.id]);
    for (const spec of [b, c]) expect((await e.store.get(spec.id))?.attempt).toBe(1);
  });

  it('never holds more than claimAhead, and gives held jobs back unrun when the pool stops', async () => {
    const { clock, e, slow, ran } = await started({
      concurrency: 2,
      claimAhead: 3,
      shutdownTimeoutMs: 10_000,
    });
    const specs = await backlog(e, clock, 6, 10);
    await settlesAt(e, 5);
    const stopped = e.pool.stop();
    // The held jobs go back at once, while the two handlers still run.
    await settlesAt(e, 2);
    slow.open();
    await stopped;
    const jobs = await e.store.getMany(specs.map((s) => s.id));
    const unrun = jobs.filter((job) => !ran.includes(job?.id ?? ''));
    expect(ran).toHaveLength(2);
    expect(jobs.filter((job) => job?.state === 'completed')).toHaveLength(2);
    expect(unrun.map((job) => [job?.state, job?.attempt])).toEqual(
      Array.from({ length: 8 }, () => ['scheduled', 0]),
    );
  });

  it('gives back a job held past half its lease instead of running it late, then runs it anew', async () => {
    const { clock, e, slow, ran } = await started({
      concurrency: 1,
      claimAhead: 1,
      leaseMs: 1_000,
    });
    const [a, b] = (await backlog(e, clock, 1, 2)) as [JobSpec, JobSpec];
    await settlesAt(e, 2);
    expect(ran).toEqual([a.id]);
    clock.advance(600);
    slow.open();
    const done = await untilState(e.store, b.id, 'completed');
    expect(ran).toEqual([a.id, b.id]);
    // Claimed, given back unrun (its attempt not spent), claimed again and completed.
    expect(done.attempt).toBe(1);
    expect((done.transitions ?? []).map((t) => t.state)).toEqual([
      'scheduled',
      'running',
      'scheduled',
      'running',
      'completed',
    ]);
  });

  it('earns nothing ahead from a burst that ended: the queues ran dry between the two', async () => {
    const { clock, e, slow, ran } = await started({ concurrency: 1, claimAhead: 5 });
    // The pool's claims that wait for work, now: one waits once the pool has found the queues dry.
    let waiting = 0;
    const waitForWork = e.scheduler.waitForWork.bind(e.scheduler);
    e.scheduler.waitForWork = async (...args) => {
      waiting++;
      try {
        await waitForWork(...args);
      } finally {
        waiting--;
      }
    };
    await backlog(e, clock, 5, 0);
    await until(() => (waiting > 0 ? true : undefined), 'a claim that waits for work');
    const specs = await slowJobs(e, clock, 4);
    // Five handlers settled in this window, but before the queues ran dry: only the slot's job.
    await settlesAt(e, 1);
    expect(e.pool.stats()).toMatchObject({ busy: 1, held: 0 });
    slow.open();
    for (const spec of specs) await untilState(e.store, spec.id, 'completed');
    expect(ran).toHaveLength(4);
  });

  it('counts a job given back unrun as no settled handler', async () => {
    // A lease of 300 ms gives held jobs back after 150 ms, inside the window of 250 ms.
    const { clock, e, slow } = await started({ concurrency: 1, claimAhead: 5, leaseMs: 300 });
    const [a, b] = (await backlog(e, clock, 1, 4)) as [JobSpec, JobSpec];
    await settlesAt(e, 2);
    clock.advance(151);
    // b goes back, and the pool claims ahead again: one handler settled in this window, so one
    // job is held, not two.
    await until(async () => {
      const job = await e.store.get(b.id);
      return (job?.transitions ?? []).length >= 3 ? true : undefined;
    }, 'b given back');
    await settlesAt(e, 2);
    expect(e.pool.stats()).toMatchObject({ busy: 1, held: 1 });
    expect((await e.store.get(a.id))?.state).toBe('running');
    slow.open();
  });

  it('gives back a job held a second though no slot frees, its attempt not spent', async () => {
    const { clock, e, slow, ran } = await started({
      concurrency: 1,
      claimAhead: 1,
      leaseMs: 30_000,
    });
    const [a, b] = (await backlog(e, clock, 1, 2)) as [JobSpec, JobSpec];
    await settlesAt(e, 2);
    expect(e.pool.stats().held).toBe(1);
    clock.advance(999);
    await settlesAt(e, 2);
    clock.advance(2);
    // The slot is still busy with a; b goes back, and is not claimed ahead again (no handler
    // settled in the last two windows).
    await settlesAt(e, 1);
    expect(e.pool.stats()).toMatchObject({ busy: 1, held: 0 });
    expect(await e.store.get(b.id)).toMatchObject({ state: 'scheduled', attempt: 0 });
    slow.open();
    const done = await untilState(e.store, b.id, 'completed');
    expect(ran).toEqual([a.id, b.id]);
    expect(done.attempt).toBe(1);
  });

  it('claims ahead for handlers that settle at once, which never leave every slot busy', async () => {
    const { clock, e } = await started({ concurrency: 4, claimAhead: 16 });
    // What each claim of the pool asked for and got, from the real store.
    const claims: { ahead: boolean; limit: number; got: number }[] = [];
    const claim = e.store.claim.bind(e.store);
    e.store.claim = async (options) => {
      const jobs = await claim(options);
      claims.push({ ahead: options.ahead === true, limit: options.limit, got: jobs.length });
      return jobs;
    };
    const specs = Array.from({ length: 100 }, (_, i) => createJob('quick', i, {}, clock.now()));
    await e.store.submitBatch(specs);
    for (const spec of specs) await untilState(e.store, spec.id, 'completed');
    const ahead = claims.filter((c) => c.ahead);
    // The first claim fills the four slots; from then on each claim for the slots goes with one
    // ahead, up to 16 held (as many as settled, the clock never moving).
    expect(claims[0]).toEqual({ ahead: false, limit: 4, got: 4 });
    expect(ahead.length).toBeGreaterThan(0);
    expect(Math.max(...ahead.map((c) => c.limit))).toBe(16);
    expect(claims.reduce((sum, c) => sum + c.got, 0)).toBe(100);
    for (const spec of specs) expect((await e.store.get(spec.id))?.attempt).toBe(1);
  });
});

describe('WorkerPool claimAhead over the lease API', () => {
  const http = httpHarness();
  const slow = gate();
  afterEach(async () => {
    slow.open();
    await http.closeAll();
  });

  it('holds jobs claimed ahead through HttpWorkSource, and runs each once', async () => {
    const e = await http.open({ concurrency: 1, claimAhead: 5, clock: new ManualClock() });
    const ran: string[] = [];
    e.pool.register('quick', () => null);
    e.pool.register('slow', async (ctx) => {
      ran.push(ctx.job.id);
      await slow.promise;
    });
    e.pool.start();
    const quick = Array.from({ length: 2 }, (_, i) =>
      createJob('quick', i, { priority: 'critical' }),
    );
    const slowSpecs = Array.from({ length: 4 }, (_, i) => createJob('slow', i));
    await e.store.submitBatch([...quick, ...slowSpecs]);
    for (const spec of quick) await untilState(e.store, spec.id, 'completed');
    // One in the slot and two held (two handlers settled); the claim's answer may reach the pool
    // a moment after the store marked its jobs running.
    await until(() => (e.pool.stats().held === 2 ? true : undefined), '2 held');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect([ran.length, e.pool.stats().held, (await e.store.counts()).byState.running]).toEqual([
      1, 2, 3,
    ]);
    slow.open();
    for (const spec of slowSpecs) {
      expect(await untilState(e.store, spec.id, 'completed')).toMatchObject({ attempt: 1 });
    }
    expect(ran.sort()).toEqual(slowSpecs.map((spec) => spec.id).sort());
  });
});
