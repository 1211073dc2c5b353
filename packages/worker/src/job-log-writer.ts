import {
  JOB_LOG_LIMITS,
  type Clock,
  type JobLogAppend,
  type JobLogLevel,
  type JobLogLine,
  type Json,
  type LogFields,
  type Logger,
} from '@gopherqueue/core';
import { errorMessage } from './failure-report.js';

/** Options of {@link JobLogWriter}. */
export interface JobLogWriterOptions {
  /** Where batches of lines go: `store.logs.append`, or the lease API. */
  sink: (entries: JobLogAppend[]) => Promise<void>;
  clock: Clock;
  /** Where a failed send is reported (once per run of failures). */
  logger: Logger;
  /** Lines held at most; past it the oldest are dropped and counted. @defaultValue 2000 */
  maxBuffered?: number;
  /** A batch goes out this long after its first line at the latest. @defaultValue 200 */
  flushIntervalMs?: number;
  /** A batch goes out at once when it holds this many lines. @defaultValue 200 */
  batchLines?: number;
}

interface Pending {
  jobId: string;
  attempt: number;
  line: JobLogLine;
}

/** The fields a job logger adds to every line itself: left out of the kept line. */
const OWN_FIELDS = new Set(['jobId', 'type', 'attempt']);

/**
 * Collects the lines handlers write and sends them in batches, one send at a time, so a chatty
 * handler costs the store one write per batch, not one per line. The buffer is bounded: past
 * `maxBuffered` lines the oldest are dropped, counted, and the count sent with the attempt's next
 * lines. A failed send is counted as dropped too (lines are not retried: the handler's console
 * log still has them).
 */
export class JobLogWriter {
  readonly #options: Required<JobLogWriterOptions>;
  #buffer: Pending[] = [];
  readonly #dropped = new Map<string, { jobId: string; attempt: number; count: number }>();
  #cancelTimer: (() => void) | undefined;
  #sending: Promise<void> | undefined;
  #failing = false;
  /** Lines dropped in all, for tests and stats. */
  droppedTotal = 0;

  constructor(options: JobLogWriterOptions) {
    this.#options = {
      maxBuffered: 2000,
      flushIntervalMs: 200,
      batchLines: 200,
      ...options,
    };
  }

  /** Queues one line of an attempt. */
  write(
    jobId: string,
    attempt: number,
    level: JobLogLevel,
    message: string,
    fields: LogFields,
  ): void {
    const line: JobLogLine = { at: this.#options.clock.now(), level, message: String(message) };
    const kept = plainFields(fields);
    if (kept !== undefined) line.fields = kept;
    this.#buffer.push({ jobId, attempt, line });
    if (this.#buffer.length > this.#options.maxBuffered) {
      const cut = this.#buffer.length - this.#options.maxBuffered;
      for (const gone of this.#buffer.slice(0, cut)) this.#drop(gone.jobId, gone.attempt, 1);
      this.#buffer = this.#buffer.slice(cut);
    }
    if (this.#buffer.length >= this.#options.batchLines) this.#flushSoon(0);
    else this.#flushSoon(this.#options.flushIntervalMs);
  }

  /** A logger for one attempt: each line goes to `base` and to this writer. */
  loggerFor(base: Logger, jobId: string, attempt: number, context: LogFields = {}): Logger {
    const line =
      (level: JobLogLevel) =>
      (message: string, fields?: LogFields): void => {
        base[level](message, fields);
        this.write(jobId, attempt, level, message, { ...context, ...fields });
      };
    return {
      debug: line('debug'),
      info: line('info'),
      warn: line('warn'),
      error: line('error'),
      child: (fields) =>
        this.loggerFor(base.child(fields), jobId, attempt, { ...context, ...fields }),
    };
  }

  /** True while lines of `jobId` wait to be sent (or are being sent). */
  holds(jobId: string): boolean {
    return this.#sending !== undefined || this.#buffer.some((p) => p.jobId === jobId);
  }

  /**
   * {@link flush}, waiting at most `maxMs`: an attempt flushes its lines before its end is
   * written, so a finished job shows them, without waiting long on a slow store.
   */
  async flushWithin(maxMs: number): Promise<void> {
    let cancel: (() => void) | undefined;
    const late = new Promise<void>((resolve) => {
      cancel = this.#options.clock.setTimer(resolve, maxMs);
    });
    try {
      await Promise.race([this.flush(), late]);
    } finally {
      cancel?.();
    }
  }

  /** Sends what is buffered now; resolves when it and any send in flight are done. */
  async flush(): Promise<void> {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    // A bounded number of rounds: the buffer holds at most maxBuffered lines.
    for (let round = 0; round < 10; round++) {
      while (this.#sending !== undefined) await this.#sending;
      if (this.#buffer.length === 0 && this.#dropped.size === 0) return;
      const sending: Promise<void> = this.#send().finally(() => {
        if (this.#sending === sending) this.#sending = undefined;
      });
      this.#sending = sending;
    }
    while (this.#sending !== undefined) await this.#sending;
  }

  /** Stops the timer; lines still buffered are sent by a last {@link flush}. */
  async close(): Promise<void> {
    await this.flush();
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }

  #flushSoon(delayMs: number): void {
    if (this.#sending !== undefined) return; // the send in flight schedules the next one
    if (this.#cancelTimer !== undefined && delayMs > 0) return;
    this.#cancelTimer?.();
    this.#cancelTimer = this.#options.clock.setTimer(() => {
      this.#cancelTimer = undefined;
      void this.flush();
    }, delayMs);
  }

  /** Counts dropped lines of an attempt; `fresh` false for a count already in the total. */
  #drop(jobId: string, attempt: number, count: number, fresh = true): void {
    const key = `${jobId}:${attempt}`;
    const entry = this.#dropped.get(key) ?? { jobId, attempt, count: 0 };
    entry.count += count;
    this.#dropped.set(key, entry);
    if (fresh) this.droppedTotal += count;
  }

  async #send(): Promise<void> {
    const batch = this.#buffer.slice(0, JOB_LOG_LIMITS.linesPerAppend);
    this.#buffer = this.#buffer.slice(batch.length);
    const entries = new Map<string, JobLogAppend & { lines: JobLogLine[] }>();
    for (const { jobId, attempt, line } of batch) {
      const key = `${jobId}:${attempt}`;
      let entry = entries.get(key);
      if (entry === undefined) {
        entry = { jobId, attempt, lines: [] };
        entries.set(key, entry);
      }
      entry.lines.push(line);
    }
    for (const [key, dropped] of this.#dropped) {
      const entry = entries.get(key) ?? {
        jobId: dropped.jobId,
        attempt: dropped.attempt,
        lines: [],
      };
      entry.dropped = dropped.count;
      entries.set(key, entry);
    }
    this.#dropped.clear();
    const list = [...entries.values()].slice(0, 100);
    for (const left of [...entries.values()].slice(100)) {
      // More attempts than one send takes: their lines wait for the next send.
      this.#buffer.unshift(
        ...left.lines.map((line) => ({ jobId: left.jobId, attempt: left.attempt, line })),
      );
      if (left.dropped !== undefined) this.#drop(left.jobId, left.attempt, left.dropped, false);
    }
    try {
      await this.#options.sink(list);
      this.#failing = false;
    } catch (err) {
      for (const entry of list) {
        this.#drop(entry.jobId, entry.attempt, entry.lines.length);
        if (entry.dropped !== undefined)
          this.#drop(entry.jobId, entry.attempt, entry.dropped, false);
      }
      if (!this.#failing) {
        this.#failing = true;
        this.#options.logger.warn('could not store job log lines; dropping them', {
          error: errorMessage(err),
        });
      }
    }
    if (this.#buffer.length > 0 || this.#dropped.size > 0) {
      queueMicrotask(() => {
        this.#flushSoon(
          this.#buffer.length >= this.#options.batchLines ? 0 : this.#options.flushIntervalMs,
        );
      });
    }
  }
}

/** The line's own fields as JSON values (errors as their message), or none. */
function plainFields(fields: LogFields): Record<string, Json> | undefined {
  let out: Record<string, Json> | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (OWN_FIELDS.has(key) || value === undefined) continue;
    out ??= {};
    out[key] = value instanceof Error ? errorMessage(value) : (value as Json);
  }
  return out;
}
