export { ApiError, ApiErrorCode } from './api-error.js';
export type { ApiErrorCodeValue } from './api-error.js';
export { isConnectionError } from './connection-error.js';
export type {
  BatchJob,
  ClaimRequest,
  ClientOptions,
  DurationInput,
  FailureInput,
  HeartbeatOptions,
  ListOptions,
  ReleaseOptions,
  RequestOptions,
  SubmitOptions,
} from './client-types.js';
export { fromWireJob } from './from-wire-job.js';
export { GopherQueueClient, MAX_CLIENT_WAIT_MS } from './gopher-queue-client.js';
export {
  BACKOFF_FIELDS,
  BACKOFF_INPUT_FIELDS,
  DEBOUNCE_FIELDS,
  DEBOUNCE_INPUT_FIELDS,
  fieldEntries,
  JOB_ERROR_FIELDS,
  JOB_FIELDS,
  SUBMIT_FIELDS,
  TRANSITION_FIELDS,
  UNIQUE_FIELDS,
} from './job-fields.js';
export type { FieldAudience, FieldKind, JobField, SubmitField, WireField } from './job-fields.js';
export type { BulkAction, BulkInput, WireBulkResult } from './bulk-types.js';
export type {
  LogsOptions,
  WireJobLogAppend,
  WireJobLogLine,
  WireJobLogPage,
} from './job-log-types.js';
export { SseParser } from './sse-parser.js';
export type { SseEvent } from './sse-parser.js';
export type {
  WireApiKey,
  WireAuditEntry,
  WireBackoff,
  WireBatchItem,
  WireBatchResult,
  WireCreatedApiKey,
  WireEndResult,
  WireError,
  WireHeartbeatResult,
  WireJob,
  WireJobError,
  WireJobPage,
  WireJobTransition,
  WireJobResult,
  WireLeasedJob,
  WireQueue,
  WireQueueDetail,
  WireGroupAtLimit,
  QueueUpdate,
  WireQueueStats,
  WireStats,
  WireWaitResult,
  WireWorker,
  WireWorkerList,
  WireWorkerSlots,
  WireWorkerStats,
} from './wire-types.js';
export { SchedulesClient } from './schedules-client.js';
export type {
  ScheduleFieldsInput,
  ScheduleInput,
  ScheduleJobInput,
  SchedulePage,
  SchedulePageQuery,
  WireSchedule,
  WireScheduleJob,
} from './schedule-wire-types.js';
