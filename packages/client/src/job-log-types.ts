import type { JobLogLevel } from '@gopherqueue/core';
import type { RequestOptions } from './client-types.js';

/** One kept log line of a job, as `GET /api/v1/jobs/:id/logs` returns it. */
export interface WireJobLogLine {
  attempt: number;
  /** Its number within the attempt, from 1. */
  seq: number;
  /** RFC 3339. */
  at: string;
  level: JobLogLevel;
  message: string;
  fields?: Record<string, unknown>;
}

/** A page of a job's log lines, in order (attempt, then seq). */
export interface WireJobLogPage {
  job_id: string;
  lines: WireJobLogLine[];
  /** Attempts that dropped lines (the worker's buffer or the store's bounds), with how many. */
  dropped: { attempt: number; count: number }[];
  /** True when more lines follow: read again with `after: last`. */
  more: boolean;
  /** `<attempt>:<seq>` of the last line returned, for `after`. */
  last?: string;
}

/** Options of `GopherQueueClient.logs`. */
export interface LogsOptions extends RequestOptions {
  /** Only this attempt's lines. */
  attempt?: number;
  /** Only lines after this `<attempt>:<seq>` (the `last` of the previous page). */
  after?: string;
  /** @defaultValue 200; at most 1000 */
  limit?: number;
}

/** Lines of one attempt a remote worker sends (`POST /api/v1/workers/logs`). */
export interface WireJobLogAppend {
  job_id: string;
  attempt: number;
  lines: { at: number; level: JobLogLevel; message: string; fields?: Record<string, unknown> }[];
  /** Lines its buffer dropped. */
  dropped?: number;
}
