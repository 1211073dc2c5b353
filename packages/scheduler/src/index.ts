export { JobEventRelay } from './job-event-relay.js';
export type { JobEventRelayOptions } from './job-event-relay.js';
export { failureOutcome } from './retry-policy.js';
export { Scheduler } from './scheduler.js';
export type { SchedulerOptions } from './scheduler.js';
export { missedTicks } from './misfire.js';
export type { MisfireRule } from './misfire.js';
export { SCHEDULE_TAG, SCHEDULED_FOR_TAG, scheduledJob } from './schedule-job.js';
export type { ScheduledJobInput } from './schedule-job.js';
export {
  checkScheduleDefinition,
  checkTimezone,
  cronPlan,
  DEFAULT_CATCH_UP,
  intervalPlan,
  MAX_CATCH_UP,
  MAX_JITTER_MS,
  MIN_EVERY_MS,
  planOf,
} from './schedule-plan.js';
export type { TickPlan } from './schedule-plan.js';
export {
  MAX_SCHEDULE_LEAD_MS,
  MAX_TICKER_CONCURRENCY,
  SCHEDULE_LEAD_MS,
  ScheduleTicker,
} from './schedule-ticker.js';
export type { ScheduleTickerOptions } from './schedule-ticker.js';
export { canonicalJson, syncDeclaredSchedules } from './sync-schedules.js';
export type { DeclaredSchedule, ScheduleSyncResult } from './sync-schedules.js';
