import type { Logger, MisfirePolicy, ScheduleDefinition, StoredSchedule } from '@gopherqueue/core';
import { missedTicks } from './misfire.js';
import type { SharedPlan } from './plan-cache.js';
import type { TickJobBuilder } from './schedule-job.js';
import type { TickPlan } from './schedule-plan.js';

/** One schedule as the ticker follows it. */
export interface Entry {
  stored: StoredSchedule;
  definition?: ScheduleDefinition & { misfire: MisfirePolicy; catchUpLimit: number };
  plan?: SharedPlan;
  /** Builds the job of a tick of `definition`. */
  jobs?: TickJobBuilder;
  /** The latest tick this process handled (fired, found done, or passed over as missed). */
  cursor: number;
  /** True until its ticks missed before this process started are handled by its misfire policy. */
  fresh: boolean;
  /**
   * Once its ticks could not be worked out: the stored last tick then. It stays idle until the
   * stored schedule changes (its definition or last tick).
   */
  halted?: number;
  /** The first tick after `cursor` under `plan`, cached: [plan, cursor, tick]. */
  next?: [TickPlan, number, number | undefined];
  /** In the heap: when the entry is next due (its next tick, or at once while fresh). */
  due: number;
  heapIndex: number;
}

/** What one pass fires for one schedule. */
export interface Work {
  entry: Entry;
  /** Ascending. */
  ticks: number[];
  /** The first tick after the pass's `now`, when `afterKnown`. */
  after: number | undefined;
  afterKnown: boolean;
  /** False when the ticks were cut to a batch: the rest go in the next pass. */
  complete: boolean;
  /** The time up to which the entry's ticks were looked at: its cursor once they all fired. */
  through: number;
}

/** The entry's first tick after its cursor (cached: a cron's next run costs a search). */
export function nextTick(entry: Entry): number | undefined {
  const { plan, cursor } = entry;
  if (plan === undefined) return undefined;
  const cached = entry.next;
  if (cached !== undefined && cached[0] === plan && cached[1] === cursor) return cached[2];
  const tick = plan.next(cursor);
  entry.next = [plan, cursor, tick];
  return tick;
}

/** The most ticks one pass fires for one schedule as on time. */
const MAX_ON_TIME = 1000;

/**
 * The ticks a due entry fires now (at most `batchSize`; `complete` false when cut), or undefined
 * when it fires nothing (idle). A fresh entry's missed ticks follow its misfire policy; a running
 * one's ticks up to `lateMs` late fire as on time, older ones as missed, and those up to
 * `horizon` (now plus the ticker's lead) ahead of their time, as jobs that wait for their tick.
 */
export function workOf(
  entry: Entry,
  now: number,
  horizon: number,
  lateMs: number,
  batchSize: number,
  logger: Logger,
): Work | undefined {
  const { plan, definition } = entry;
  if (plan === undefined || definition === undefined || entry.stored.paused) return undefined;
  const policy = { misfire: definition.misfire, catchUpLimit: definition.catchUpLimit };
  let ticks: number[];
  let after: number | undefined;
  let afterKnown = false;
  let through = now;
  if (entry.fresh) {
    ticks = missedTicks(plan, entry.cursor, now, policy);
    // Whether a tick was missed, from the plan's latest tick (one search for all schedules).
    const latest = plan.previous(now);
    if (latest !== undefined && latest > entry.cursor) {
      logger.info('ticks missed while stopped', {
        schedule: entry.stored.name,
        misfire: definition.misfire,
        since: new Date(entry.cursor).toISOString(),
        firing: ticks.map((t) => new Date(t).toISOString()),
      });
    }
  } else {
    const boundary = now - lateMs;
    ticks = entry.cursor < boundary ? missedTicks(plan, entry.cursor, boundary, policy) : [];
    let t = entry.cursor >= boundary ? nextTick(entry) : plan.next(boundary);
    for (; t !== undefined && t <= horizon && ticks.length < MAX_ON_TIME; t = plan.next(t)) {
      ticks.push(t);
    }
    // No tick lies between the last one taken (or the start) and t: t is the next after horizon.
    afterKnown = t === undefined || t > horizon;
    after = t;
    through = horizon;
  }
  const complete = ticks.length <= batchSize;
  if (!complete) ticks = ticks.slice(0, batchSize);
  return { entry, ticks, after, afterKnown, complete, through };
}
