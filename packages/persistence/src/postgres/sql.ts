/** The claim statement: lock runnable jobs in claim order, skipping locked ones, and lease them. */
export function claimSql(s: string, byType: boolean, byQueue: boolean): string {
  return `WITH next AS (
    SELECT id, state FROM ${s}.jobs j
    WHERE state IN ('scheduled', 'delayed', 'retrying') AND run_at <= $1
      ${byType ? 'AND type = ANY($5::text[])' : 'AND $5::text[] IS NULL'}
      ${byQueue ? 'AND queue = ANY($6::text[])' : 'AND $6::text[] IS NULL'}
      AND NOT EXISTS (SELECT 1 FROM ${s}.queues q WHERE q.name = j.queue AND q.paused)
    ORDER BY priority, run_at, seq
    LIMIT $2
    FOR UPDATE OF j SKIP LOCKED
  )
  UPDATE ${s}.jobs j SET state = 'running', attempt = j.attempt + 1, started_at = $1,
    updated_at = $1, lease_token = gen_random_uuid()::text, lease_expires_at = $1::bigint + $3::bigint,
    worker_id = $4
  FROM next WHERE j.id = next.id
  RETURNING j.*, next.state AS previous`;
}

/**
 * Folds the counter shards of backends that no longer exist into shard 0, so the counts table
 * stays as small as the number of live connections times queues, states and priorities.
 */
export function compactCountsSql(s: string): string {
  return `WITH gone AS (
    DELETE FROM ${s}.counts
    WHERE shard <> 0 AND shard NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)
    RETURNING queue, state, priority, n
  ), sums AS (
    SELECT queue, state, priority, sum(n)::bigint AS n FROM gone GROUP BY queue, state, priority
  )
  INSERT INTO ${s}.counts AS c (shard, queue, state, priority, n)
  SELECT 0, queue, state, priority, n FROM sums ORDER BY queue, state, priority
  ON CONFLICT (shard, queue, state, priority) DO UPDATE SET n = c.n + excluded.n`;
}
