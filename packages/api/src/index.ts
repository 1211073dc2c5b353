export { ApiError } from './api-error.js';
export { GopherQueueClient, MAX_CLIENT_WAIT_MS } from './client.js';
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
export { createApi } from './create-api.js';
export { HandlerCoverage } from './handler-coverage.js';
export type { HandlerCoverageOptions, WaitingReason, WaitingReasonOf } from './handler-coverage.js';
export type { ApiEnv, Principal } from './env.js';
export { normalizeHostName } from './host-name.js';
export type { ApiOptions, AuthMode, LocalWorkers } from './options.js';
export { SseParser } from './sse-parser.js';
export type { SseEvent } from './sse-parser.js';
export { toWireJob, toWireResult } from './wire.js';
export type {
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
} from './wire-types.js';
export { WorkerRegistry } from './worker-registry.js';
export type {
  ClaimerInfo,
  HeldJob,
  RemoteWorker,
  WorkerRegistryOptions,
} from './worker-registry.js';
