import type pg from 'pg';

/** One schema change, applied once per schema and recorded in `<schema>.migrations`. */
export interface Migration {
  version: number;
  name: string;
  /** The SQL, given the quoted schema name. */
  sql(schema: string): string;
}

const RUNNABLE = `('scheduled', 'delayed', 'retrying')`;
const FINISHED = `('completed', 'failed', 'dead_letter', 'cancelled')`;

/**
 * The counts table is sharded by backend pid so that concurrent transactions never wait on one
 * another's counter rows; `counts()` sums the shards and `compactCounts` folds dead shards into 0.
 */
const countTrigger = (s: string): string => `
CREATE FUNCTION ${s}.count_jobs() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ${s}.counts AS c (shard, queue, state, priority, n)
      SELECT pg_backend_pid(), queue, state, priority, count(*) FROM new_rows
      GROUP BY queue, state, priority ORDER BY queue, state, priority
      ON CONFLICT (shard, queue, state, priority) DO UPDATE SET n = c.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO ${s}.counts AS c (shard, queue, state, priority, n)
      SELECT pg_backend_pid(), queue, state, priority, -count(*) FROM old_rows
      GROUP BY queue, state, priority ORDER BY queue, state, priority
      ON CONFLICT (shard, queue, state, priority) DO UPDATE SET n = c.n + excluded.n;
  ELSE
    INSERT INTO ${s}.counts AS c (shard, queue, state, priority, n)
      SELECT pg_backend_pid(), queue, state, priority, sum(d) FROM (
        SELECT queue, state, priority, 1 AS d FROM new_rows
        UNION ALL SELECT queue, state, priority, -1 AS d FROM old_rows
      ) x
      GROUP BY queue, state, priority HAVING sum(d) <> 0 ORDER BY queue, state, priority
      ON CONFLICT (shard, queue, state, priority) DO UPDATE SET n = c.n + excluded.n;
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER jobs_count_insert AFTER INSERT ON ${s}.jobs
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${s}.count_jobs();
CREATE TRIGGER jobs_count_update AFTER UPDATE ON ${s}.jobs
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ${s}.count_jobs();
CREATE TRIGGER jobs_count_delete AFTER DELETE ON ${s}.jobs
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${s}.count_jobs();
`;

/** Every migration, in order. Append new ones; never edit an applied one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'jobs, dependencies, queues, counts, meta',
    sql: (s) => `
CREATE TABLE ${s}.jobs (
  id text COLLATE "C" PRIMARY KEY,
  seq bigserial NOT NULL,
  type text NOT NULL,
  queue text NOT NULL,
  payload jsonb NOT NULL,
  priority smallint NOT NULL,
  state text NOT NULL,
  attempt integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  timeout_ms bigint NOT NULL,
  backoff jsonb NOT NULL,
  run_at bigint NOT NULL,
  depends_on jsonb NOT NULL DEFAULT '[]',
  waiting_on jsonb NOT NULL DEFAULT '[]',
  idempotency_key text,
  correlation_id text,
  tags jsonb NOT NULL DEFAULT '{}',
  checkpoint jsonb,
  progress jsonb,
  progress_message text,
  result jsonb,
  errors jsonb NOT NULL DEFAULT '[]',
  cancel_reason text,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  started_at bigint,
  finished_at bigint,
  lease_token text,
  lease_expires_at bigint,
  worker_id text
);
CREATE INDEX jobs_claim ON ${s}.jobs (priority, run_at, seq) WHERE state IN ${RUNNABLE};
CREATE INDEX jobs_lease ON ${s}.jobs (lease_expires_at, seq) WHERE state = 'running';
CREATE UNIQUE INDEX jobs_idempotency ON ${s}.jobs (idempotency_key);
CREATE INDEX jobs_seq ON ${s}.jobs (seq);
CREATE INDEX jobs_state_seq ON ${s}.jobs (state, seq);
CREATE INDEX jobs_type_seq ON ${s}.jobs (type, seq);
CREATE INDEX jobs_queue_seq ON ${s}.jobs (queue, seq);
CREATE INDEX jobs_finished ON ${s}.jobs (state, finished_at) WHERE state IN ${FINISHED};
CREATE TABLE ${s}.dependencies (
  depends_on_id text COLLATE "C" NOT NULL,
  job_id text COLLATE "C" NOT NULL REFERENCES ${s}.jobs (id) ON DELETE CASCADE,
  PRIMARY KEY (depends_on_id, job_id)
);
CREATE INDEX dependencies_job ON ${s}.dependencies (job_id);
CREATE TABLE ${s}.queues (name text PRIMARY KEY, paused boolean NOT NULL DEFAULT false);
CREATE TABLE ${s}.counts (
  shard integer NOT NULL,
  queue text NOT NULL,
  state text NOT NULL,
  priority smallint NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (shard, queue, state, priority)
);
CREATE TABLE ${s}.meta (key text COLLATE "C" PRIMARY KEY, value jsonb NOT NULL);
${countTrigger(s)}`,
  },
  {
    version: 2,
    name: 'idempotency keys scoped per queue',
    // The old index was stricter (one key in all queues), so the rows already satisfy the new one.
    sql: (s) => `
DROP INDEX ${s}.jobs_idempotency;
CREATE UNIQUE INDEX jobs_queue_idempotency ON ${s}.jobs (queue, idempotency_key);`,
  },
  {
    version: 3,
    name: 'jobs listed newest first by id',
    // Lists follow ids (creation order), as the embedded store's do, so an imported job is
    // listed by when it was created; the indexes by seq only served lists.
    sql: (s) => `
CREATE INDEX jobs_state_id ON ${s}.jobs (state, id);
CREATE INDEX jobs_type_id ON ${s}.jobs (type, id);
CREATE INDEX jobs_queue_id ON ${s}.jobs (queue, id);
DROP INDEX ${s}.jobs_seq;
DROP INDEX ${s}.jobs_state_seq;
DROP INDEX ${s}.jobs_type_seq;
DROP INDEX ${s}.jobs_queue_seq;`,
  },
  {
    version: 4,
    name: 'runnable jobs by type',
    // countDue walks the types of runnable jobs and counts each type's due ones: one index probe
    // per type, and a range scan that stops at its limit, whatever the backlog. A claim limited
    // to some types reads their due jobs here, not past a backlog of other types' jobs.
    sql: (s) => `
CREATE INDEX jobs_runnable_type ON ${s}.jobs (type, run_at) WHERE state IN ${RUNNABLE};`,
  },
  {
    version: 5,
    name: 'queue limits: concurrency and rate',
    // A limited queue's row holds its settings and the sliding window of its recent starts
    // (`[[time, count], ...]`); a claim locks it FOR UPDATE, so claims of the queue take turns
    // across nodes. Its runnable jobs are found in claim order by the queue index, whatever the
    // other queues' backlog.
    sql: (s) => `
ALTER TABLE ${s}.queues
  ADD COLUMN concurrency integer,
  ADD COLUMN rate_limit integer,
  ADD COLUMN rate_period_ms integer,
  ADD COLUMN rate_log jsonb NOT NULL DEFAULT '[]';
CREATE INDEX jobs_runnable_queue ON ${s}.jobs (queue, priority, run_at, seq)
  WHERE state IN ${RUNNABLE};`,
  },
  {
    version: 6,
    name: 'retry_on and no_retry_on of a job',
    // Nullable columns with no default: adding them rewrites no row, and an older node that does
    // not know them keeps working (its jobs simply have neither).
    sql: (s) => `
ALTER TABLE ${s}.jobs ADD COLUMN retry_on jsonb, ADD COLUMN no_retry_on jsonb;`,
  },
  {
    version: 7,
    name: 'recurring schedules',
    // One row per schedule. A tick is fired by `UPDATE ... WHERE last_tick < $tick` in the
    // transaction that inserts its job: the row lock makes concurrent nodes take turns, and the
    // one that comes second finds the tick done. A table of its own: older nodes never read it.
    sql: (s) => `
CREATE TABLE ${s}.schedules (
  name text COLLATE "C" PRIMARY KEY,
  definition jsonb NOT NULL,
  source text NOT NULL,
  paused boolean NOT NULL DEFAULT false,
  last_tick bigint NOT NULL,
  revision integer NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);`,
  },
  {
    version: 8,
    name: 'unique and debounce keys, expiry before start',
    // `job_keys` names the job that last took a unique or debounce key in a queue; a submit of
    // the key locks its row (INSERT ... ON CONFLICT DO UPDATE), so racing submits on any node
    // take turns, then decides from the job whether it still holds the key. The rows of
    // deleted jobs go with them. `jobs_expiry` finds the jobs never started past their expiry.
    sql: (s) => `
ALTER TABLE ${s}.jobs ADD COLUMN uniq jsonb, ADD COLUMN debounce jsonb, ADD COLUMN expires_at bigint;
CREATE TABLE ${s}.job_keys (
  kind text NOT NULL,
  queue text NOT NULL,
  key text NOT NULL,
  job_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (kind, queue, key)
);
CREATE INDEX job_keys_job ON ${s}.job_keys (job_id);
CREATE INDEX jobs_expiry ON ${s}.jobs (expires_at)
  WHERE expires_at IS NOT NULL AND started_at IS NULL AND state IN ('pending', 'delayed', 'scheduled');
CREATE FUNCTION ${s}.drop_job_keys() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM ${s}.job_keys k USING old_rows o WHERE k.job_id = o.id;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER jobs_drop_keys AFTER DELETE ON ${s}.jobs
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${s}.drop_job_keys();`,
  },
  {
    version: 9,
    name: 'group keys of jobs; group_concurrency, ordered and aging of queues',
    // Nullable columns (and a default false) rewrite no row. A claim counts a key's running jobs
    // with the first index and finds an ordered key's head (its unfinished job with the smallest
    // seq) with the second; both hold only jobs with a key. A node that predates this migration
    // does not know these settings and would claim such queues unlimited: upgrade every node.
    sql: (s) => `
ALTER TABLE ${s}.jobs ADD COLUMN grp text;
ALTER TABLE ${s}.queues
  ADD COLUMN group_concurrency integer,
  ADD COLUMN ordered boolean NOT NULL DEFAULT false,
  ADD COLUMN aging_ms integer;
CREATE INDEX jobs_group_running ON ${s}.jobs (queue, grp) WHERE state = 'running' AND grp IS NOT NULL;
CREATE INDEX jobs_group_active ON ${s}.jobs (queue, grp, seq)
  WHERE grp IS NOT NULL AND state NOT IN ${FINISHED};`,
  },
  {
    version: 10,
    name: 'log lines of jobs',
    // Lines go with their job (ON DELETE CASCADE); an attempt's row holds the last seq handed out
    // and how many lines were dropped. New tables only: an older node ignores them.
    sql: (s) => `
CREATE TABLE ${s}.job_log_attempts (
  job_id text COLLATE "C" NOT NULL REFERENCES ${s}.jobs (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  seq integer NOT NULL,
  dropped bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, attempt)
);
CREATE TABLE ${s}.job_logs (
  job_id text COLLATE "C" NOT NULL,
  attempt integer NOT NULL,
  seq integer NOT NULL,
  at bigint NOT NULL,
  level text NOT NULL,
  message text NOT NULL,
  fields jsonb,
  bytes integer NOT NULL,
  PRIMARY KEY (job_id, attempt, seq),
  FOREIGN KEY (job_id, attempt) REFERENCES ${s}.job_log_attempts (job_id, attempt) ON DELETE CASCADE
);`,
  },
  {
    version: 11,
    name: 'traceparent of a job',
    // Nullable with no default, as in version 6: no row is rewritten, older nodes keep working.
    sql: (s) => `
ALTER TABLE ${s}.jobs ADD COLUMN traceparent text;`,
  },
  {
    version: 12,
    name: 'dependents of a job',
    // Partial: jobs that name no dependency (most of them) never touch it.
    sql: (s) => `
CREATE INDEX jobs_depends_on ON ${s}.jobs USING gin (depends_on jsonb_path_ops)
  WHERE depends_on <> '[]'::jsonb;`,
  },
  {
    version: 13,
    name: 'the transitions of a job',
    // Every state a job enters, kept on its row: a submit writes the first entry, and a row
    // trigger appends one whenever an UPDATE changes `state`, whichever statement did it (a
    // claim, a completion, a cascade over dependents, an expiry), with the row's `updated_at`
    // and `attempt` after the change. Past 50 entries (MAX_TRANSITIONS, written out: a migration
    // never changes) the oldest after the first goes, as `appendTransition` does in memory. A constant default rewrites no row: jobs
    // stored before read with no transitions, and record them from their next change on.
    sql: (s) => `
ALTER TABLE ${s}.jobs ADD COLUMN transitions jsonb NOT NULL DEFAULT '[]'::jsonb;
CREATE FUNCTION ${s}.record_transition() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  t jsonb := NEW.transitions || jsonb_build_array(jsonb_build_object(
    'state', NEW.state, 'at', NEW.updated_at, 'attempt', NEW.attempt));
BEGIN
  IF jsonb_array_length(t) > 50 THEN
    t := jsonb_build_array(t -> 0) || jsonb_path_query_array(t, '$[last - 48 to last]');
  END IF;
  NEW.transitions := t;
  RETURN NEW;
END
$fn$;
CREATE TRIGGER jobs_record_transition BEFORE UPDATE OF state ON ${s}.jobs
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
  EXECUTE FUNCTION ${s}.record_transition();`,
  },
  {
    version: 14,
    name: 'idempotency keys indexed only where a job has one',
    // Most jobs have no idempotency key, yet each had an entry in the unique index, written by
    // its insert and again by every update that changed an indexed column (its claim, its end).
    // `ON CONFLICT DO NOTHING` with no target uses any unique index, partial ones included, and
    // the one lookup by key names the predicate. Built before the old one is dropped, so a key
    // is never unguarded inside the migration's transaction.
    sql: (s) => `
CREATE UNIQUE INDEX jobs_queue_idempotency_key ON ${s}.jobs (queue, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
DROP INDEX ${s}.jobs_queue_idempotency;`,
  },
  {
    version: 15,
    name: 'transitions appended by the statements that change them',
    // The row trigger of migration 13 ran a PL/pgSQL function for every job of every claim and
    // completion. Those statements now append the entry themselves, and the trigger appends only
    // where a statement changed `state` but left `transitions` as it was, so every other
    // statement is still recorded. An older node's claims leave `transitions` alone: the trigger
    // records them as before.
    sql: (s) => `
DROP TRIGGER jobs_record_transition ON ${s}.jobs;
CREATE TRIGGER jobs_record_transition BEFORE UPDATE OF state ON ${s}.jobs
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state AND OLD.transitions = NEW.transitions)
  EXECUTE FUNCTION ${s}.record_transition();`,
  },
  {
    version: 16,
    name: 'dependents released by a function',
    // After a batch of completions, the release of their dependents was a statement planned
    // anew for every batch (about half a millisecond of the server's time, for most batches
    // with no dependent at all). A function's statements are planned once per connection, and
    // it returns at once when no dependency row names a job of the batch. Each statement in it
    // takes a new snapshot, so it sees dependency rows a submitter committed while the
    // completion waited for a job's row lock, as the separate statement did; a submitter that
    // comes later waits for that lock and then finds the job completed. `candidates` are the
    // batch's ids; only those completed now count.
    sql: (s) => `
CREATE FUNCTION ${s}.release_dependents(candidates text[], at_ms bigint)
RETURNS SETOF ${s}.jobs LANGUAGE plpgsql AS $fn$
DECLARE
  completed_ids text[];
BEGIN
  IF NOT EXISTS (SELECT 1 FROM ${s}.dependencies WHERE depends_on_id = ANY(candidates)) THEN
    RETURN;
  END IF;
  completed_ids := ARRAY(
    SELECT id FROM ${s}.jobs WHERE id = ANY(candidates) AND state = 'completed');
  RETURN QUERY WITH edges AS (
      DELETE FROM ${s}.dependencies WHERE depends_on_id = ANY(completed_ids)
      RETURNING job_id, depends_on_id
    ), done AS (
      SELECT job_id, jsonb_agg(depends_on_id) AS ids FROM edges GROUP BY job_id
    ), next AS (
      SELECT j.id, (SELECT coalesce(jsonb_agg(w), '[]'::jsonb)
                    FROM jsonb_array_elements(j.waiting_on) w
                    WHERE NOT done.ids @> jsonb_build_array(w)) AS waiting
      FROM ${s}.jobs j JOIN done ON done.job_id = j.id
      WHERE j.state = 'pending'
    )
    UPDATE ${s}.jobs j SET waiting_on = next.waiting, updated_at = at_ms,
      state = CASE WHEN jsonb_array_length(next.waiting) > 0 THEN 'pending'
                   WHEN j.run_at > at_ms THEN 'delayed' ELSE 'scheduled' END
    FROM next WHERE j.id = next.id
    RETURNING j.*;
END
$fn$;`,
  },
  {
    version: 17,
    name: 'lists by state, type and queue leave running jobs out of their indexes',
    // A claim changes `state`, so it is never a HOT update: the new row version takes an entry
    // in every index whose predicate it meets, even where the indexed values did not change.
    // With the three list indexes partial, a claim writes two index entries (the key and the
    // lease) instead of five. Running jobs are few (the work in flight and the claims ahead of
    // it), and lists find them through the lease index instead.
    sql: (s) => `
CREATE INDEX jobs_state_id_settled ON ${s}.jobs (state, id) WHERE state <> 'running';
CREATE INDEX jobs_type_id_settled ON ${s}.jobs (type, id) WHERE state <> 'running';
CREATE INDEX jobs_queue_id_settled ON ${s}.jobs (queue, id) WHERE state <> 'running';
DROP INDEX ${s}.jobs_state_id;
DROP INDEX ${s}.jobs_type_id;
DROP INDEX ${s}.jobs_queue_id;`,
  },
];

/** Lock class of the advisory lock that serialises migrations (any constant of our own). */
const LOCK_CLASS = 0x67710001;

/**
 * Applies pending migrations in one transaction that holds a transaction-scoped advisory lock on
 * the schema, so nodes starting at once on an empty database take turns: the first applies them,
 * the others find them applied. Returns the versions it applied.
 */
export async function migrate(client: pg.ClientBase, schemaName: string): Promise<number[]> {
  const s = quoteIdent(schemaName);
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, schemaName]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${s}.migrations`);
    const done = new Set(rows.map((r) => r.version));
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql(s));
      await client.query(`INSERT INTO ${s}.migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** True when `schemaName` holds a store (its migrations table), however old. */
export async function storeExists(client: pg.ClientBase, schemaName: string): Promise<boolean> {
  const { rows } = await client.query<{ found: boolean }>(
    'SELECT to_regclass($1) IS NOT NULL AS found',
    [`${quoteIdent(schemaName)}.migrations`],
  );
  return rows[0]?.found === true;
}

/** A schema name we accept: a plain lower-case SQL identifier. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Double-quotes an identifier already checked against {@link SCHEMA_NAME}. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
