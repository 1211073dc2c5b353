import {
  appendAttemptLog,
  checkLogAppends,
  JOB_LOG_LIMITS,
  resolveLogQuery,
  type AttemptLog,
  type Job,
  type JobLogAppend,
  type JobLogEntry,
  type JobLogPage,
  type JobLogQuery,
  type JobLogStore,
} from '@gopherqueue/core';
import { MISS, type GroupCommit, type LevelDb } from './group-commit.js';
import { keys } from './level-keys.js';

/** A job's kept lines: attempt number (as a string key) -> its record. */
type JobLogRecord = Record<string, AttemptLog>;

/** What {@link LevelJobLogs} needs of its store. */
export interface LevelJobLogsContext {
  db: LevelDb;
  commit: GroupCommit;
  guard: () => void;
  /** The jobs now, in the ids' order (undefined where unknown). */
  read(ids: readonly string[]): (Job | undefined)[] | Promise<(Job | undefined)[]>;
}

/**
 * The LevelStore's {@link JobLogStore}: one `jlog!<id>` value per job holding its attempts'
 * records, read, changed and written through the group commit. Appends run one at a time, so a
 * read-modify-write never loses another's lines; an append that finds the job gone (or deleted
 * while it ran: the delete leaves a null in the commit's overlay, kept visible by the pin)
 * writes nothing, so lines never outlive their job.
 */
export class LevelJobLogs implements JobLogStore {
  readonly #ctx: LevelJobLogsContext;
  #tail: Promise<void> = Promise.resolve();

  constructor(context: LevelJobLogsContext) {
    this.#ctx = context;
  }

  async append(entries: readonly JobLogAppend[]): Promise<void> {
    this.#ctx.guard();
    checkLogAppends(entries);
    const byJob = new Map<string, JobLogAppend[]>();
    for (const entry of entries) {
      const list = byJob.get(entry.jobId) ?? [];
      list.push(entry);
      byJob.set(entry.jobId, list);
    }
    const run = this.#tail.then(() => this.#append(byJob));
    this.#tail = run.catch(() => undefined);
    await run;
  }

  async #append(byJob: Map<string, JobLogAppend[]>): Promise<void> {
    const { commit } = this.#ctx;
    const unpin = commit.pin();
    try {
      const ids = [...byJob.keys()];
      const records = await Promise.all(ids.map((id) => this.#record(id)));
      const jobs = await this.#ctx.read(ids);
      let wrote = false;
      ids.forEach((id, i) => {
        const job = jobs[i];
        // Gone, or deleted after it was read: its lines are not kept.
        if (job === undefined || commit.peek(keys.jobLog(id)) === null) return;
        const record: JobLogRecord = { ...(records[i] ?? {}) };
        for (const entry of byJob.get(id) ?? []) {
          const key = String(entry.attempt);
          record[key] = appendAttemptLog(record[key], entry.attempt, entry.lines, entry.dropped);
        }
        const attempts = Object.keys(record)
          .map(Number)
          .sort((a, b) => a - b)
          .slice(-JOB_LOG_LIMITS.attemptsKept);
        const kept: JobLogRecord = {};
        for (const n of attempts) {
          const log = record[String(n)];
          if (log !== undefined) kept[String(n)] = log;
        }
        commit.put(keys.jobLog(id), JSON.stringify(kept));
        commit.cache(keys.jobLog(id), kept);
        wrote = true;
      });
      if (wrote) await commit.commit();
    } finally {
      unpin();
    }
  }

  async read(jobId: string, query?: JobLogQuery): Promise<JobLogPage> {
    this.#ctx.guard();
    const { attempt, after, limit } = resolveLogQuery(query);
    const record = (await this.#record(jobId)) ?? {};
    const lines: JobLogEntry[] = [];
    const dropped: JobLogPage['dropped'] = [];
    let more = false;
    const attempts = Object.keys(record)
      .map(Number)
      .filter((n) => Number.isInteger(n) && (attempt === undefined || n === attempt))
      .sort((a, b) => a - b);
    for (const n of attempts) {
      if (after !== undefined && n < after.attempt) continue;
      const log = record[String(n)];
      if (log === undefined || !Array.isArray(log.lines)) continue;
      if (log.dropped > 0) dropped.push({ attempt: n, count: log.dropped });
      for (const line of log.lines) {
        if (after !== undefined && n === after.attempt && line.seq <= after.seq) continue;
        if (lines.length >= limit) {
          more = true;
          break;
        }
        lines.push(line);
      }
      if (more) break;
    }
    const last = more ? lines.at(-1)?.attempt : undefined;
    return {
      lines,
      dropped: last === undefined ? dropped : dropped.filter((d) => d.attempt <= last),
      more,
    };
  }

  /** The stored record of a job: the commit's unwritten value first, then the disk. */
  async #record(id: string): Promise<JobLogRecord | undefined> {
    const { commit, db } = this.#ctx;
    const key = keys.jobLog(id);
    const cached = commit.peek(key);
    if (cached !== MISS) return (cached ?? undefined) as JobLogRecord | undefined;
    const unpin = commit.pin();
    try {
      const raw = await db.get(key);
      const after = commit.peek(key);
      if (after !== MISS) return (after ?? undefined) as JobLogRecord | undefined;
      if (raw === undefined) return undefined;
      return parseRecord(typeof raw === 'string' ? raw : new TextDecoder().decode(raw));
    } finally {
      unpin();
    }
  }
}

/** A stored record, or none when it does not parse: one odd value never breaks a read. */
function parseRecord(raw: string): JobLogRecord | undefined {
  try {
    const value = JSON.parse(raw) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as JobLogRecord)
      : undefined;
  } catch {
    return undefined;
  }
}
