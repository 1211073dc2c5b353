import { expect, it } from 'vitest';
import { createJob, RateLimitedError, SnoozeError, type Job } from '@gopherqueue/core';
import { JobEventRelay } from '@gopherqueue/scheduler';
import type { AttemptHarness } from './attempt-harness.js';
import { untilState } from './engine-fixture.js';

/** A handler's view of one run: its attempt, when it began, and the job as claimed. */
interface Run {
  attempt: number;
  at: number;
  job: Job;
}

/**
 * Snoozes (`ctx.snooze`, `SnoozeError`, `RateLimitedError`): the job is put off without
 * spending its attempt, whatever source the pool runs over. Part of the attempt suite.
 */
export function snoozeCases(harness: AttemptHarness): void {
  it('snoozes with ctx.snooze: the attempt is not spent and the job runs again after the delay', async () => {
    const e = await harness.open({ concurrency: 1 });
    const relay = new JobEventRelay({ store: e.store });
    const snoozed: Job[] = [];
    relay.on('job:snoozed', (job) => snoozed.push(job));
    relay.start();
    const runs: Run[] = [];
    e.pool.register('polite', (ctx) => {
      runs.push({ attempt: ctx.attempt, at: Date.now(), job: ctx.job });
      if (runs.length === 1) return ctx.snooze('200ms');
      return 'ran after the snooze';
    });
    e.pool.start();
    const spec = createJob('polite', null, { maxAttempts: 1 });
    await e.submit(spec);
    const done = await untilState(e.store, spec.id, 'completed');
    await relay.stop();
    expect(runs.map((run) => run.attempt)).toEqual([1, 1]);
    expect([done.attempt, done.errors, done.result]).toEqual([1, [], 'ran after the snooze']);
    // The second run was claimed no sooner than the snooze allowed.
    const [first, second] = runs as [Run, Run];
    expect(second.job.runAt).toBeGreaterThanOrEqual(first.at + 200);
    expect(second.job.startedAt).toBeGreaterThanOrEqual(second.job.runAt);
    expect(snoozed.map((job) => [job.id, job.state, job.attempt, job.runAt])).toEqual([
      [spec.id, 'scheduled', 0, second.job.runAt],
    ]);
  });

  it('snoozes for a thrown SnoozeError or RateLimitedError, even on the last attempt', async () => {
    const e = await harness.open();
    const attempts = new Map<string, number[]>();
    const seen = (id: string, attempt: number): number => {
      const list = attempts.get(id) ?? [];
      list.push(attempt);
      attempts.set(id, list);
      return list.length;
    };
    e.pool.register('busy', (ctx) => {
      if (seen(ctx.id, ctx.attempt) < 3) throw new SnoozeError(50, 'the printer is busy');
      return 'printed';
    });
    e.pool.register('limited', (ctx) => {
      if (seen(ctx.id, ctx.attempt) === 1) throw new RateLimitedError('100ms');
      return 'sent';
    });
    e.pool.start();
    const busy = createJob('busy', null, { maxAttempts: 1 });
    const limited = createJob('limited', null, { maxAttempts: 1 });
    await e.submit(busy);
    await e.submit(limited);
    const [printed, sent] = await Promise.all([
      untilState(e.store, busy.id, 'completed'),
      untilState(e.store, limited.id, 'completed'),
    ]);
    expect([printed.result, printed.attempt, printed.errors]).toEqual(['printed', 1, []]);
    expect([sent.result, sent.attempt, sent.errors]).toEqual(['sent', 1, []]);
    expect(attempts.get(busy.id)).toEqual([1, 1, 1]);
    expect(attempts.get(limited.id)).toEqual([1, 1]);
  });

  it('fails the attempt of a snooze with a bad delay, naming it', async () => {
    const e = await harness.open();
    e.pool.register('sloppy', (ctx) => ctx.snooze('soon'));
    e.pool.register('greedy', (ctx) => ctx.snooze('87601h'));
    e.pool.start();
    const sloppy = createJob('sloppy', null, { maxAttempts: 1 });
    const greedy = createJob('greedy', null, { maxAttempts: 1 });
    await e.submit(sloppy);
    await e.submit(greedy);
    const ends = await Promise.all([
      untilState(e.store, sloppy.id, 'dead_letter'),
      untilState(e.store, greedy.id, 'dead_letter'),
    ]);
    expect(
      ends.map((job) => job.errors.map((err) => [err.errorClass, err.name, err.message])),
    ).toEqual([
      [
        [
          'error',
          'RangeError',
          'snooze: invalid duration "soon": expected e.g. "500ms", "30s", "1h30m"',
        ],
      ],
      [['error', 'RangeError', 'snooze must be at most 87600h (10 years); got 315363600000ms']],
    ]);
  });
}
