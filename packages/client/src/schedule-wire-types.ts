/** The job a schedule creates, as a request gives it (durations as `"30s"` or ms). */
export interface ScheduleJobInput {
  type: string;
  payload?: unknown;
  queue?: string;
  /** 0..4 or critical, high, normal, low, bulk. */
  priority?: number | string;
  max_attempts?: number;
  timeout?: string | number;
  tags?: Record<string, string>;
  backoff?: Record<string, unknown>;
  retry_on?: string[];
  no_retry_on?: string[];
}

/** The fields of a schedule a create or update sends; exactly one of `cron` and `every`. */
export interface ScheduleFieldsInput {
  /** 5 fields, or 6 with seconds. */
  cron?: string;
  /** IANA time zone of `cron`. @defaultValue `'UTC'` */
  timezone?: string;
  /** An interval like `"15m"` (at least 1 s). */
  every?: string | number;
  /** @defaultValue `'skip'` */
  misfire?: 'skip' | 'once' | 'catch_up';
  /** With `catch_up`: at most this many missed ticks (1..1000). @defaultValue 100 */
  catch_up_limit?: number;
  /** A random delay below this is added to each job's run time (at most 1 h). */
  jitter?: string | number;
  job?: ScheduleJobInput;
  paused?: boolean;
}

/** `POST /api/v1/schedules`. */
export interface ScheduleInput extends ScheduleFieldsInput {
  name: string;
  job: ScheduleJobInput;
}

/** The job a schedule creates, as the API answers it (durations in ms). */
export interface WireScheduleJob {
  type: string;
  payload: unknown;
  queue?: string;
  priority?: number;
  max_attempts?: number;
  timeout_ms?: number;
  tags?: Record<string, string>;
  backoff?: Record<string, unknown>;
  retry_on?: string[];
  no_retry_on?: string[];
}

/** A schedule as the API answers it. */
export interface WireSchedule {
  name: string;
  cron?: string;
  timezone?: string;
  every_ms?: number;
  misfire: 'skip' | 'once' | 'catch_up';
  catch_up_limit?: number;
  jitter_ms: number;
  job: WireScheduleJob;
  /** `code`: declared by a handlers module (removed when no longer declared); `api`: made at run time. */
  source: 'code' | 'api';
  paused: boolean;
  revision: number;
  /** The latest tick handled, or when it was created or resumed. */
  last_tick_at: string;
  /** The next five ticks (none while paused or when the stored definition is invalid). */
  next_runs: string[];
  created_at: string;
  updated_at: string;
  /** Why the stored definition cannot run (written by another version, ...). */
  error?: string;
}

/** `GET /api/v1/schedules`: which page. */
export interface SchedulePageQuery {
  /** 1..1000. @defaultValue 100 */
  limit?: number;
  /** The `next_cursor` of the page before. */
  cursor?: string;
}

/** A page of schedules by name; `next_cursor`, when set, asks for the next one. */
export interface SchedulePage {
  schedules: WireSchedule[];
  next_cursor?: string;
}
