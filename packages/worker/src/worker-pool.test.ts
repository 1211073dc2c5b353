import { describe, expect, it } from 'vitest';
import { createJob, isGqError, type Job } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { gate, until, untilState, useEngine } from './testing/engine-fixture.js';
import { WorkerPool } from './worker-pool.js';

// What the Go original got wrong, each as a test: retries never ran, delays were ignored, shutdown
// failed running jobs, a late completion overwrote a cancel, progress was never saved, and a job
// could run twice.
describe('WorkerPool', () => {
  const engine = useEngine();

  it('re-runs a failing job after its backoff and dead-letters it after maxAttempts', async () => {
    const e = await engine();
    const runs: { attempt: number; startedAt: number; runAt: number }[] = [];
    e.pool.register('flaky', (ctx) => {
      runs.push({ attempt: ctx.attempt, startedAt: ctx.job.startedAt!, runAt: ctx.job.runAt });
      throw new Error(`boom ${ctx.attempt}`);
    });
    e.pool.start();
    const spec = createJob('flaky', null, {
      maxAttempts: 3,
      backoff: { strategy: 'constant', initialMs: 10, jitter: false },
    });
    await e.scheduler.enqueue(spec);
    const dead = await untilState(e.store, spec.id, 'dead_letter');
    expect(runs.map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(dead.attempt).toBe(3);
    expect(dead.errors.map((err) => [err.attempt, err.message, err.errorClass])).toEqual([
      [1, 'boom 1', 'error'],
      [2, 'boom 2', 'error'],
      [3, 'boom 3', 'error'],
    ]);
    // Each retry waited for its backoff: it was due 10 ms after the failure (decided between the
    // previous start and the recorded failure) and did not start before.
    for (const i of [1, 2]) {
      expect(runs[i]!.runAt).toBeGreaterThanOrEqual(runs[i - 1]!.startedAt + 10);
      expect(runs[i]!.runAt).toBeLessThanOrEqual(dead.errors[i - 1]!.at + 10);
      expect(runs[i]!.startedAt).toBeGreaterThanOrEqual(runs[i]!.runAt);
    }
    await until(() => (e.pool.stats().failed === 3 ? true : undefined), 'three failures');
    expect(e.pool.stats()).toMatchObject({ completed: 0, failed: 3, busy: 0 });
  });

  it('lists the jobs its handlers are running, and the types it claims', async () => {
    const e = await engine();
    const release = gate();
    e.pool.register('hold', () => release.promise);
    expect(e.pool.claimedTypes()).toBeUndefined();
    e.pool.start();
    const spec = createJob('hold', null, { queue: 'q1' });
    await e.scheduler.enqueue(spec);
    const running = await until(() => {
      const jobs = e.pool.runningJobs();
      return jobs.length === 1 ? jobs : undefined;
    }, 'the job to run');
    expect(running.map((job) => [job.id, job.queue, job.state])).toEqual([
      [spec.id, 'q1', 'running'],
    ]);
    release.open();
    await untilState(e.store, spec.id, 'completed');
    await until(() => (e.pool.runningJobs().length === 0 ? true : undefined), 'the end written');
  });

  it('does not start a delayed job before its time, and starts it when the time comes', async () => {
    const clock = new ManualClock();
    const e = await engine({ clock });
    const started: number[] = [];
    e.pool.register('later', () => {
      started.push(clock.now());
      return 'ran';
    });
    e.pool.start();
    const spec = createJob('later', null, { delay: '1m' }, clock.now());
    const { job } = await e.scheduler.enqueue(spec);
    expect(job.state).toBe('delayed');
    clock.advance(59_999);
    // Give the pool every chance to (wrongly) run it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await e.store.get(spec.id))!.state).toBe('delayed');
    expect(started).toEqual([]);
    clock.advance(1);
    const done = await untilState(e.store, spec.id, 'completed');
    expect(started).toEqual([spec.runAt]);
    expect(done.result).toBe('ran');
  });

  it('drains on stop: a running job finishes and queued jobs stay scheduled', async () => {
    const e = await engine({ concurrency: 1 });
    const running = gate();
    e.pool.register('work', async (ctx) => {
      running.open();
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { done: ctx.payload };
    });
    e.pool.start();
    const specs = [1, 2, 3].map((n) => createJob('work', n));
    for (const spec of specs) await e.scheduler.enqueue(spec);
    await running.promise;
    await e.pool.stop();
    const jobs = (await e.store.getMany(specs.map((s) => s.id))) as Job[];
    expect(jobs.map((j) => [j.state, j.attempt])).toEqual([
      ['completed', 1],
      ['scheduled', 0],
      ['scheduled', 0],
    ]);
    expect(jobs[0]!.result).toEqual({ done: 1 });
  });

  it('releases jobs that outlive the shutdown timeout to scheduled without spending the attempt', async () => {
    const e = await engine({ concurrency: 2, shutdownTimeoutMs: 50, timeoutGraceMs: 50 });
    const reasons: unknown[] = [];
    let started = 0;
    e.pool.register('polite', async (ctx) => {
      started++;
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      reasons.push(ctx.signal.reason);
      throw ctx.signal.reason;
    });
    e.pool.register('stubborn', async () => {
      started++;
      await new Promise((resolve) => setTimeout(resolve, 60_000).unref());
    });
    e.pool.start();
    const polite = createJob('polite');
    const stubborn = createJob('stubborn');
    await e.scheduler.enqueueBatch([polite, stubborn]);
    await until(() => (started === 2 ? true : undefined), 'both handlers to start');
    await e.pool.stop();
    for (const id of [polite.id, stubborn.id]) {
      const job = (await e.store.get(id))!;
      expect([job.state, job.attempt, job.errors.length]).toEqual(['scheduled', 0, 0]);
    }
    expect(reasons).toHaveLength(1);
    expect(isGqError(reasons[0], 'GQ_SHUTTING_DOWN')).toBe(true);

    // Nothing was lost: the next pool runs both as their first attempt.
    const next = new WorkerPool({ store: e.store, scheduler: e.scheduler });
    const attempts: number[] = [];
    next.register('polite', (ctx) => attempts.push(ctx.attempt));
    next.register('stubborn', (ctx) => attempts.push(ctx.attempt));
    next.start();
    await untilState(e.store, polite.id, 'completed');
    await untilState(e.store, stubborn.id, 'completed');
    await next.stop();
    expect(attempts).toEqual([1, 1]);
  });

  it('aborts a cancelled job at once and rejects its late completion', async () => {
    const e = await engine();
    const aborted = gate();
    let reason: unknown;
    let token = '';
    e.pool.register('long', async (ctx) => {
      token = ctx.job.leaseToken!;
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      reason = ctx.signal.reason;
      aborted.open();
      // A late completion: the handler finishes anyway and returns a result.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 'late result';
    });
    e.pool.start();
    const spec = createJob('long');
    await e.scheduler.enqueue(spec);
    await untilState(e.store, spec.id, 'running');
    await e.store.cancel(spec.id, 'operator said so');
    await aborted.promise;
    expect(isGqError(reason, 'GQ_LEASE_LOST')).toBe(true);
    expect((reason as Error).message).toContain('cancelled');
    await until(() => (e.pool.stats().busy === 0 ? true : undefined), 'the slot to free');
    const job = (await e.store.get(spec.id))!;
    expect([job.state, job.cancelReason, job.result]).toEqual([
      'cancelled',
      'operator said so',
      undefined,
    ]);
    expect(e.pool.stats()).toMatchObject({ completed: 0, failed: 0 });
    // The fencing token of the cancelled attempt can no longer complete it.
    await expect(e.store.complete(spec.id, token, 'late')).rejects.toMatchObject({
      code: 'GQ_LEASE_LOST',
    });
    expect((await e.store.get(spec.id))!.state).toBe('cancelled');
  });

  it('persists progress and checkpoints, and gives the checkpoint to the next attempt', async () => {
    const e = await engine();
    const proceed = gate();
    const seen: unknown[] = [];
    e.pool.register('long', async (ctx) => {
      seen.push(ctx.lastCheckpoint);
      if (ctx.attempt === 1) {
        await ctx.progress(50, 'half way');
        await ctx.checkpoint({ page: 3 });
        await proceed.promise;
        throw new Error('crashed mid-way');
      }
      await ctx.progress(100);
      return 'resumed';
    });
    e.pool.start();
    const spec = createJob('long', null, { backoff: { initialMs: 1, jitter: false } });
    await e.scheduler.enqueue(spec);
    const running = await until(async () => {
      const job = await e.store.get(spec.id);
      return job?.checkpoint === undefined ? undefined : job;
    }, 'the checkpoint');
    expect([running.state, running.progress, running.progressMessage, running.checkpoint]).toEqual([
      'running',
      50,
      'half way',
      { page: 3 },
    ]);
    proceed.open();
    const done = await untilState(e.store, spec.id, 'completed');
    expect(seen).toEqual([undefined, { page: 3 }]);
    expect([done.progress, done.result, done.attempt]).toEqual([100, 'resumed', 2]);
  });

  it('runs each of 1,000 jobs exactly once with 32 handlers at a time', async () => {
    const e = await engine({ concurrency: 32 });
    const runs = new Map<string, number>();
    let peak = 0;
    e.pool.register('count', async (ctx) => {
      runs.set(ctx.id, (runs.get(ctx.id) ?? 0) + 1);
      peak = Math.max(peak, e.pool.stats().busy);
      await new Promise((resolve) => setImmediate(resolve));
    });
    e.pool.start();
    const specs = Array.from({ length: 1000 }, (_, i) => createJob('count', i));
    for (let i = 0; i < specs.length; i += 100) {
      await e.scheduler.enqueueBatch(specs.slice(i, i + 100));
    }
    await until(() => (e.pool.stats().completed === 1000 ? true : undefined), '1,000 completions');
    expect(runs.size).toBe(1000);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(peak).toBeLessThanOrEqual(32);
    expect((await e.store.counts()).byState.completed).toBe(1000);
  });
});
