import { Cron } from 'croner';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PlanCache } from './plan-cache.js';
import { checkScheduleDefinition, cronPlan, intervalPlan } from './schedule-plan.js';

const iso = (ms: number[]): string[] => ms.map((t) => new Date(t).toISOString());
const tags = (n: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, 'v']));

describe('schedule plans', () => {
  it('lists the next and the latest ticks of a cron in its time zone', () => {
    const plan = cronPlan('0 9 * * 1-5', 'America/New_York');
    const from = Date.parse('2026-01-02T00:00:00Z'); // a Friday
    expect(iso(plan.nextRuns(3, from))).toEqual([
      '2026-01-02T14:00:00.000Z',
      '2026-01-05T14:00:00.000Z',
      '2026-01-06T14:00:00.000Z',
    ]);
    expect(
      iso(plan.latest(2, Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-01-06T14:00:00Z'))),
    ).toEqual(['2026-01-05T14:00:00.000Z', '2026-01-06T14:00:00.000Z']);
  });

  it('ticks an interval at multiples of it since the epoch', () => {
    const plan = intervalPlan(15 * 60_000);
    const at = Date.parse('2026-01-01T10:07:00Z');
    expect(iso(plan.nextRuns(2, at))).toEqual([
      '2026-01-01T10:15:00.000Z',
      '2026-01-01T10:30:00.000Z',
    ]);
    expect(iso(plan.latest(5, at - 30 * 60_000, at))).toEqual([
      '2026-01-01T09:45:00.000Z',
      '2026-01-01T10:00:00.000Z',
    ]);
  });

  it('names the field of a bad definition', () => {
    const job = { type: 'x' };
    const cases: [unknown, string][] = [
      [{ job, cron: '* * *' }, 'cron:'],
      [{ job, cron: '* * * * * * *' }, 'cron:'],
      [{ job, cron: '* * * * *', timezone: 'Mars/Base' }, 'timezone must be an IANA time zone'],
      [{ job, everyMs: 10 }, 'every must be at least'],
      [{ job }, 'cron: a schedule needs exactly one of cron and every'],
      [{ job, everyMs: 1000, cron: '* * * * *' }, 'cron: a schedule needs exactly one'],
      [{ job, everyMs: 1000, misfire: 'later' }, 'misfire must be skip, once or catch_up'],
      [{ job, everyMs: 1000, catchUpLimit: 1001 }, 'catch_up_limit must be an integer 1..1000'],
      [{ job, everyMs: 1000, jitterMs: 7_200_000 }, 'jitter must be at most'],
      [{ job: { type: 'x', queue: '' }, everyMs: 1000 }, 'job.queue'],
      [{ job: { type: 'x', maxAttempts: 0 }, everyMs: 1000 }, 'job.maxAttempts'],
      // Each tick's job adds two tags: a template of 63 would make jobs of 65.
      [
        { job: { type: 'x', tags: tags(63) }, everyMs: 1000 },
        'job.tags must hold at most 64 tags; got 65',
      ],
    ];
    for (const [definition, message] of cases) {
      expect(() => checkScheduleDefinition(definition), JSON.stringify(definition)).toThrow(
        message,
      );
    }
    expect(
      checkScheduleDefinition({ job: { type: 'x', tags: tags(62) }, everyMs: 1000 }).job.tags,
    ).toEqual(tags(62));
    expect(checkScheduleDefinition({ job, everyMs: 1000 })).toEqual({
      job,
      everyMs: 1000,
      misfire: 'skip',
      catchUpLimit: 100,
      jitterMs: 0,
    });
  });
});

describe('the latest ticks of a cron', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Counts the runs croner is asked for, however many calls ask. */
  function countRunsAsked(): () => number {
    const spy = vi.spyOn(Cron.prototype, 'previousRuns');
    return () => spy.mock.calls.reduce((sum, [n]) => sum + (n ?? 0), 0);
  }

  const berlin = () => cronPlan('0 2 * * *', 'Europe/Berlin');
  const at = (text: string): number => Date.parse(text);

  it('asks for one run when none was missed, however many it may return', () => {
    const plan = berlin();
    const asked = countRunsAsked();
    // Down one minute at noon: no 02:00 in between.
    expect(plan.latest(1000, at('2026-03-10T12:00:00Z'), at('2026-03-10T12:01:00Z'))).toEqual([]);
    expect(asked()).toBe(1);
  });

  it('walks back only as far as the ticks missed, across the DST change', () => {
    const plan = berlin();
    const asked = countRunsAsked();
    const missed = plan.latest(1000, at('2026-03-27T12:00:00Z'), at('2026-03-31T12:00:00Z'));
    expect(iso(missed)).toEqual([
      '2026-03-28T01:00:00.000Z',
      // 02:00 does not exist that day: it runs at 03:00 CEST.
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
    ]);
    // The four ticks, and the one before them that ends the walk.
    expect(asked()).toBe(5);
    expect(iso(plan.latest(2, at('2026-03-27T12:00:00Z'), at('2026-03-31T12:00:00Z')))).toEqual([
      '2026-03-30T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
    ]);
  });

  it('keeps ticks in (after, until] of a cron with seconds, `until` between two runs', () => {
    const plan = cronPlan('*/2 * * * * *');
    const t = Date.UTC(2026, 0, 1, 0, 0, 10);
    expect(plan.latest(10, t - 4000, t + 1500)).toEqual([t - 2000, t]);
    expect(plan.latest(10, t, t + 1999)).toEqual([]);
    expect(plan.latest(10, t - 1, t)).toEqual([t]);
    expect(plan.latest(0, t - 4000, t)).toEqual([]);
  });

  it('answers a shared plan with nothing missed from one search for all its schedules', () => {
    const plan = new PlanCache().of({
      job: { type: 'x' },
      cron: '0 2 * * *',
      timezone: 'Europe/Berlin',
    });
    const asked = countRunsAsked();
    const now = at('2026-03-10T12:01:00Z');
    for (let i = 0; i < 100; i++) {
      expect(plan.latest(1000, at('2026-03-10T12:00:00Z') + i, now)).toEqual([]);
    }
    expect(asked()).toBe(1);
    expect(iso(plan.latest(1000, at('2026-03-09T12:00:00Z'), now))).toEqual([
      '2026-03-10T01:00:00.000Z',
    ]);
  });
});
