/**
 * The log lines a handler writes through `ctx.logger`, kept with its job: per attempt, the last
 * {@link JOB_LOG_LIMITS.linesPerAttempt} lines, each at most `lineBytes`, together at most
 * `attemptBytes`; lines beyond those bounds are dropped oldest first and counted. They are
 * purged with the job (`delete`, `purgeFinished`).
 */
import type { Json } from './job.js';

/** The severity of a kept line. */
export type JobLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The levels, in order of severity. */
export const JOB_LOG_LEVELS: readonly JobLogLevel[] = ['debug', 'info', 'warn', 'error'];

/** The bounds of what a store keeps of one attempt. */
export const JOB_LOG_LIMITS = {
  /** Lines kept per attempt: the last ones. */
  linesPerAttempt: 200,
  /** Bytes of one line (message plus fields as JSON); a longer line is cut. */
  lineBytes: 8 * 1024,
  /** Bytes kept per attempt; the oldest lines go first. */
  attemptBytes: 64 * 1024,
  /** Attempts kept per job: the last ones. */
  attemptsKept: 20,
  /** Lines in one append call, over all its attempts. */
  linesPerAppend: 1000,
  /** Lines one read returns at most. */
  readLimit: 1000,
} as const;

/** One line as a handler wrote it. */
export interface JobLogLine {
  /** When it was written (ms since the epoch, the writer's clock). */
  at: number;
  level: JobLogLevel;
  message: string;
  /** The fields given with the line (the logger's own `jobId`, `type`, `attempt` left out). */
  fields?: Record<string, Json>;
}

/** Lines of one attempt to append. */
export interface JobLogAppend {
  jobId: string;
  attempt: number;
  lines: readonly JobLogLine[];
  /** Lines the writer dropped before sending (its buffer was full), added to the count. */
  dropped?: number;
}

/** A kept line, as a read returns it. */
export interface JobLogEntry extends JobLogLine {
  attempt: number;
  /** Its number within the attempt, from 1, in the order the lines were appended. */
  seq: number;
}

/** Input of {@link JobLogStore.read}. */
export interface JobLogQuery {
  /** Only this attempt's lines. @defaultValue every attempt */
  attempt?: number;
  /** Only lines after this one (`{ attempt, seq }` of the last line read). */
  after?: { attempt: number; seq: number };
  /** At most this many lines. @defaultValue 200; at most {@link JOB_LOG_LIMITS.readLimit} */
  limit?: number;
}

/** Lines dropped in one attempt, by the writer's buffer or the store's bounds. */
export interface JobLogDropped {
  attempt: number;
  count: number;
}

/** What {@link JobLogStore.read} returns: lines in order (attempt, then seq). */
export interface JobLogPage {
  lines: JobLogEntry[];
  /** Attempts that dropped lines, with how many (only attempts the read covered). */
  dropped: JobLogDropped[];
  /** True when more lines follow the last one returned. */
  more: boolean;
}

/**
 * The log lines of jobs, `store.logs`. Appending to an unknown job stores nothing; deleting or
 * purging a job deletes its lines in the same step.
 */
export interface JobLogStore {
  /**
   * Appends lines (already within {@link normalizeLogLine}'s bounds or not: the store applies
   * them), trimming each attempt to its bounds. Lines of unknown jobs are ignored.
   */
  append(entries: readonly JobLogAppend[]): Promise<void>;
  /** The job's kept lines; an unknown job reads as none. */
  read(jobId: string, query?: JobLogQuery): Promise<JobLogPage>;
}

const encoder = new TextEncoder();

/** Bytes of a string in UTF-8. */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/** Cuts `text` to at most `max` UTF-8 bytes, marking the cut with `…`. */
export function cutUtf8(text: string, max: number): string {
  if (text.length * 3 <= max || utf8Bytes(text) <= max) return text;
  let end = Math.min(text.length, max);
  while (end > 0 && utf8Bytes(text.slice(0, end)) > max - 3) end = Math.floor(end * 0.9);
  return text.slice(0, end) + '…';
}

/** The bytes a line counts for: its message plus its fields as JSON. */
export function logLineBytes(line: JobLogLine): number {
  return (
    utf8Bytes(line.message) +
    (line.fields === undefined ? 0 : utf8Bytes(JSON.stringify(line.fields)))
  );
}

/**
 * A line within bounds, from any value: an unknown level reads as `info`, an odd time as 0, a
 * message cut to `lineBytes`, fields kept only when they fit (else a `truncated` note).
 */
export function normalizeLogLine(input: unknown): JobLogLine {
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const level = JOB_LOG_LEVELS.includes(raw.level as JobLogLevel)
    ? (raw.level as JobLogLevel)
    : 'info';
  const at = typeof raw.at === 'number' && Number.isFinite(raw.at) ? Math.max(0, raw.at) : 0;
  const message = cutUtf8(
    typeof raw.message === 'string' ? raw.message : String(raw.message),
    JOB_LOG_LIMITS.lineBytes,
  );
  const line: JobLogLine = { at, level, message };
  if (typeof raw.fields === 'object' && raw.fields !== null && !Array.isArray(raw.fields)) {
    let json: string | undefined;
    try {
      json = JSON.stringify(raw.fields);
    } catch {
      json = undefined;
    }
    if (json !== undefined && json !== '{}') {
      const room = JOB_LOG_LIMITS.lineBytes - utf8Bytes(message);
      line.fields =
        utf8Bytes(json) <= room
          ? (JSON.parse(json) as Record<string, Json>)
          : { truncated: `fields of ${utf8Bytes(json)} bytes left out` };
    }
  }
  return line;
}

/** What a store keeps of one attempt. */
export interface AttemptLog {
  /** The seq of the last line appended (kept or not). */
  seq: number;
  dropped: number;
  /** Kept lines, oldest first. */
  lines: JobLogEntry[];
}

/**
 * Appends lines to an attempt's record and trims it to {@link JOB_LOG_LIMITS}: the pure step
 * of a store that keeps an attempt as one value.
 */
export function appendAttemptLog(
  record: AttemptLog | undefined,
  attempt: number,
  lines: readonly JobLogLine[],
  dropped = 0,
): AttemptLog {
  const next: AttemptLog = {
    seq: record?.seq ?? 0,
    dropped:
      (record?.dropped ?? 0) + (Number.isFinite(dropped) && dropped > 0 ? Math.floor(dropped) : 0),
    lines: [...(record?.lines ?? [])],
  };
  for (const line of lines)
    next.lines.push({ ...normalizeLogLine(line), attempt, seq: ++next.seq });
  let bytes = 0;
  let keep = 0;
  for (let i = next.lines.length - 1; i >= 0; i--) {
    const size = logLineBytes(next.lines[i] as JobLogEntry);
    if (keep >= JOB_LOG_LIMITS.linesPerAttempt || bytes + size > JOB_LOG_LIMITS.attemptBytes) break;
    bytes += size;
    keep++;
  }
  const cut = next.lines.length - keep;
  if (cut > 0) {
    next.lines = next.lines.slice(cut);
    next.dropped += cut;
  }
  return next;
}

/** Checks a {@link JobLogQuery}, with its defaults applied. */
export function resolveLogQuery(
  query: JobLogQuery = {},
): Required<Pick<JobLogQuery, 'limit'>> & JobLogQuery {
  const limit = query.limit ?? 200;
  if (!Number.isInteger(limit) || limit < 1 || limit > JOB_LOG_LIMITS.readLimit) {
    throw new RangeError(
      `limit must be an integer from 1 to ${JOB_LOG_LIMITS.readLimit}; got ${limit}`,
    );
  }
  if (query.attempt !== undefined && (!Number.isInteger(query.attempt) || query.attempt < 1)) {
    throw new RangeError(`attempt must be a positive integer; got ${query.attempt}`);
  }
  return { ...query, limit };
}

/** Checks an append's shape and size; throws a `RangeError` naming what is wrong. */
export function checkLogAppends(entries: readonly JobLogAppend[]): void {
  let total = 0;
  for (const entry of entries) {
    if (!Number.isInteger(entry.attempt) || entry.attempt < 1 || entry.attempt > 100_000) {
      throw new RangeError(`attempt must be a positive integer; got ${entry.attempt}`);
    }
    total += entry.lines.length;
  }
  if (total > JOB_LOG_LIMITS.linesPerAppend) {
    throw new RangeError(`at most ${JOB_LOG_LIMITS.linesPerAppend} lines per append; got ${total}`);
  }
}
