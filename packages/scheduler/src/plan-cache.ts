import type { ScheduleDefinition } from '@gopherqueue/core';
import { planOf, type TickPlan } from './schedule-plan.js';

/** The most `next` answers a shared plan remembers. */
const MEMO = 64;

/** The most plans a cache holds before it starts afresh. */
const MAX_PLANS = 20_000;

/**
 * A plan whose `next` remembers its latest answers: schedules on one expression share the plan,
 * and their cursors sit on the same ticks, so a cron's search runs once per tick for all of them
 * rather than once per schedule. Its `latest` answers "none missed" from the remembered latest
 * tick, so starting thousands of schedules that missed nothing costs one search.
 */
function memoized(plan: TickPlan): SharedPlan {
  const answers = new Map<number, number | undefined>();
  let lastUntil = Number.NaN;
  let lastTick: number | undefined;
  const previous = (until: number): number | undefined => {
    if (until !== lastUntil) {
      lastTick = plan.latest(1, Number.NEGATIVE_INFINITY, until)[0];
      lastUntil = until;
    }
    return lastTick;
  };
  return {
    previous,
    next: (after) => {
      if (answers.has(after)) return answers.get(after);
      const tick = plan.next(after);
      if (answers.size >= MEMO) answers.clear();
      answers.set(after, tick);
      return tick;
    },
    nextRuns: (n, after) => plan.nextRuns(n, after),
    latest: (n, after, until) => {
      // Nothing missed (the common case at start) is answered from the remembered latest tick.
      const last = previous(until);
      if (last === undefined || last <= after) return [];
      return plan.latest(n, after, until);
    },
  };
}

/** A plan shared by many schedules. */
export interface SharedPlan extends TickPlan {
  /** The latest tick at or before `until` (remembered for the latest `until` asked). */
  previous(until: number): number | undefined;
}

/** Tick plans shared by every schedule with the same cron and time zone, or the same interval. */
export class PlanCache {
  readonly #plans = new Map<string, SharedPlan>();

  /** The plan of a checked definition. @throws RangeError as {@link planOf} */
  of(definition: ScheduleDefinition): SharedPlan {
    const key =
      definition.cron !== undefined
        ? `cron ${definition.timezone ?? 'UTC'} ${definition.cron}`
        : `every ${String(definition.everyMs)}`;
    let plan = this.#plans.get(key);
    if (plan === undefined) {
      plan = memoized(planOf(definition));
      if (this.#plans.size >= MAX_PLANS) this.#plans.clear();
      this.#plans.set(key, plan);
    }
    return plan;
  }
}
