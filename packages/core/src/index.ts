export {
  DEFAULT_DEBOUNCE_MAX_WAIT_MS,
  EXPIRED_REASON,
  isExpired,
  MAX_ADMISSION_KEY_LENGTH,
  neverStarted,
  resolveDebounce,
  resolveUnique,
  uniqueHolds,
} from './admission.js';
export type {
  DebounceInput,
  JobDebounce,
  JobUnique,
  UniqueInput,
  UniqueUntil,
} from './admission.js';
export { backoffDelay, DEFAULT_BACKOFF, resolveBackoff } from './backoff.js';
export type { Backoff, BackoffInput, BackoffStrategy } from './backoff.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
export type { Component, ComponentStatus } from './component.js';
export {
  createJob,
  JOB_DEFAULTS,
  MAX_ERROR_NAME_LENGTH,
  MAX_ERROR_NAMES,
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  MAX_TAGS,
} from './create-job.js';
export type { JobOptions } from './create-job.js';
export { formatDuration, parseDuration } from './duration.js';
export { ErrorCode, GqError, isGqError, isPermanentError, PermanentError } from './errors.js';
export type { ErrorClass, ErrorCodeValue, GqErrorOptions } from './errors.js';
export {
  RateLimitedError,
  RetryableError,
  retryAfterOf,
  retryRefused,
  SnoozeError,
  snoozeOf,
} from './handler-errors.js';
export type { RetryableErrorOptions } from './handler-errors.js';
export { TypedEmitter } from './events.js';
export type { JobEventName, JobEvents } from './events.js';
export { isJobState, isTerminal, JOB_STATES, RUNNABLE_STATES } from './job-state.js';
export type { JobState } from './job-state.js';
export {
  durationProblem,
  isBadText,
  jsonValueProblem,
  jsonTooDeep,
  MAX_BACKOFF_MS,
  MAX_DELAY_MS,
  MAX_DURATION_MS,
  MAX_JSON_DEPTH,
  MAX_LEASE_MS,
  MAX_PROGRESS_LENGTH,
  MAX_TIME_MS,
  MAX_TIMEOUT_MS,
  MAX_TIMER_MS,
  MIN_LEASE_MS,
  MIN_TIME_MS,
  progressProblem,
  rfc3339Ms,
  RUN_AT_SKEW_MS,
  runAtProblem,
  textProblem,
  wellFormedText,
} from './limits.js';
export {
  appendError,
  appendTransition,
  boundedError,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_ERROR_STACK_LENGTH,
  MAX_ERRORS,
  MAX_TRANSITIONS,
  truncateText,
} from './job.js';
export type { Job, JobError, JobSpec, JobTransition, Json } from './job.js';
export {
  appendAttemptLog,
  checkLogAppends,
  cutUtf8,
  JOB_LOG_LEVELS,
  JOB_LOG_LIMITS,
  logLineBytes,
  normalizeLogLine,
  resolveLogQuery,
  utf8Bytes,
} from './job-logs.js';
export type {
  AttemptLog,
  JobLogAppend,
  JobLogDropped,
  JobLogEntry,
  JobLogLevel,
  JobLogLine,
  JobLogPage,
  JobLogQuery,
  JobLogStore,
} from './job-logs.js';
export { noopLogger } from './logger.js';
export { setLongTimeout } from './long-timeout.js';
export type { LongTimeoutOptions, TimerHost } from './long-timeout.js';
export type { LogFields, Logger } from './logger.js';
export { parsePriority, PRIORITY_NAMES } from './priority.js';
export {
  MAX_FIRE_BATCH,
  MAX_SCHEDULES,
  MAX_SCHEDULE_PAGE,
  SCHEDULE_NAME,
  scheduleTickKey,
} from './schedule.js';
export type {
  FireInput,
  FireOutcome,
  MisfirePolicy,
  NamedFireInput,
  ScheduleDefinition,
  ScheduleJobTemplate,
  SchedulePage,
  ScheduleSource,
  ScheduleStore,
  ScheduleWrite,
  StoredSchedule,
} from './schedule.js';
export {
  checkQueuePatch,
  concurrencyProblem,
  formatRate,
  MAX_QUEUE_CONCURRENCY,
  MAX_RATE_LIMIT,
  MAX_RATE_PERIOD_MS,
  MIN_RATE_PERIOD_MS,
  nextRateStartAt,
  parseRate,
  pruneRateLog,
  readRateLog,
  rateFreedAt,
  rateProblem,
  rateRemaining,
  rateSlotMs,
  rateSlotOf,
  recordStarts,
  hasLimits,
} from './queue-settings.js';
export type { QueueLimits, QueuePatch, QueueRate, RateLog } from './queue-settings.js';
export {
  agingProblem,
  effectivePriority,
  formatAging,
  GROUP_PATTERN,
  groupConcurrencyProblem,
  groupLimitOf,
  groupProblem,
  MAX_AGING_MS,
  MAX_GROUP_CONCURRENCY,
  MAX_GROUP_LENGTH,
  MAX_GROUPS_LISTED,
  MIN_AGING_MS,
  parseAging,
} from './group-settings.js';
export type { GroupAtLimit, GroupState } from './group-settings.js';
export type { PriorityLevel, PriorityName } from './priority.js';
export type {
  ClaimOptions,
  CountDueInput,
  DueCount,
  Durability,
  FailInput,
  FailOutcome,
  FailureReport,
  HeartbeatInput,
  JobCounts,
  ListFilter,
  ListPage,
  MetaStore,
  PurgeInput,
  QueueInfo,
  QueueState,
  ReleaseInput,
  RetryInput,
  Store,
  StoreChange,
  SubmitResult,
} from './store.js';
export {
  activeTraceparent,
  formatTraceparent,
  isTraceparent,
  parseTraceparent,
  TRACEPARENT_LENGTH,
} from './trace-context.js';
export { isUuid, uuidv7 } from './uuid.js';
