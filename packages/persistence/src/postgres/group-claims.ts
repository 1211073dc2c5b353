import { notExpiredSql } from './expire-jobs.js';
import type pg from 'pg';
import {
  effectivePriority,
  groupLimitOf,
  MAX_GROUPS_LISTED,
  type ClaimOptions,
  type GroupAtLimit,
  type GroupState,
} from '@gopherqueue/core';
import type { RunQuery } from './postgres-meta-store.js';

/*
 * Per-key limits and aging on PostgreSQL, inside the claim transaction of `claimWithLimits`
 * (which holds the queue's row FOR UPDATE, so claims of the queue take turns across nodes and
 * each sees every start committed before it). For a queue with a key limit or aging, the jobs a
 * claim may take are chosen here, in claim order, from five index probes (one per priority, each
 * in `run_at, seq` order, limited): within one priority a job that waited longer never ages less,
 * so merging the five heads by effective priority gives the aged claim order without sorting the
 * backlog. Keys at their limit are left out in the probes (`grp <> ALL(...)`, from the running
 * jobs per key, read under the queue lock); an ordered queue's probe keeps only heads (no
 * unfinished job of the key with a smaller seq, one probe of `jobs_group_active`). Each key then
 * gets at most its free slots. The chosen ids go into the claim's UPDATE, which checks each job is
 * still runnable.
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

/** True when a claim must choose the queue's jobs with {@link chooseJobs}. */
export function needsChoosing(queue: GroupedQueue): boolean {
  return queue.group_concurrency !== null || queue.ordered || queue.aging_ms !== null;
}

interface Candidate {
  id: string;
  priority: number;
  run_at: string;
  seq: string;
  grp: string | null;
}

/** Running jobs per key of a queue. */
async function runningPerGroup(
  c: pg.ClientBase,
  s: string,
  queue: string,
): Promise<Map<string, number>> {
  const { rows } = await c.query<{ grp: string; n: number }>(
    `SELECT grp, count(*)::int AS n FROM ${s}.jobs
     WHERE queue = $1 AND state = 'running' AND grp IS NOT NULL GROUP BY grp`,
    [queue],
  );
  return new Map(rows.map((r) => [r.grp, r.n]));
}

/** The ids of up to `quota` jobs of the queue a claim may take now, best first. */
export async function chooseJobs(
  c: pg.ClientBase,
  s: string,
  queue: GroupedQueue,
  quota: number,
  now: number,
  options: ClaimOptions,
): Promise<string[]> {
  const limit = groupLimitOf({ groupConcurrency: queue.group_concurrency, ordered: queue.ordered });
  const running =
    limit === null ? new Map<string, number>() : await runningPerGroup(c, s, queue.name);
  const full = limit === null ? [] : [...running].filter(([, n]) => n >= limit).map(([g]) => g);
  // Each probe reads enough that keys capped below their candidates rarely leave the claim short.
  const perProbe = Math.min(1000, limit === null || queue.ordered ? quota : quota * 4 + 16);
  const head = queue.ordered
    ? `AND (j.grp IS NULL OR NOT EXISTS (SELECT 1 FROM ${s}.jobs o
         WHERE o.queue = j.queue AND o.grp = j.grp AND o.seq < j.seq AND o.state NOT IN ${FINISHED}))`
    : '';
  const probes = [0, 1, 2, 3, 4].map(
    (p) => `(SELECT id, priority, run_at, seq, grp FROM ${s}.jobs j
      WHERE j.queue = $1 AND j.state IN ${RUNNABLE} AND j.priority = ${p} AND j.run_at <= $2
        AND ${notExpiredSql('$2')}
        AND ($3::text[] IS NULL OR j.type = ANY($3::text[]))
        AND (j.grp IS NULL OR j.grp <> ALL($4::text[])) ${head}
      ORDER BY j.run_at, j.seq LIMIT ${perProbe})`,
  );
  const { rows } = await c.query<Candidate>(probes.join(' UNION ALL '), [
    queue.name,
    now,
    options.types ?? null,
    full,
  ]);
  const ranked = rows.map((row) => ({
    row,
    rank: effectivePriority(row.priority, Number(row.run_at), now, queue.aging_ms),
  }));
  ranked.sort(
    (a, b) =>
      a.rank - b.rank ||
      Number(a.row.run_at) - Number(b.row.run_at) ||
      Number(a.row.seq) - Number(b.row.seq),
  );
  const chosen: string[] = [];
  const taken = new Map<string, number>();
  for (const { row } of ranked) {
    if (chosen.length >= quota) break;
    if (limit !== null && row.grp !== null) {
      const busy = (running.get(row.grp) ?? 0) + (taken.get(row.grp) ?? 0);
      if (busy >= limit) continue;
      taken.set(row.grp, (taken.get(row.grp) ?? 0) + 1);
    }
    chosen.push(row.id);
  }
  return chosen;
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
