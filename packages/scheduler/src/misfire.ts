import type { MisfirePolicy } from '@gopherqueue/core';
import type { TickPlan } from './schedule-plan.js';

/** A schedule's misfire policy with its limit. */
export interface MisfireRule {
  misfire: MisfirePolicy;
  catchUpLimit: number;
}

/**
 * Which of the ticks in `(after, until]`, all missed, to fire now, ascending: none (`skip`), the
 * latest (`once`), or the latest `catchUpLimit` (`catch_up`). Costs in proportion to what it
 * returns, however long ago `after` is.
 */
export function missedTicks(
  plan: TickPlan,
  after: number,
  until: number,
  rule: MisfireRule,
): number[] {
  switch (rule.misfire) {
    case 'once':
      return plan.latest(1, after, until);
    case 'catch_up':
      return plan.latest(rule.catchUpLimit, after, until);
    default:
      return [];
  }
}
