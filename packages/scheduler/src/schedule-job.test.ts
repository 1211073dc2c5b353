import { describe, expect, it } from 'vitest';
import type { ScheduleDefinition } from '@gopherqueue/core';
import { scheduledJob, tickJobBuilder } from './schedule-job.js';

const T = Date.UTC(2026, 0, 1, 12);

describe('tickJobBuilder', () => {
  it('builds the job scheduledJob builds for a tick, each with its own id and payload', () => {
    const definition: ScheduleDefinition = {
      cron: '* * * * *',
      jitterMs: 1000,
      job: {
        type: 'report',
        payload: { kind: 'daily', list: [1, 2] },
        queue: 'reports',
        priority: 1,
        maxAttempts: 5,
        timeoutMs: 60_000,
        tags: { team: 'ops', schedule: 'overridden' },
        backoff: { strategy: 'constant', initialMs: 2000 },
        retryOn: ['TypeError'],
      },
    };
    const build = tickJobBuilder('nightly', definition, () => 0.5);
    for (const [tick, now] of [
      [T, T + 20],
      [T + 60_000, T + 59_000],
    ] as const) {
      const fast = build(tick, now);
      const slow = scheduledJob({
        name: 'nightly',
        definition,
        tick,
        now,
        kind: 'tick',
        random: () => 0.5,
      });
      expect(fast).toEqual({ ...slow, id: fast.id });
      expect(fast.id).not.toBe(slow.id);
    }
    const [a, b] = [build(T, T), build(T + 60_000, T + 60_000)];
    expect(a.payload).toEqual(b.payload);
    expect(a.payload).not.toBe(b.payload);
    expect(a.tags).not.toBe(b.tags);
  });

  it('leaves runAt out for a tick due now without jitter, as scheduledJob does', () => {
    const definition: ScheduleDefinition = { everyMs: 60_000, job: { type: 'beat' } };
    const fast = tickJobBuilder('b', definition)(T, T + 5);
    const slow = scheduledJob({ name: 'b', definition, tick: T, now: T + 5, kind: 'tick' });
    expect(fast).toEqual({ ...slow, id: fast.id });
    expect(fast.runAt).toBeUndefined();
  });
});

describe('scheduledJob', () => {
  it('adds the jitter to a tick, not to a trigger, which runs now and carries no key', () => {
    const definition: ScheduleDefinition = {
      everyMs: 60_000,
      jitterMs: 30_000,
      job: { type: 'beat' },
    };
    const half = () => 0.5;
    const tick = scheduledJob({
      name: 'b',
      definition,
      tick: T,
      now: T,
      kind: 'tick',
      random: half,
    });
    expect([tick.runAt, tick.idempotencyKey]).toEqual([
      T + 15_000,
      'schedule:b@2026-01-01T12:00:00.000Z',
    ]);
    const triggered = scheduledJob({
      name: 'b',
      definition,
      tick: T,
      now: T,
      kind: 'trigger',
      random: half,
    });
    // Due now: no runAt at all, as for any job submitted to run at once.
    expect([triggered.runAt, triggered.idempotencyKey]).toEqual([undefined, undefined]);
    expect(triggered.tags).toEqual({ schedule: 'b', scheduled_for: '2026-01-01T12:00:00.000Z' });
  });
});
