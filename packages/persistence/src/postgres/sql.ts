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
