import {
  ErrorCode,
  GqError,
  isUuid,
  JOB_STATES,
  type Job,
  type DueCount,
  type JobCounts,
  type JobState,
  type ListFilter,
  type ListPage,
  type QueueInfo,
} from '@gopherqueue/core';
import type { RunQuery } from './postgres-meta-store.js';
import { rowToJob, type JobRow } from './job-row.js';
import { addGroupSettings, notSkippedSql } from './queue-limits.js';

const RUNNABLE = `('scheduled', 'delayed', 'retrying')`;

/**
 * The statement of a list page. The indexes by state, type and queue leave running jobs out (a
 * claim would otherwise write an entry in each), so a list that filters on one of them reads the
 * other jobs from it and the running ones through the lease index, where they are few: the work
 * in flight and the claims ahead of it (a page reads each of them: about 7 ms with 20,000
 * running). `OFFSET 0` keeps the planner from walking the whole key index backwards in search of
 * running jobs when its statistics are stale.
 */
export function listSql(
  s: string,
  where: readonly string[],
  filter: ListFilter,
  limit: string,
): string {
  // The page's ids first, then their rows: the sort carries ids, not every running job's row.
  const running = (terms: readonly string[]): string =>
    `SELECT * FROM ${s}.jobs WHERE id IN (SELECT id FROM (SELECT id FROM ${s}.jobs
       WHERE ${[...terms, `state = 'running'`].join(' AND ')} OFFSET 0) r
       ORDER BY id DESC LIMIT ${limit}) ORDER BY id DESC LIMIT ${limit}`;
  const settled = (terms: readonly string[]): string =>
    `SELECT * FROM ${s}.jobs WHERE ${[...terms, `state <> 'running'`].join(' AND ')}
       ORDER BY id DESC LIMIT ${limit}`;
  if (filter.state === 'running') return running(where);
  if (filter.state !== undefined) return settled(where);
  if (filter.type !== undefined || filter.queue !== undefined) {
    return `SELECT * FROM ((${settled(where)}) UNION ALL (${running(where)})) u
       ORDER BY id DESC LIMIT ${limit}`;
  }
  return `SELECT * FROM ${s}.jobs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT ${limit}`;
}

/** Read-only queries of {@link PostgresStore} that need no transaction. */
export class JobQueries {
  readonly #s: string;
  readonly #query: RunQuery;

  constructor(schema: string, query: RunQuery) {
    this.#s = schema;
    this.#query = query;
  }

  /** The jobs in `ids`' order, undefined where unknown (or not a UUID, which cannot exist). */
  async getMany(ids: readonly string[]): Promise<(Job | undefined)[]> {
    const valid = ids.filter(isUuid);
    const rows =
      valid.length === 0
        ? []
        : await this.#query<JobRow>(`SELECT * FROM ${this.#s}.jobs WHERE id = ANY($1::text[])`, [
            valid,
          ]);
    const byId = new Map(rows.map((row) => [row.id, rowToJob(row)]));
    return ids.map((id) => byId.get(id));
  }

  /** Running jobs whose lease expired at or before `now`, oldest expiry first. */
  async expiredLeases(now: number, limit: number): Promise<Job[]> {
    const rows = await this.#query<JobRow>(
      `SELECT * FROM ${this.#s}.jobs WHERE state = 'running' AND lease_expires_at <= $1
       ORDER BY lease_expires_at, seq LIMIT $2`,
      [now, limit],
    );
    return rows.map(rowToJob);
  }

  /**
   * Among the queues that are neither paused nor limited: five probes of the claim index (one per
   * priority), so no second index on run_at is kept.
   */
  async nextRunAt(): Promise<number | undefined> {
    const rows = await this.#query<{ run_at: string | null }>(
      `SELECT min(x.run_at) AS run_at FROM generate_series(0, 4) AS p, LATERAL (
         SELECT run_at FROM ${this.#s}.jobs j
         WHERE state IN ('scheduled', 'delayed', 'retrying') AND priority = p
           AND ${notSkippedSql(this.#s, 'j')}
         ORDER BY run_at LIMIT 1) x`,
    );
    const runAt = rows[0]?.run_at;
    return runAt === null || runAt === undefined ? undefined : Number(runAt);
  }

  /**
   * Due runnable jobs per type, each counted up to `limit`: the distinct types of runnable jobs
   * come from a skip scan of `jobs_runnable_type` (one probe per type, in name order), and each
   * type's due jobs from one range scan of it that stops at `limit`.
   */
  async countDue(
    now: number,
    exclude: readonly string[],
    limit: number,
    maxTypes: number,
  ): Promise<DueCount[]> {
    const rows = await this.#query<{ type: string; n: string }>(
      `WITH RECURSIVE t(type) AS (
         (SELECT type FROM ${this.#s}.jobs WHERE state IN ${RUNNABLE} ORDER BY type LIMIT 1)
         UNION ALL
         SELECT (SELECT j.type FROM ${this.#s}.jobs j
                 WHERE j.state IN ${RUNNABLE} AND j.type > t.type ORDER BY j.type LIMIT 1)
         FROM t WHERE t.type IS NOT NULL
       )
       SELECT t.type, c.n FROM t CROSS JOIN LATERAL (
         SELECT count(*) AS n FROM (
           SELECT 1 FROM ${this.#s}.jobs j
           WHERE j.state IN ${RUNNABLE} AND j.type = t.type AND j.run_at <= $1
           ORDER BY j.type, j.run_at LIMIT $2) x
       ) c
       WHERE t.type IS NOT NULL AND t.type <> ALL ($3::text[]) AND c.n > 0
       LIMIT $4`,
      [now, limit, exclude, maxTypes],
    );
    return rows.map((row) => ({ type: row.type, count: Number(row.n) }));
  }

  /** Bytes of the schema's tables with their indexes and TOAST. */
  async sizeBytes(): Promise<number> {
    const rows = await this.#query<{ bytes: string | null }>(
      `SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
      [this.#s.slice(1, -1)],
    );
    return Number(rows[0]?.bytes ?? 0);
  }

  /** Newest first by id (creation order, as UUIDv7); the cursor is the last id returned. */
  async list(filter: ListFilter = {}): Promise<ListPage> {
    const limit = filter.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new RangeError(`limit must be an integer from 1 to 1000; got ${limit}`);
    }
    const values: unknown[] = [];
    const where: string[] = [];
    const add = (sql: (p: string) => string, value: unknown): void => {
      values.push(value);
      where.push(sql(`$${values.length}`));
    };
    if (filter.state !== undefined) add((p) => `state = ${p}`, filter.state);
    if (filter.type !== undefined) add((p) => `type = ${p}`, filter.type);
    if (filter.queue !== undefined) add((p) => `queue = ${p}`, filter.queue);
    if (filter.priority !== undefined) add((p) => `priority = ${p}`, filter.priority);
    if (filter.tag !== undefined) {
      add((p) => `tags @> ${p}::jsonb`, JSON.stringify({ [filter.tag.key]: filter.tag.value }));
    }
    if (filter.dependsOn !== undefined) {
      // Both terms: the second lets the planner use the partial index of dependents.
      add(
        (p) => `depends_on @> ${p}::jsonb AND depends_on <> '[]'::jsonb`,
        JSON.stringify([filter.dependsOn]),
      );
    }
    if (filter.cursor !== undefined) {
      if (!isUuid(filter.cursor)) {
        throw new GqError(
          ErrorCode.INVALID_ARGUMENT,
          `cursor ${JSON.stringify(filter.cursor)} is not valid`,
          {
            details: { field: 'cursor' },
          },
        );
      }
      add((p) => `id < ${p}`, filter.cursor.toLowerCase());
    }
    values.push(limit + 1);
    const rows = await this.#query<JobRow>(
      listSql(this.#s, where, filter, `$${values.length}`),
      values,
    );
    const jobs = rows.slice(0, limit).map(rowToJob);
    const page: ListPage = { jobs };
    const last = jobs.at(-1);
    if (rows.length > limit && last) page.nextCursor = last.id;
    return page;
  }

  /** Sums the counter shards: cost grows with queues x states x priorities, never with jobs. */
  async counts(): Promise<JobCounts> {
    const rows = await this.#query<{ state: JobState; priority: number; n: string }>(
      `SELECT state, priority, sum(n)::bigint AS n FROM ${this.#s}.counts
       GROUP BY state, priority`,
    );
    const byState = emptyByState();
    const byPriority = Object.fromEntries(
      JOB_STATES.map((s) => [s, [0, 0, 0, 0, 0]]),
    ) as JobCounts['byPriority'];
    let total = 0;
    for (const row of rows) {
      const n = Number(row.n);
      if (!(row.state in byState)) continue;
      byState[row.state] += n;
      // A priority outside 0..4 (a row edited by hand) counts in its state, not as a sixth level.
      if (Number.isInteger(row.priority) && row.priority >= 0 && row.priority <= 4) {
        byPriority[row.state][row.priority] = (byPriority[row.state][row.priority] ?? 0) + n;
      }
      total += n;
    }
    return { total, byState, byPriority };
  }

  /** Queues that hold jobs or have a row (ever paused or limited), by name. */
  async listQueues(): Promise<QueueInfo[]> {
    const rows = await this.#query<{
      name: string;
      paused: boolean | null;
      concurrency: number | null;
      rate_limit: number | null;
      rate_period_ms: number | null;
      group_concurrency: number | null;
      ordered: boolean | null;
      aging_ms: number | null;
      state: JobState | null;
      n: string | null;
    }>(
      `WITH c AS (
         SELECT queue, state, sum(n)::bigint AS n FROM ${this.#s}.counts GROUP BY queue, state
         HAVING sum(n) <> 0
       )
       SELECT coalesce(c.queue, q.name) AS name, q.paused, q.concurrency, q.rate_limit,
         q.rate_period_ms, q.group_concurrency, q.ordered, q.aging_ms, c.state, c.n
       FROM c FULL JOIN ${this.#s}.queues q ON q.name = c.queue
       ORDER BY 1`,
    );
    const queues = new Map<string, QueueInfo>();
    for (const row of rows) {
      let info = queues.get(row.name);
      if (!info) {
        info = {
          name: row.name,
          paused: false,
          concurrency: row.concurrency,
          rate:
            row.rate_limit === null || row.rate_period_ms === null
              ? null
              : { limit: row.rate_limit, periodMs: row.rate_period_ms },
          byState: emptyByState(),
        };
        addGroupSettings(info, { ...row, ordered: row.ordered === true });
        queues.set(row.name, info);
      }
      if (row.paused) info.paused = true;
      if (row.state !== null && row.state in info.byState) info.byState[row.state] += Number(row.n);
    }
    return [...queues.values()];
  }
}

function emptyByState(): Record<JobState, number> {
  return Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
}
