import { DEFAULT_BACKOFF, type Job, type JobEvents, TypedEmitter } from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';
import { describe, expect, it } from 'vitest';
import {
  bucketUpperMs,
  durationBucket,
  HISTOGRAM_BUCKETS,
  HISTORY_MINUTES,
  ThroughputHistory,
} from './throughput-history.js';

// A minute boundary plus 10 s, so a few seconds' steps stay within one minute.
const T0 = Date.UTC(2026, 0, 1, 12, 0, 10);
const MINUTE = 60_000;

function setup(maxQueues?: number): { clock: ManualClock; history: ThroughputHistory } {
  const clock = new ManualClock(T0);
  const history = new ThroughputHistory({
    now: () => clock.now(),
    ...(maxQueues === undefined ? {} : { maxQueues }),
  });
  return { clock, history };
}

function job(overrides: Partial<Job>): Job {
  return {
    id: '0190d7a0-0000-7000-8000-000000000000',
    type: 'echo',
    queue: 'default',
    payload: null,
    priority: 2,
    state: 'completed',
    attempt: 1,
    maxAttempts: 3,
    timeoutMs: 1_800_000,
    backoff: DEFAULT_BACKOFF,
    runAt: T0,
    dependsOn: [],
    waitingOn: [],
    tags: {},
    errors: [],
    seq: 1,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

describe('durationBucket', () => {
  it('puts 0 to 1 ms in bucket 0 and each quarter doubling in the next', () => {
    expect(durationBucket(0)).toBe(0);
    expect(durationBucket(1)).toBe(0);
    expect(durationBucket(1.01)).toBe(1);
    expect(durationBucket(2)).toBe(4);
    expect(durationBucket(3)).toBe(7); // 2^(6/4) = 2.83 < 3 <= 2^(7/4) = 3.36
    expect(durationBucket(1000)).toBe(40); // 2^(39/4) = 861 < 1000 <= 2^10 = 1024
    expect(durationBucket(2 ** 40)).toBe(HISTOGRAM_BUCKETS - 1);
    expect(durationBucket(Number.NaN)).toBe(0);
    expect(bucketUpperMs(40)).toBe(1024);
    expect(bucketUpperMs(0)).toBe(1);
  });
});

describe('ThroughputHistory', () => {
  it('answers an hour of empty minutes at first, oldest first, ending at the current one', () => {
    const { history } = setup();
    const snap = history.snapshot();
    expect(snap.since).toBe(T0);
    expect(snap.now).toBe(T0);
    expect(snap.minutes).toHaveLength(HISTORY_MINUTES);
    const current = T0 - 10_000;
    expect(snap.minutes.at(-1)).toEqual({
      start: current,
      completed: 0,
      failed: 0,
      waitMs: null,
      runMs: null,
      incomplete: false,
    });
    expect(snap.minutes[0]?.start).toBe(current - 59 * MINUTE);
  });

  it('reports each percentile as the upper bound of the bucket it falls in', () => {
    const { history } = setup();
    // 100 jobs: runs of 1..100 ms, waits of 10 ms for 98 and 5000 ms for two.
    for (let i = 1; i <= 100; i++) history.record('completed', 'q', i > 98 ? 5000 : 10, i);
    history.record('failed', 'q');
    const last = history.snapshot().minutes.at(-1);
    expect(last?.completed).toBe(100);
    expect(last?.failed).toBe(1);
    // The 50th run is 50 ms, in bucket ceil(4 log2 50) = 23; the 95th 95 ms, bucket 27; the
    // 99th 99 ms, bucket 27 too.
    expect(last?.runMs).toEqual({
      p50: bucketUpperMs(23),
      p95: bucketUpperMs(27),
      p99: bucketUpperMs(27),
    });
    expect(durationBucket(50)).toBe(23);
    expect(durationBucket(95)).toBe(27);
    expect(durationBucket(99)).toBe(27);
    // 98 of 100 waits are 10 ms (bucket 14): p50 and p95 there, the 99th is 5000 ms (bucket 50).
    expect(last?.waitMs).toEqual({
      p50: bucketUpperMs(14),
      p95: bucketUpperMs(14),
      p99: bucketUpperMs(50),
    });
  });

  it('moves to a new minute as the clock rolls over, and forgets minutes older than an hour', () => {
    const { clock, history } = setup();
    history.record('completed', 'q', 1, 1);
    clock.advance(49_999); // 12:00:59.999: the same minute
    history.record('completed', 'q', 1, 1);
    clock.advance(1); // 12:01:00.000: the next one
    history.record('failed', 'q', 1, 1);
    let minutes = history.snapshot().minutes;
    expect(minutes.at(-2)).toMatchObject({ start: T0 - 10_000, completed: 2, failed: 0 });
    expect(minutes.at(-1)).toMatchObject({ start: T0 + 50_000, completed: 0, failed: 1 });

    // 59 minutes on, the first minute is the oldest one still shown.
    clock.advance(58 * MINUTE);
    minutes = history.snapshot().minutes;
    expect(minutes[0]).toMatchObject({ start: T0 - 10_000, completed: 2 });
    // One more: it is gone, although its slot was never written again.
    clock.advance(MINUTE);
    minutes = history.snapshot().minutes;
    expect(minutes[0]).toMatchObject({ start: T0 + 50_000, failed: 1 });
    expect(minutes.reduce((n, m) => n + m.completed + m.failed, 0)).toBe(1);
    // A record 60 minutes after the second minute reuses (and empties) its slot.
    clock.advance(MINUTE);
    history.record('completed', 'q', 1, 1);
    minutes = history.snapshot().minutes;
    expect(minutes.reduce((n, m) => n + m.completed + m.failed, 0)).toBe(1);
    expect(minutes.at(-1)).toMatchObject({ completed: 1, failed: 0 });
  });

  it('answers the sum of some queues, exactly, histograms merged', () => {
    const { history } = setup();
    history.record('completed', 'a', 2, 2);
    history.record('completed', 'b', 1000, 1000);
    history.record('failed', 'b', 1000, 1000);
    history.record('completed', 'c', 5, 5);
    const ab = history.snapshot(['a', 'b', 'unknown']).minutes.at(-1);
    expect(ab).toMatchObject({ completed: 2, failed: 1, incomplete: false });
    expect(ab?.runMs).toEqual({ p50: 1024, p95: 1024, p99: 1024 });
    const a = history.snapshot(['a']).minutes.at(-1);
    expect(a?.runMs).toEqual({ p50: 2, p95: 2, p99: 2 });
    expect(history.snapshot([]).minutes.at(-1)).toMatchObject({ completed: 0, runMs: null });
    expect(history.snapshot().minutes.at(-1)).toMatchObject({ completed: 3, failed: 1 });
  });

  it('keeps its memory bounded: an hour of minutes, each with at most maxQueues queues', () => {
    const { clock, history } = setup(3);
    expect(history.maxTallies).toBe(HISTORY_MINUTES * 4);
    for (let minute = 0; minute < 3 * HISTORY_MINUTES; minute++) {
      for (let q = 0; q < 50; q++) history.record('completed', `q${q}`, q, q);
      clock.advance(MINUTE);
      expect(history.tallies).toBeLessThanOrEqual(history.maxTallies);
    }
    expect(history.tallies).toBe(history.maxTallies);
    // The current minute holds nothing yet; the one before has all 50 jobs in its total, and
    // the queues past the first three are not counted apart: a queue-limited read says so.
    const snap = history.snapshot();
    expect(snap.minutes.at(-2)?.completed).toBe(50);
    expect(history.snapshot(['q0', 'q1']).minutes.at(-2)).toMatchObject({
      completed: 2,
      incomplete: true,
    });
    expect(history.snapshot(['q40']).minutes.at(-2)).toMatchObject({
      completed: 0,
      incomplete: true,
    });
    expect(() => new ThroughputHistory({ maxQueues: -1 })).toThrow(RangeError);
  });

  it('is fed by job events: completed, failed and dead letter, with the job times', () => {
    const { clock, history } = setup();
    const events = new TypedEmitter<JobEvents>();
    const off = history.observe(events);
    // Created at T0, due at T0 + 1 s, started at T0 + 1.5 s, finished at T0 + 3.5 s.
    const done = job({ runAt: T0 + 1000, startedAt: T0 + 1500, finishedAt: T0 + 3500 });
    clock.advance(4000);
    events.emit('job:completed', done);
    events.emit('job:failed', job({ state: 'failed' }));
    events.emit('job:dead_letter', job({ state: 'dead_letter', startedAt: T0, updatedAt: T0 }));
    events.emit('job:retrying', job({ state: 'retrying' }));
    off();
    events.emit('job:completed', done);
    const last = history.snapshot().minutes.at(-1);
    expect(last).toMatchObject({ completed: 1, failed: 2 });
    // Two timed jobs: waits of 500 ms (bucket 36, up to 512) and 0; runs of 2000 ms and 0.
    expect(last?.waitMs).toEqual({ p50: 1, p95: 512, p99: 512 });
    expect(last?.runMs).toEqual({ p50: 1, p95: bucketUpperMs(44), p99: bucketUpperMs(44) });
    expect(durationBucket(2000)).toBe(44);
  });
});
