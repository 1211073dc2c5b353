import { Cron } from 'croner';
import { SCHEDULE_TAG, SCHEDULED_FOR_TAG } from './schedule-job.js';
import {
  createJob,
  durationProblem,
  MAX_DURATION_MS,
  type Json,
  type MisfirePolicy,
  type ScheduleDefinition,
} from '@gopherqueue/core';

/** The shortest interval of an `every` schedule. */
export const MIN_EVERY_MS = 1000;

/** The longest `jitter`. */
export const MAX_JITTER_MS = 3_600_000;

/** The largest `catchUpLimit`. */
export const MAX_CATCH_UP = 1000;

/** `catchUpLimit` when a `catch_up` schedule names none. */
export const DEFAULT_CATCH_UP = 100;

const MISFIRE_POLICIES: readonly MisfirePolicy[] = ['skip', 'once', 'catch_up'];

/** When a schedule ticks: a cron expression in a time zone, or a fixed interval. */
export interface TickPlan {
  /** The first tick strictly after `after`, or undefined when there is none. */
  next(after: number): number | undefined;
  /** Up to `n` ticks after `after`, ascending. */
  nextRuns(n: number, after: number): number[];
  /** The latest `n` ticks in `(after, until]`, ascending. */
  latest(n: number, after: number, until: number): number[];
}

/**
 * The tick plan of a cron expression (5 fields, or 6 with seconds) read in the IANA `timezone`.
 * Daylight saving follows croner: a local time skipped by the spring-forward gap runs at the
 * first valid time after it (02:30 runs at 03:00 that day), and a local time that occurs twice on
 * the fall-back day runs once, at its first occurrence; a schedule of every minute or hour runs at
 * each real minute or hour.
 * @throws RangeError starting with `cron` or `timezone`.
 */
export function cronPlan(expression: string, timezone = 'UTC'): TickPlan {
  checkTimezone(timezone);
  return buildCronPlan(expression, timezone);
}

/** Cron expressions (with their time zone) found valid, so checking a definition again is cheap. */
const validCrons = new Set<string>();

/** The most entries of `validCrons` and `validTimezones` before they start afresh. */
const MAX_REMEMBERED = 10_000;

/** @throws RangeError starting with `cron` for an expression croner refuses or that never matches. */
function checkCron(expression: string, timezone: string): void {
  const key = `${timezone} ${expression}`;
  if (validCrons.has(key)) return;
  buildCronPlan(expression, timezone);
  if (validCrons.size >= MAX_REMEMBERED) validCrons.clear();
  validCrons.add(key);
}

function buildCronPlan(expression: string, timezone: string): TickPlan {
  let cron: Cron;
  try {
    cron = new Cron(expression, { timezone, paused: true, mode: '5-or-6-parts' });
  } catch (err) {
    throw new RangeError(`cron: ${(err as Error).message}`);
  }
  if (cron.nextRun(new Date(0)) === null) {
    throw new RangeError(`cron: ${JSON.stringify(expression)} never matches`);
  }
  return {
    next: (after) => cron.nextRun(new Date(after))?.getTime(),
    nextRuns: (n, after) => cron.nextRuns(n, new Date(after)).map((d) => d.getTime()),
    latest: (n, after, until) => {
      if (n <= 0 || !(until > after)) return [];
      // Walks back from `until` one run at a time and stops at the first run not after `after`,
      // so the cost follows the ticks returned (one search when none was missed), not `n`.
      // previousRuns is strict and works in whole seconds: start past `until`, pass over runs
      // beyond it.
      const runs: number[] = [];
      let from = new Date(until + 1000);
      while (runs.length < n) {
        const run = cron.previousRuns(1, from)[0];
        if (run === undefined) break;
        const t = run.getTime();
        if (t <= after) break;
        if (t <= until) runs.push(t);
        from = run;
      }
      return runs.reverse();
    },
  };
}

/** The tick plan of an interval: every multiple of `everyMs` since the Unix epoch. */
export function intervalPlan(everyMs: number): TickPlan {
  const next = (after: number): number => (Math.floor(after / everyMs) + 1) * everyMs;
  return {
    next,
    nextRuns: (n, after) => {
      const runs: number[] = [];
      for (let t = next(after); runs.length < n; t += everyMs) runs.push(t);
      return runs;
    },
    latest: (n, after, until) => {
      const runs: number[] = [];
      for (
        let t = Math.floor(until / everyMs) * everyMs;
        t > after && runs.length < n;
        t -= everyMs
      ) {
        runs.push(t);
      }
      return runs.reverse();
    },
  };
}

/** The plan of a checked definition. */
export function planOf(definition: ScheduleDefinition): TickPlan {
  if (definition.cron !== undefined) return cronPlan(definition.cron, definition.timezone);
  return intervalPlan(definition.everyMs as number);
}

/** Time zone names found valid. */
const validTimezones = new Set<string>();

/** @throws RangeError starting with `timezone` for a name that is not an IANA time zone. */
export function checkTimezone(timezone: string): void {
  if (validTimezones.has(timezone)) return;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    if (validTimezones.size >= MAX_REMEMBERED) validTimezones.clear();
    validTimezones.add(timezone);
  } catch {
    throw new RangeError(
      `timezone must be an IANA time zone like "Europe/Berlin"; got ${JSON.stringify(timezone)}`,
    );
  }
}

/**
 * Checks a definition as given (a stored one may come from another version) and returns it with
 * its defaults: `misfire` `skip`, `catchUpLimit` 100 for `catch_up`, `jitterMs` 0.
 * @throws TypeError or RangeError whose message starts with the field (`cron`, `every`,
 * `timezone`, `misfire`, `catch_up_limit`, `jitter`, `job`, `job.<option>`).
 */
export function checkScheduleDefinition(
  value: unknown,
): Required<Pick<ScheduleDefinition, 'job' | 'misfire' | 'catchUpLimit' | 'jitterMs'>> &
  ScheduleDefinition {
  if (typeof value !== 'object' || value === null)
    throw new TypeError('schedule must be an object');
  const d = value as ScheduleDefinition;
  if ((d.cron === undefined) === (d.everyMs === undefined)) {
    throw new TypeError('cron: a schedule needs exactly one of cron and every');
  }
  if (d.cron !== undefined) {
    if (typeof d.cron !== 'string') throw new TypeError('cron must be a string');
    if (d.timezone !== undefined && typeof d.timezone !== 'string') {
      throw new TypeError('timezone must be a string');
    }
    const timezone = d.timezone ?? 'UTC';
    checkTimezone(timezone);
    checkCron(d.cron, timezone);
  } else {
    const problem =
      typeof d.everyMs === 'number'
        ? durationProblem(d.everyMs, MAX_DURATION_MS, MIN_EVERY_MS)
        : 'must be a duration';
    if (problem !== undefined) throw new RangeError(`every ${problem}`);
    if (d.timezone !== undefined) throw new TypeError('timezone applies to cron schedules only');
  }
  const misfire = d.misfire ?? 'skip';
  if (!MISFIRE_POLICIES.includes(misfire)) {
    throw new RangeError(`misfire must be skip, once or catch_up; got ${JSON.stringify(misfire)}`);
  }
  const catchUpLimit = d.catchUpLimit ?? DEFAULT_CATCH_UP;
  if (!Number.isInteger(catchUpLimit) || catchUpLimit < 1 || catchUpLimit > MAX_CATCH_UP) {
    throw new RangeError(`catch_up_limit must be an integer 1..${MAX_CATCH_UP}`);
  }
  const jitterMs = d.jitterMs ?? 0;
  const jitterProblem =
    typeof jitterMs === 'number' ? durationProblem(jitterMs, MAX_JITTER_MS) : 'must be a duration';
  if (jitterProblem !== undefined) throw new RangeError(`jitter ${jitterProblem}`);
  checkTemplate(d.job);
  return { ...d, misfire, catchUpLimit, jitterMs };
}

/** Builds the template's job once, so a template `createJob` refuses is refused now. */
function checkTemplate(job: unknown): void {
  if (typeof job !== 'object' || job === null) throw new TypeError('job must be an object');
  const t = job as { type?: unknown; payload?: Json };
  if (typeof t.type !== 'string') throw new TypeError('job.type must be a string');
  try {
    // With the two tags each tick's job gets, so a template past the tag limit is refused now.
    const options = templateOptions(job as ScheduleDefinition['job']) ?? {};
    options.tags = { ...(options.tags ?? {}), [SCHEDULE_TAG]: '-', [SCHEDULED_FOR_TAG]: '-' };
    createJob(t.type, t.payload ?? null, options, 0);
  } catch (err) {
    const error = err as Error;
    const Type = error instanceof TypeError ? TypeError : RangeError;
    throw new Type(`job.${error.message}`);
  }
}

/** A template's `createJob` options (the tick's own fields are added by the caller). */
export function templateOptions(job: ScheduleDefinition['job']): Parameters<typeof createJob>[2] {
  const options: NonNullable<Parameters<typeof createJob>[2]> = {};
  if (job.queue !== undefined) options.queue = job.queue;
  if (job.priority !== undefined) options.priority = job.priority;
  if (job.maxAttempts !== undefined) options.maxAttempts = job.maxAttempts;
  if (job.timeoutMs !== undefined) options.timeout = job.timeoutMs;
  if (job.tags !== undefined) options.tags = { ...job.tags };
  if (job.backoff !== undefined) options.backoff = job.backoff;
  if (job.retryOn !== undefined) options.retryOn = job.retryOn;
  if (job.noRetryOn !== undefined) options.noRetryOn = job.noRetryOn;
  return options;
}
