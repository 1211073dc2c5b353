import { notExpiredSql } from './expire-jobs.js';
import {
  groupLimitOf,
  MAX_GROUPS_LISTED,
  type GroupAtLimit,
  type GroupState,
} from '@gopherqueue/core';
import type { RunQuery } from './postgres-meta-store.js';

/*
 * Per-key limits and aging on PostgreSQL, inside the claim transaction of `planLimitedClaim`
 * (which holds the queue's row FOR UPDATE, so claims of the queue take turns across nodes and
 * each sees every start committed before it). For a queue with a key limit or aging, the jobs a
 * claim may take are chosen here, in claim order, from five index probes (one per priority, each
 * in `run_at, seq` order, limited): within one priority a job that waited longer never ages less,
 * so merging the five heads by effective priority gives the aged claim order without sorting the
 * backlog. The running jobs per key are counted in the same statement (one range of
 * `jobs_group_running`; the statement starts after the queue's lock is held, so it sees every
 * start committed before); keys at their limit are left out in the probes (`grp <> ALL(...)`),
 * an ordered queue's probe keeps only heads (no unfinished job of the key with a smaller seq, one
 * probe of `jobs_group_active`), and each key gets at most its free slots (`row_number()` per
 * key in claim order). All of it is one part of the claim's UPDATE, which checks each job is
 * still runnable: choosing costs no round trip of its own.
 */

const RUNNABLE = `('scheduled', 'delayed', 'retrying')`;
const FINISHED = `('completed', 'failed', 'dead_letter', 'cancelled')`;

/** The settings of a queue that matter here. */
export interface GroupedQueue {
  name: string;
  group_concurrency: number | null;
  ordered: boolean;
  aging_ms: number | null;
}

/** True when a claim must choose the queue's jobs with {@link chosenJobsSql}. */
export function needsChoosing(queue: GroupedQueue): boolean {
  return queue.group_concurrency !== null || queue.ordered || queue.aging_ms !== null;
}

/**
 * The SQL of the jobs a claim may take now from a queue with a key limit or aging, up to
 * `quota`, best first, as rows `(id, state, priority, run_at, seq, eff)`: one statement, run as
 * a part of the claim's UPDATE, so choosing costs no round trip of its own. Pushes its
 * parameters onto `values`, whose `$1` is the claim's time and `$3` its types.
 */
export function chosenJobsSql(
  s: string,
  queue: GroupedQueue,
  quota: number,
  values: unknown[],
): string {
  const limit = groupLimitOf({ groupConcurrency: queue.group_concurrency, ordered: queue.ordered });
  // Each probe reads enough that keys capped below their candidates rarely leave the claim short.
  const perProbe = Math.min(1000, limit === null || queue.ordered ? quota : quota * 4 + 16);
  values.push(queue.name, quota);
  const name = `$${values.length - 1}::text`;
  const take = `$${values.length}::int`;
  const head = queue.ordered
    ? `AND (j.grp IS NULL OR NOT EXISTS (SELECT 1 FROM ${s}.jobs o
         WHERE o.queue = j.queue AND o.grp = j.grp AND o.seq < j.seq AND o.state NOT IN ${FINISHED}))`
    : '';
  const rank = rankSql(queue.aging_ms);
  if (limit === null) {
    const probes = probeSql(s, name, perProbe, '', head);
    return `SELECT id, state, priority, run_at, seq, ${rank} AS eff FROM (${probes}) p
      ORDER BY eff, run_at, seq LIMIT ${take}`;
  }
  values.push(limit);
  const cap = `$${values.length}::int`;
  // The running jobs per key (one range of `jobs_group_running`); keys at their limit are left
  // out of the probes, and the k-th candidate of a key in claim order is taken only while the
  // key's running jobs plus k stay within its limit. The key is compared as `grp || ''`, an
  // expression without statistics: on the column, once ANALYZE had seen a backlog over a few
  // keys, the planner expected almost no job to pass a list it cannot see before running, and
  // sorted each probe's whole range instead of reading it in index order to its limit.
  const probes = probeSql(
    s,
    name,
    perProbe,
    `AND (j.grp IS NULL OR (j.grp || '') <> ALL(ARRAY(SELECT grp FROM running WHERE n >= ${cap})))`,
    head,
  );
  return `WITH running AS (
      SELECT grp, count(*)::int AS n FROM ${s}.jobs
      WHERE queue = ${name} AND state = 'running' AND grp IS NOT NULL GROUP BY grp
    ), ranked AS (
      SELECT p.*, ${rank} AS eff FROM (${probes}) p
    ), counted AS (
      SELECT r.*, row_number() OVER (PARTITION BY r.grp ORDER BY r.eff, r.run_at, r.seq) AS k
      FROM ranked r
    )
    SELECT c.id, c.state, c.priority, c.run_at, c.seq, c.eff FROM counted c
    LEFT JOIN running USING (grp)
    WHERE c.grp IS NULL OR c.k + coalesce(running.n, 0) <= ${cap}
    ORDER BY c.eff, c.run_at, c.seq LIMIT ${take}`;
}

/** Five probes of `jobs_runnable_queue`, one per priority, each in `run_at, seq` order. */
function probeSql(s: string, name: string, perProbe: number, keys: string, head: string): string {
  return [0, 1, 2, 3, 4]
    .map(
      (p) => `(SELECT id, state, priority, run_at, seq, grp FROM ${s}.jobs j
      WHERE j.queue = ${name} AND j.state IN ${RUNNABLE} AND j.priority = ${p} AND j.run_at <= $1
        AND ${notExpiredSql('$1')}
        AND ($3::text[] IS NULL OR j.type = ANY($3::text[]))
        ${keys} ${head}
      ORDER BY j.run_at, j.seq LIMIT ${perProbe})`,
    )
    .join(' UNION ALL ');
}

/** The SQL of a job's effective priority in a queue that ages by `agingMs` (`$1` is now). */
export function rankSql(agingMs: number | null): string {
  if (agingMs === null) return 'priority';
  return `greatest(0, priority - floor(($1::bigint - run_at) / ${Math.trunc(agingMs)}))::int`;
}

/** The keys of a queue whose running jobs reach `limit`, by key, at most MAX_GROUPS_LISTED. */
export async function groupsAtLimit(
  query: RunQuery,
  s: string,
  queue: string,
  limit: number,
): Promise<GroupAtLimit[]> {
  const rows = await query<{ grp: string; n: number }>(
    `SELECT grp, count(*)::int AS n FROM ${s}.jobs
     WHERE queue = $1 AND state = 'running' AND grp IS NOT NULL
     GROUP BY grp HAVING count(*) >= $2 ORDER BY grp COLLATE "C" LIMIT ${MAX_GROUPS_LISTED}`,
    [queue, limit],
  );
  return rows.map((r) => ({ group: r.grp, running: r.n }));
}

/** One key of a queue now. */
export async function readGroup(
  query: RunQuery,
  s: string,
  queue: string,
  group: string,
): Promise<GroupState> {
  const [row] = await query<{ running: number; head: string | null }>(
    `SELECT (SELECT count(*)::int FROM ${s}.jobs
              WHERE queue = $1 AND grp = $2 AND state = 'running') AS running,
            (SELECT id FROM ${s}.jobs WHERE queue = $1 AND grp = $2 AND state NOT IN ${FINISHED}
              ORDER BY seq LIMIT 1) AS head`,
    [queue, group],
  );
  const state: GroupState = { queue, group, running: row?.running ?? 0 };
  if (row?.head != null) state.headId = row.head;
  return state;
}
