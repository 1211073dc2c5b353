import {
  checkLogAppends,
  isUuid,
  JOB_LOG_LIMITS,
  logLineBytes,
  normalizeLogLine,
  resolveLogQuery,
  type JobLogAppend,
  type JobLogEntry,
  type JobLogLevel,
  type JobLogPage,
  type JobLogQuery,
  type JobLogStore,
  type Json,
} from '@gopherqueue/core';
import type pg from 'pg';
import type { RunQuery } from './postgres-meta-store.js';

/** Runs a transaction body on the store's pool; given by the store. */
export type RunTx = <T>(fn: (client: pg.PoolClient) => Promise<T>) => Promise<T>;

interface LineRow {
  attempt: number;
  seq: number;
  at: string;
  level: string;
  message: string;
  fields: Record<string, Json> | null;
}

/**
 * The PostgresStore's {@link JobLogStore}: `job_log_attempts` (per attempt, the last seq and
 * how many lines were dropped) and `job_logs` (one row per kept line), both deleted with their
 * job by `ON DELETE CASCADE`. An append locks its jobs' rows (`FOR KEY SHARE`), so a delete
 * waits for it or it finds the job gone; each attempt is trimmed to its bounds in the same
 * transaction.
 */
export class PostgresJobLogs implements JobLogStore {
  readonly #s: string;
  readonly #query: RunQuery;
  readonly #tx: RunTx;

  constructor(schema: string, query: RunQuery, tx: RunTx) {
    this.#s = schema;
    this.#query = query;
    this.#tx = tx;
  }

  async append(entries: readonly JobLogAppend[]): Promise<void> {
    checkLogAppends(entries);
    const wanted = entries.filter(
      (e) => isUuid(e.jobId) && (e.lines.length > 0 || (e.dropped ?? 0) > 0),
    );
    if (wanted.length === 0) return;
    const s = this.#s;
    await this.#tx(async (c) => {
      const ids = [...new Set(wanted.map((e) => e.jobId))].sort();
      const { rows } = await c.query<{ id: string }>(
        `SELECT id FROM ${s}.jobs WHERE id = ANY($1::text[]) ORDER BY id FOR KEY SHARE`,
        [ids],
      );
      const present = new Set(rows.map((r) => r.id));
      for (const entry of wanted) {
        if (present.has(entry.jobId)) await this.#appendAttempt(c, entry);
      }
    });
  }

  async #appendAttempt(c: pg.PoolClient, entry: JobLogAppend): Promise<void> {
    const s = this.#s;
    const all = entry.lines.map((line) => normalizeLogLine(line));
    // More lines than an attempt keeps: the older ones would be trimmed at once.
    const lines = all.slice(-JOB_LOG_LIMITS.linesPerAttempt);
    const before = all.length - lines.length;
    const dropped = Math.max(0, Math.floor(Number(entry.dropped ?? 0)) || 0);
    await c.query(
      `WITH a AS (
         INSERT INTO ${s}.job_log_attempts AS x (job_id, attempt, seq, dropped)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (job_id, attempt)
         DO UPDATE SET seq = x.seq + excluded.seq, dropped = x.dropped + excluded.dropped
         RETURNING seq
       )
       INSERT INTO ${s}.job_logs (job_id, attempt, seq, at, level, message, fields, bytes)
       SELECT $1, $2, a.seq - $3 + $10 + t.ord, t.at, t.level, t.message, t.fields, t.bytes
       FROM a, unnest($5::bigint[], $6::text[], $7::text[], $8::jsonb[], $9::int[])
         WITH ORDINALITY AS t(at, level, message, fields, bytes, ord)`,
      [
        entry.jobId,
        entry.attempt,
        all.length,
        dropped + before,
        lines.map((l) => Math.floor(l.at)),
        lines.map((l) => l.level),
        lines.map((l) => l.message),
        lines.map((l) => (l.fields === undefined ? null : JSON.stringify(l.fields))),
        lines.map((l) => logLineBytes(l)),
        before,
      ],
    );
    await c.query(
      `WITH doomed AS (
         SELECT seq FROM (
           SELECT seq, row_number() OVER w AS n, sum(bytes) OVER w AS total
           FROM ${s}.job_logs WHERE job_id = $1 AND attempt = $2
           WINDOW w AS (ORDER BY seq DESC)
         ) r WHERE n > $3 OR total > $4
       ), gone AS (
         DELETE FROM ${s}.job_logs l USING doomed d
         WHERE l.job_id = $1 AND l.attempt = $2 AND l.seq = d.seq RETURNING 1
       )
       UPDATE ${s}.job_log_attempts SET dropped = dropped + (SELECT count(*) FROM gone)
       WHERE job_id = $1 AND attempt = $2`,
      [entry.jobId, entry.attempt, JOB_LOG_LIMITS.linesPerAttempt, JOB_LOG_LIMITS.attemptBytes],
    );
    await c.query(
      `DELETE FROM ${s}.job_log_attempts WHERE job_id = $1 AND attempt < (
         SELECT attempt FROM ${s}.job_log_attempts WHERE job_id = $1
         ORDER BY attempt DESC OFFSET $2 LIMIT 1)`,
      [entry.jobId, JOB_LOG_LIMITS.attemptsKept - 1],
    );
  }

  async read(jobId: string, query?: JobLogQuery): Promise<JobLogPage> {
    const { attempt, after, limit } = resolveLogQuery(query);
    if (!isUuid(jobId)) return { lines: [], dropped: [], more: false };
    const s = this.#s;
    const values: unknown[] = [jobId];
    const attemptValues: unknown[] = [jobId];
    let where = 'job_id = $1';
    let attemptWhere = 'job_id = $1';
    if (attempt !== undefined) {
      values.push(attempt);
      attemptValues.push(attempt);
      where += ` AND attempt = $${values.length}`;
      attemptWhere += ` AND attempt = $${attemptValues.length}`;
    }
    if (after !== undefined) {
      values.push(after.attempt, after.seq);
      attemptValues.push(after.attempt);
      where += ` AND (attempt, seq) > ($${values.length - 1}, $${values.length})`;
      attemptWhere += ` AND attempt >= $${attemptValues.length}`;
    }
    values.push(limit + 1);
    const [rows, attempts] = await Promise.all([
      this.#query<LineRow>(
        `SELECT attempt, seq, at, level, message, fields FROM ${s}.job_logs
         WHERE ${where} ORDER BY attempt, seq LIMIT $${values.length}`,
        values,
      ),
      this.#query<{ attempt: number; dropped: string }>(
        `SELECT attempt, dropped FROM ${s}.job_log_attempts
         WHERE ${attemptWhere} AND dropped > 0 ORDER BY attempt`,
        attemptValues,
      ),
    ]);
    const more = rows.length > limit;
    const lines = rows.slice(0, limit).map((row): JobLogEntry => {
      const line: JobLogEntry = {
        attempt: row.attempt,
        seq: row.seq,
        at: Number(row.at),
        level: row.level as JobLogLevel,
        message: row.message,
      };
      if (row.fields !== null) line.fields = row.fields;
      return line;
    });
    // Only attempts up to the last line returned, as the embedded store reports them.
    const last = more ? lines.at(-1)?.attempt : undefined;
    const dropped = attempts
      .filter((a) => last === undefined || a.attempt <= last)
      .map((a) => ({ attempt: a.attempt, count: Number(a.dropped) }));
    return { lines, dropped, more };
  }
}
