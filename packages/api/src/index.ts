// The typed client, its wire types and errors live in @gopherqueue/client, which an application
// can use without the server's dependencies; they are re-exported here for code written against
// @gopherqueue/api.
export {
  ApiError,
  ApiErrorCode,
  GopherQueueClient,
  MAX_CLIENT_WAIT_MS,
  SseParser,
} from '@gopherqueue/client';
export type {
  ApiErrorCodeValue,
  BatchJob,
  ClaimRequest,
  ClientOptions,
  DurationInput,
  FailureInput,
  HeartbeatOptions,
  ListOptions,
  ReleaseOptions,
  RequestOptions,
  SseEvent,
  SubmitOptions,
  WireApiKey,
  WireAuditEntry,
  WireBackoff,
  WireBatchItem,
  WireBatchResult,
  WireCreatedApiKey,
  WireError,
  WireHeartbeatResult,
  WireJob,
  WireJobError,
  WireJobPage,
  WireJobResult,
  WireLeasedJob,
  WireQueue,
  WireQueueStats,
  WireStats,
  WireWaitResult,
  WireWorker,
  WireWorkerList,
  WireWorkerSlots,
  WireWorkerStats,
} from '@gopherqueue/client';
export { createApi } from './create-api.js';
export { HandlerCoverage } from './handler-coverage.js';
export type { HandlerCoverageOptions, WaitingReason, WaitingReasonOf } from './handler-coverage.js';
export type { ApiEnv, Principal } from './env.js';
export { normalizeHostName } from './host-name.js';
export type { ApiOptions, AuthMode, LocalWorkers } from './options.js';
export {
  createScheduleSchema,
  parseDeclaredSchedule,
  toScheduleDefinition,
} from './schedule-schemas.js';
export type { ScheduleBody } from './schedule-schemas.js';
export { toWireSchedule } from './schedule-wire.js';
export { toWireJob, toWireResult } from './wire.js';
export { WorkerRegistry } from './worker-registry.js';
export type {
  ClaimerInfo,
  HeldJob,
  RemoteWorker,
  WorkerRegistryOptions,
} from './worker-registry.js';
export type { WireHistory, WireHistoryMinute, WirePercentiles } from './routes/stats-history.js';
