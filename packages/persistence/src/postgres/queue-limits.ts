import { notExpiredSql } from './expire-jobs.js';
import type pg from 'pg';
import {
  checkQueuePatch,
  groupLimitOf,
  JOB_STATES,
  nextRateStartAt,
  pruneRateLog,
  readRateLog,
  rateFreedAt,
  rateRemaining,
  rateSlotOf,
  type ClaimOptions,
  type Job,
  type JobState,
  type QueuePatch,
  type QueueRate,
  type QueueState,
  type StoreChange,
} from '@gopherqueue/core';
import type { RunQuery } from './postgres-meta-store.js';
import { rowToJob, type JobRow } from './job-row.js';
import { updated } from './transition-sql.js';
import { chosenJobsSql, groupsAtLimit, needsChoosing } from './group-claims.js';
import { escapeLiteral, inlineValues, type InlineValue } from './sql.js';

/*
 * Flow control on PostgreSQL. A limited queue's row in `queues` holds its limits and the sliding
 * window of its recent starts. The ordinary (batched, one-statement) claim passes over paused
 * AND limited queues, reading the `queues` table in the statement itself, so a limit set on one
 * node holds for every node's next claim. When a node knows of limited queues (it reloads their
 * names on a `queue` change from any node, and at least every 5 s), its claims run
 * `planLimitedClaim` instead: one transaction of two round trips. The first locks the limited
 * queues' rows FOR UPDATE (in name order, so claimers never deadlock), reads their settings and
 * windows, and counts how many of their jobs are running (from the counts the triggers keep, in
 * a statement of its own, so every commit before the lock is visible); the time of the claim is
 * read only then, and each queue's quota computed. The second, sent with COMMIT, is one statement
 * that takes the best jobs in claim order among the unlimited queues and each limited queue up to
 * its quota, and records the starts in the windows. Claims of a limited queue therefore take
 * turns across nodes, and none can exceed its limits. The nodes' clocks should agree (the starts
 * of a window are compared on them), as they must for runAt.
 */

const RUNNABLE = `('scheduled', 'delayed', 'retrying')`;

/** The SQL array of queues the ordinary claim passes over: paused or limited ones. */
export function skippedQueuesSql(s: string): string {
  return `coalesce((SELECT array_agg(name) FROM ${s}.queues
    WHERE paused OR ${LIMITED}), '{}')`;
}

/**
 * The condition that a job (`alias.queue`) is of none of the {@link skippedQueuesSql}. The queue
 * is compared as `queue || ''`, an expression with no statistics, on purpose: once ANALYZE has
 * seen a backlog all in one queue, the planner reckoned that `queue <> ALL (<array it cannot see
 * before running>)` holds for no row (the array might hold that one queue), so a claim of 32
 * jobs expected to find one, read every runnable job and sorted them instead of walking the claim
 * index (9 ms per claim at 20,000 jobs, growing with the backlog). An expression gets the
 * default estimate, most rows, and the index walk that stops at the limit.
 */
export function notSkippedSql(s: string, alias: string): string {
  return `(${alias}.queue || '') <> ALL (${skippedQueuesSql(s)})`;
}

interface QueueRow {
  name: string;
  paused: boolean;
  concurrency: number | null;
  rate_limit: number | null;
  rate_period_ms: number | null;
  /** As stored: read through `readRateLog`. */
  rate_log: unknown;
  group_concurrency: number | null;
  ordered: boolean;
  aging_ms: number | null;
}

const QUEUE_COLUMNS = `name, paused, concurrency, rate_limit, rate_period_ms, rate_log,
  group_concurrency, ordered, aging_ms`;

function rateOf(row: QueueRow | undefined): QueueRate | null {
  if (row?.rate_limit == null || row.rate_period_ms == null) return null;
  return { limit: row.rate_limit, periodMs: row.rate_period_ms };
}

const LIMITED = `(concurrency IS NOT NULL OR rate_limit IS NOT NULL OR group_concurrency IS NOT NULL
  OR ordered OR aging_ms IS NOT NULL)`;

/** The names of the limited queues as this node last read them. */
export class LimitedQueues {
  readonly #s: string;
  readonly #query: RunQuery;
  #names = new Set<string>();
  #loadedAt = Number.NEGATIVE_INFINITY;
  #stale = true;

  constructor(schema: string, query: RunQuery) {
    this.#s = schema;
    this.#query = query;
  }

  /** Reloads the names before the next use (a queue's settings changed somewhere). */
  invalidate(): void {
    this.#stale = true;
  }

  /** The limited queues: re-read when invalidated or 5 s old. */
  async names(): Promise<ReadonlySet<string>> {
    if (this.#stale || performance.now() - this.#loadedAt > 5000) {
      this.#stale = false;
      this.#loadedAt = performance.now();
      const rows = await this.#query<{ name: string }>(
        `SELECT name FROM ${this.#s}.queues WHERE ${LIMITED}`,
      );
      this.#names = new Set(rows.map((r) => r.name));
    }
    return this.#names;
  }
}

/**
 * The statements that lock the limited, unpaused queues a claim may take from (all of them, or
 * those of `queues`), in name order, and read their settings and windows, then count the running
 * jobs of those with a concurrency (a statement of its own, so its snapshot is taken once the
 * locks are held: it sees every start and end committed before). No parameters (the names are
 * quoted literals), so they go in the same message as the claim's BEGIN.
 */
export function lockLimitedQueuesSql(s: string, queues: readonly string[] | undefined): string[] {
  const names =
    queues === undefined
      ? ''
      : `AND name = ANY(ARRAY[${queues.map((q) => escapeLiteral(q)).join(', ')}]::text[])`;
  return [
    `SELECT ${QUEUE_COLUMNS} FROM ${s}.queues
    WHERE (${LIMITED}) AND NOT paused ${names} ORDER BY name FOR UPDATE`,
    `SELECT queue, sum(n)::bigint AS n FROM ${s}.counts
    WHERE state = 'running' AND queue IN (SELECT name FROM ${s}.queues
      WHERE concurrency IS NOT NULL AND NOT paused ${names})
    GROUP BY queue`,
  ];
}

/**
 * See the file comment. Given the rows of {@link lockLimitedQueuesSql} (sent with BEGIN, so the
 * queues are locked and their running jobs counted) and the time of the claim, read after them,
 * the claim statement, which goes in one message with COMMIT: the claim costs two round trips
 * whatever its limits. The statement records the starts in the rate windows as it takes the jobs.
 * The time must be read after those rows arrive: so the starts of a queue are recorded in the
 * order they were allowed, and a job that ended and freed a slot this claim takes ended before
 * this claim's start.
 */
export function planLimitedClaim(
  s: string,
  options: ClaimOptions,
  now: number,
  [locked = [], counted = []]: unknown[][],
): { statements: string[]; read: (rowSets: unknown[][], changes: StoreChange[]) => Job[] } {
  const queues = locked as QueueRow[];
  const running = new Map(
    (counted as { queue: string; n: string }[]).map((r) => [r.queue, Number(r.n)]),
  );
  const values: InlineValue[] = [now, options.limit, options.types ?? null, options.queues ?? null];
  const parts = [unlimitedJobsSql(s)];
  const windows: string[] = [];
  for (const queue of queues) {
    let quota = options.limit;
    if (queue.concurrency !== null) {
      quota = Math.min(quota, queue.concurrency - (running.get(queue.name) ?? 0));
    }
    const rate = rateOf(queue);
    if (rate !== null) {
      const log = pruneRateLog(readRateLog(queue.rate_log), now, rate.periodMs);
      quota = Math.min(quota, rateRemaining(log, now, rate));
      if (quota > 0) {
        const { base, at, held } = rateSlotOf(log, now, rate.periodMs);
        windows.push(
          `(${escapeLiteral(queue.name)}, ${escapeLiteral(JSON.stringify(base))}::jsonb, ` +
            `${at}::bigint, ${held}::bigint)`,
        );
      }
    }
    if (quota <= 0) continue;
    if (needsChoosing(queue)) {
      parts.push(chosenJobsSql(s, queue, quota, values));
      continue;
    }
    values.push(queue.name, quota);
    parts.push(
      `SELECT id, state, priority, run_at, seq, priority AS eff FROM ${s}.jobs j
       WHERE queue = $${values.length - 1} AND state IN ${RUNNABLE} AND run_at <= $1
         AND ${notExpiredSql('$1')}
         AND ($3::text[] IS NULL OR type = ANY($3::text[]))
       ORDER BY priority, run_at, seq LIMIT $${values.length} FOR UPDATE OF j SKIP LOCKED`,
    );
  }
  values.push(options.leaseMs, options.workerId);
  const lease = `$${values.length - 1}`;
  const worker = `$${values.length}`;
  // The window of a queue that started jobs: its log without `now`'s slot, then the slot with
  // the starts it held plus this claim's (see `rateSlotOf`).
  const record =
    windows.length === 0
      ? ''
      : `, windows AS (
       UPDATE ${s}.queues q
       SET rate_log = v.base || jsonb_build_array(jsonb_build_array(v.at, v.held + c.n))
       FROM (VALUES ${windows.join(', ')}) AS v(name, base, at, held),
         LATERAL (SELECT count(*) AS n FROM claimed WHERE claimed.queue = v.name) c
       WHERE q.name = v.name AND c.n > 0
     )`;
  const claim = inlineValues(
    `WITH ${parts.map((sql, i) => `c${i} AS (${sql})`).join(', ')},
     chosen AS (
       SELECT * FROM (${parts.map((_, i) => `SELECT * FROM c${i}`).join(' UNION ALL ')}) u
       ORDER BY eff, run_at, seq LIMIT $2
     ), claimed AS (
       UPDATE ${s}.jobs j SET state = 'running', attempt = j.attempt + 1, started_at = $1,
         updated_at = $1, lease_token = gen_random_uuid()::text,
         lease_expires_at = $1::bigint + ${lease}::bigint, worker_id = ${worker}
       FROM chosen WHERE j.id = chosen.id AND j.state IN ${RUNNABLE}
       RETURNING j.*, chosen.state AS previous
     )${record}
     SELECT * FROM claimed`,
    values,
  );
  return {
    statements: [claim],
    read: ([rows = []], changes) => {
      const jobs = (rows as (JobRow & { previous: JobState })[]).map((row) => ({
        job: rowToJob(row),
        previous: row.previous,
      }));
      jobs.sort(
        (a, b) =>
          a.job.priority - b.job.priority || a.job.runAt - b.job.runAt || a.job.seq - b.job.seq,
      );
      for (const { job, previous } of jobs) changes.push(updated(job, previous));
      return jobs.map((j) => j.job);
    },
  };
}

/**
 * The best runnable jobs of the unlimited queues for {@link planLimitedClaim} (`$1` now, `$2` the
 * limit, `$3` types, `$4` queues), locked. Taken queue by queue, from the queues the counts say
 * hold runnable jobs, each along its own index (`jobs_runnable_queue`): one scan in claim order
 * over every runnable job would pass over the whole backlog of the limited queues it must leave,
 * at every claim. The candidates are chosen without locks, then locked (skipping rows another
 * claim holds, and rechecked: a job claimed meanwhile is no longer runnable), so a claim locks
 * at most `$2` rows whatever the number of queues.
 */
function unlimitedJobsSql(s: string): string {
  return `SELECT o.id, o.state, o.priority, o.run_at, o.seq, o.priority AS eff FROM ${s}.jobs o
     WHERE o.id IN (
       SELECT x.id FROM (
         SELECT queue FROM ${s}.counts WHERE state IN ${RUNNABLE}
           AND ($4::text[] IS NULL OR queue = ANY($4::text[]))
         GROUP BY queue HAVING sum(n) > 0
       ) q CROSS JOIN LATERAL (
         SELECT j.id, j.priority, j.run_at, j.seq FROM ${s}.jobs j
         WHERE j.queue = q.queue AND j.state IN ${RUNNABLE} AND j.run_at <= $1
           AND ${notExpiredSql('$1')} AND ($3::text[] IS NULL OR j.type = ANY($3::text[]))
         ORDER BY j.priority, j.run_at, j.seq LIMIT $2
       ) x
       WHERE q.queue <> ALL (${skippedQueuesSql(s)})
       ORDER BY x.priority, x.run_at, x.seq LIMIT $2
     ) AND o.state IN ${RUNNABLE} AND o.run_at <= $1
     FOR UPDATE OF o SKIP LOCKED`;
}

/** One queue now (see `Store.getQueue`). */
export async function readQueue(
  query: RunQuery,
  s: string,
  name: string,
  now: number,
): Promise<QueueState> {
  const [settings] = await query<QueueRow>(
    `SELECT ${QUEUE_COLUMNS} FROM ${s}.queues WHERE name = $1`,
    [name],
  );
  const counts = await query<{ state: JobState; n: string }>(
    `SELECT state, sum(n)::bigint AS n FROM ${s}.counts WHERE queue = $1 GROUP BY state`,
    [name],
  );
  const byState = Object.fromEntries(JOB_STATES.map((st) => [st, 0])) as Record<JobState, number>;
  for (const row of counts) if (row.state in byState) byState[row.state] += Number(row.n);
  const rate = rateOf(settings);
  const log = readRateLog(settings?.rate_log);
  const state: QueueState = {
    name,
    paused: settings?.paused ?? false,
    concurrency: settings?.concurrency ?? null,
    rate,
    byState,
    rateRemaining: rate === null ? null : rateRemaining(log, now, rate),
  };
  const nextStartAt = rate === null ? undefined : nextRateStartAt(log, now, rate);
  if (nextStartAt !== undefined) state.nextStartAt = nextStartAt;
  if (settings !== undefined) {
    addGroupSettings(state, settings);
    const groupLimit = groupLimitOf({
      groupConcurrency: settings.group_concurrency,
      ordered: settings.ordered,
    });
    if (groupLimit !== null) state.groupsAtLimit = await groupsAtLimit(query, s, name, groupLimit);
  }
  const oldestWaitingAt = (await oldestWaiting(query, s, [name], now)).get(name);
  if (oldestWaitingAt !== undefined) state.oldestWaitingAt = oldestWaitingAt;
  return state;
}

/** Copies a row's group and aging settings onto a queue read, those that are set. */
export function addGroupSettings(
  info: { groupConcurrency?: number; ordered?: true; agingMs?: number },
  row: { group_concurrency: number | null; ordered: boolean; aging_ms: number | null },
): void {
  if (row.group_concurrency !== null) info.groupConcurrency = row.group_concurrency;
  if (row.ordered) info.ordered = true;
  if (row.aging_ms !== null) info.agingMs = row.aging_ms;
}

/** Applies a patch to a queue's row (creating it), inside a transaction. */
export async function writeQueue(
  c: pg.ClientBase,
  s: string,
  name: string,
  patch: QueuePatch,
  changes: StoreChange[],
): Promise<void> {
  checkQueuePatch(patch);
  await c.query(`INSERT INTO ${s}.queues (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [name]);
  const sets: string[] = [];
  const values: unknown[] = [name];
  if (patch.paused !== undefined) {
    values.push(patch.paused);
    sets.push(`paused = $${values.length}`);
  }
  if (patch.concurrency !== undefined) {
    values.push(patch.concurrency);
    sets.push(`concurrency = $${values.length}`);
  }
  if (patch.groupConcurrency !== undefined) {
    values.push(patch.groupConcurrency);
    sets.push(`group_concurrency = $${values.length}`);
  }
  if (patch.ordered !== undefined) {
    values.push(patch.ordered);
    sets.push(`ordered = $${values.length}`);
  }
  if (patch.agingMs !== undefined) {
    values.push(patch.agingMs);
    sets.push(`aging_ms = $${values.length}`);
  }
  if (patch.rate !== undefined) {
    values.push(patch.rate?.limit ?? null, patch.rate?.periodMs ?? null);
    sets.push(`rate_limit = $${values.length - 1}`, `rate_period_ms = $${values.length}`);
    if (patch.rate === null) sets.push(`rate_log = '[]'`);
  }
  if (sets.length > 0) {
    await c.query(`UPDATE ${s}.queues SET ${sets.join(', ')} WHERE name = $1`, values);
  }
  changes.push({ kind: 'queue', id: name, queue: name });
}

/**
 * The earliest a claim may take a job of a limited, unpaused queue: per queue, its earliest
 * runnable job's runAt (five probes of the queue index), or later when its rate frees the next
 * start; a queue at its concurrency is left out.
 */
export async function limitedNextRunAt(
  query: RunQuery,
  s: string,
  now: number,
): Promise<number | undefined> {
  const rows = await query<QueueRow & { running: string | null; run_at: string | null }>(
    `SELECT q.name, q.paused, q.concurrency, q.rate_limit, q.rate_period_ms, q.rate_log,
       (SELECT sum(n)::bigint FROM ${s}.counts WHERE queue = q.name AND state = 'running') AS running,
       (SELECT min(x.run_at) FROM generate_series(0, 4) AS p, LATERAL (
          SELECT run_at FROM ${s}.jobs j
          WHERE j.queue = q.name AND state IN ${RUNNABLE} AND priority = p
          ORDER BY run_at LIMIT 1) x) AS run_at
     FROM ${s}.queues q WHERE NOT q.paused AND (${LIMITED})`,
  );
  let earliest: number | undefined;
  for (const row of rows) {
    if (row.run_at === null) continue;
    if (row.concurrency !== null && Number(row.running ?? 0) >= row.concurrency) continue;
    const rate = rateOf(row);
    const log = rate === null ? [] : readRateLog(row.rate_log);
    // Held back: when the window frees a start. Else since when the window allows one (the
    // stored window keeps the starts that left it until the next claim that starts a job).
    const floor =
      rate === null
        ? undefined
        : (nextRateStartAt(log, now, rate) ?? rateFreedAt(log, now, rate.periodMs));
    const at = Math.max(Number(row.run_at), floor ?? Number.NEGATIVE_INFINITY);
    if (earliest === undefined || at < earliest) earliest = at;
  }
  return earliest;
}

/**
 * Per queue of `names`, the earliest runAt among its runnable jobs if it has come: five probes
 * of the queue index per queue.
 */
export async function oldestWaiting(
  query: RunQuery,
  s: string,
  names: readonly string[],
  now: number,
): Promise<Map<string, number>> {
  if (names.length === 0) return new Map();
  const rows = await query<{ name: string; run_at: string | null }>(
    `SELECT q.name, (SELECT min(x.run_at) FROM generate_series(0, 4) AS p, LATERAL (
         SELECT run_at FROM ${s}.jobs j
         WHERE j.queue = q.name AND state IN ${RUNNABLE} AND priority = p
         ORDER BY run_at LIMIT 1) x) AS run_at
     FROM unnest($1::text[]) AS q(name)`,
    [names],
  );
  const oldest = new Map<string, number>();
  for (const row of rows) {
    if (row.run_at !== null && Number(row.run_at) <= now) oldest.set(row.name, Number(row.run_at));
  }
  return oldest;
}
