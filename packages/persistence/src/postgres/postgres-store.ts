import { randomUUID } from 'node:crypto';
import {
  ErrorCode,
  GqError,
  isTerminal,
  isUuid,
  noopLogger,
  systemClock,
  type ClaimOptions,
  type Clock,
  type Durability,
  type FailInput,
  type HeartbeatInput,
  type Job,
  type JobCounts,
  type JobSpec,
  type Json,
  type ListFilter,
  type ListPage,
  type Logger,
  type MetaStore,
  type PurgeInput,
  type QueueInfo,
  type ReleaseInput,
  type RetryInput,
  type Store,
  type StoreChange,
  type SubmitResult,
} from '@gopherqueue/core';
import pg from 'pg';
import { ChangeFeed } from './change-feed.js';
import { JobQueries } from './job-queries.js';
import {
  JOB_COLUMNS,
  jobToRecord,
  RECORD_COLUMNS,
  recordSelectList,
  rowToJob,
  type JobRow,
} from './job-row.js';
import {
  cancelDependents,
  casRunning,
  DROP_LEASE,
  lockJob,
  notFound,
  updated,
} from './job-transitions.js';
import { migrate, quoteIdent, SCHEMA_NAME } from './migrations.js';
import { NotificationListener } from './notification-listener.js';
import { describeTarget, isRetryable, isUnavailable, toStoreError } from './pg-errors.js';
import { PostgresMetaStore } from './postgres-meta-store.js';
import { submitJobs } from './submit-jobs.js';
import { compactCountsSql } from './sql.js';
import { claimMany, completeMany, type CompleteInput } from './batched-ops.js';
import { Batcher, type BatchItem } from './batcher.js';

/** Options of {@link PostgresStore.open}. */
export interface PostgresStoreOptions {
  /**
   * Where the database is.
   * @defaultValue env `GQ_POSTGRES_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`
   */
  connectionString?: string;
  /** An application's own pool, used instead of opening one; the store never ends it. */
  pool?: pg.Pool;
  /** Connections of the pool the store opens. @defaultValue 10 */
  poolSize?: number;
  /** Schema holding the tables; created and migrated at open. @defaultValue `'gopherqueue'` */
  schema?: string;
  /** Source of every timestamp (never the database's `now()`). @defaultValue the system clock */
  clock?: Clock;
  /** @defaultValue a logger that drops everything */
  logger?: Logger;
  /** LISTEN for other processes' changes on a dedicated connection. @defaultValue true */
  listen?: boolean;
  /**
   * `durable`: a call resolves after PostgreSQL flushed its commit to disk. `relaxed`: the store's
   * transactions use `synchronous_commit = off`, so a crash of the database server (not of this
   * process) may lose the last few hundred milliseconds of acknowledged changes, never reordering
   * them. @defaultValue `'durable'`
   */
  durability?: Durability;
  /** How long to wait for a connection before failing with GQ_STORE_UNAVAILABLE. @defaultValue 5000 */
  connectTimeoutMs?: number;
}

/** Options of a submit that joins an application's transaction. */
export interface TransactionalSubmitOptions {
  /**
   * A `pg` client inside `BEGIN`: the job is written in that transaction, so it exists if and only
   * if the transaction commits, and its NOTIFY fires only on commit.
   */
  client: pg.ClientBase;
}

/**
 * Set for claim transactions: walk the claim index in order and stop at the limit, even before
 * ANALYZE has seen a freshly loaded backlog (the planner would otherwise bitmap-scan and sort it).
 */
const CLAIM_SETTINGS = 'SET LOCAL enable_bitmapscan = off';
const RUNNABLE = `('scheduled', 'delayed', 'retrying')`;
const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * The {@link Store} on PostgreSQL, shared by any number of processes: claims with
 * `FOR UPDATE SKIP LOCKED`, every transition a compare-and-set in SQL, idempotency keys and
 * dependencies enforced by the database, a counts table kept by triggers, and LISTEN/NOTIFY as
 * the change feed across processes. Durable on commit (the server's `synchronous_commit`).
 */
export class PostgresStore implements Store {
  readonly exclusive = false;
  readonly meta: MetaStore;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #s: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #where: string;
  readonly #feed: ChangeFeed;
  readonly #queries: JobQueries;
  readonly #claims = new Batcher<ClaimOptions, Job[]>((items) => this.#flushClaims(items));
  readonly #completes = new Batcher<CompleteInput, Job>((items) => this.#flushCompletes(items));
  #listener: NotificationListener | undefined;
  #compactTimer: NodeJS.Timeout | undefined;
  readonly #relaxed: boolean;
  #closed = false;

  private constructor(
    pool: pg.Pool,
    ownsPool: boolean,
    schema: string,
    options: PostgresStoreOptions,
    where: string,
  ) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.#s = quoteIdent(schema);
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? noopLogger;
    this.#where = where;
    this.#relaxed = options.durability === 'relaxed';
    const query = this.#query.bind(this);
    this.#feed = new ChangeFeed(
      `gopherqueue_${schema}`,
      randomUUID(),
      this.#logger,
      (text, values) => pool.query(text, values),
    );
    this.meta = new PostgresMetaStore(this.#s, query);
    this.#queries = new JobQueries(this.#s, query);
  }

  /**
   * Connects, applies pending migrations (safe when several nodes start at once) and starts
   * listening for other processes' changes.
   * @throws GQ_STORE_UNAVAILABLE naming the host when the database cannot be reached.
   */
  static async open(options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const schema = options.schema ?? 'gopherqueue';
    if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
      throw new TypeError(
        `schema must be a lower-case SQL identifier; got ${JSON.stringify(schema)}`,
      );
    }
    const poolSize = options.poolSize ?? 10;
    if (!Number.isInteger(poolSize) || poolSize < 1) {
      throw new RangeError(`poolSize must be a positive integer; got ${poolSize}`);
    }
    if (options.durability !== undefined && !['durable', 'relaxed'].includes(options.durability)) {
      throw new TypeError(
        `durability must be 'durable' or 'relaxed'; got ${JSON.stringify(options.durability)}`,
      );
    }
    const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs < 0) {
      throw new RangeError(
        `connectTimeoutMs must be a non-negative integer; got ${connectTimeoutMs}`,
      );
    }
    const connectionString = options.connectionString ?? process.env.GQ_POSTGRES_URL ?? DEFAULT_URL;
    const config: pg.ClientConfig = options.pool
      ? options.pool.options
      : { connectionString, connectionTimeoutMillis: connectTimeoutMs };
    const where = describeTarget(config);
    const pool = options.pool ?? new pg.Pool({ ...config, max: poolSize });
    const store = new PostgresStore(pool, !options.pool, schema, options, where);
    if (!options.pool) {
      pool.on('error', (err) =>
        store.#logger.warn('idle PostgreSQL connection failed', { error: err.message }),
      );
    }
    try {
      const client = await pool.connect();
      try {
        const applied = await migrate(client, schema);
        if (applied.length > 0) store.#logger.info('applied migrations', { schema, applied });
      } finally {
        client.release();
      }
      await store.#compactCounts();
      if (options.listen ?? true) {
        store.#listener = new NotificationListener({
          connect: async () => {
            const client = new pg.Client(config);
            await client.connect();
            return client;
          },
          channel: store.#feed.channel,
          onNotification: (message) => store.#feed.receive(message),
          onReconnect: () => store.#logger.info('PostgreSQL notification connection is back'),
          logger: store.#logger,
        });
        await store.#listener.start();
      }
    } catch (err) {
      await store.close().catch(() => undefined);
      throw toStoreError(err, where);
    }
    store.#compactTimer = setInterval(() => {
      store
        .#compactCounts()
        .catch((err: unknown) =>
          store.#logger.warn('counts compaction failed', { error: String(err) }),
        );
    }, 60_000);
    store.#compactTimer.unref();
    return store;
  }

  /** Stores one job; with `{ client }`, inside that client's open transaction. */
  async submit(spec: JobSpec, options?: TransactionalSubmitOptions): Promise<SubmitResult> {
    const [result] = await this.submitBatch([spec], options);
    return result as SubmitResult;
  }

  /** Stores all jobs or none; with `{ client }`, inside that client's open transaction. */
  async submitBatch(
    specs: readonly JobSpec[],
    options?: TransactionalSubmitOptions,
  ): Promise<SubmitResult[]> {
    if (specs.length === 0) return [];
    if (options?.client) return this.#submitWith(options.client, specs);
    return this.#tx((c, changes) => submitJobs(c, this.#s, specs, this.#clock.now(), changes));
  }

  async #submitWith(client: pg.ClientBase, specs: readonly JobSpec[]): Promise<SubmitResult[]> {
    this.#assertOpen();
    try {
      await client.query('SAVEPOINT gopherqueue_submit');
    } catch (err) {
      throw new GqError(
        ErrorCode.INVALID_ARGUMENT,
        "submit with { client } must run inside the client's transaction (after BEGIN)",
        { cause: err },
      );
    }
    try {
      const changes: StoreChange[] = [];
      const results = await submitJobs(client, this.#s, specs, this.#clock.now(), changes);
      await this.#feed.notifyIn(client, changes);
      await client.query('RELEASE SAVEPOINT gopherqueue_submit');
      return results;
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT gopherqueue_submit').catch(() => undefined);
      throw toStoreError(err, this.#where);
    }
  }

  async get(id: string): Promise<Job | undefined> {
    return (await this.getMany([id]))[0];
  }

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

  list(filter?: ListFilter): Promise<ListPage> {
    return this.#queries.list(filter);
  }

  counts(): Promise<JobCounts> {
    return this.#queries.counts();
  }

  /** One statement: `FOR UPDATE SKIP LOCKED` in (priority, run_at, seq) order, leased in place. */
  async claim(options: ClaimOptions): Promise<Job[]> {
    if (!Number.isInteger(options.limit) || options.limit < 0) {
      throw new RangeError(`limit must be a non-negative integer; got ${options.limit}`);
    }
    if (!Number.isFinite(options.leaseMs) || options.leaseMs <= 0) {
      throw new RangeError(`leaseMs must be greater than 0; got ${options.leaseMs}`);
    }
    if (options.limit === 0 || options.types?.length === 0 || options.queues?.length === 0)
      return [];
    this.#assertOpen();
    return this.#claims.run(options);
  }

  async heartbeat(id: string, token: string, input: HeartbeatInput): Promise<Job> {
    const now = this.#clock.now();
    const progressed = input.progress !== undefined || input.progressMessage !== undefined;
    return this.#tx(async (c, changes) => {
      const job = await casRunning(
        c,
        this.#s,
        `lease_expires_at = $3::bigint + $4::bigint, updated_at = $3,
         checkpoint = coalesce($5::jsonb, checkpoint), progress = coalesce($6::jsonb, progress),
         progress_message = coalesce($7::text, progress_message)`,
        this.#id(id),
        token,
        [
          now,
          Math.round(input.leaseMs),
          jsonParam(input.checkpoint),
          jsonParam(input.progress),
          input.progressMessage ?? null,
        ],
      );
      if (progressed) changes.push(updated(job, 'running', 'progress'));
      return job;
    });
  }

  /** Concurrent completions share one transaction (group commit); each is still its own CAS. */
  async complete(id: string, token: string, result: Json): Promise<Job> {
    this.#assertOpen();
    return this.#completes.run({ id: this.#id(id), token, result, now: this.#clock.now() });
  }

  async fail(id: string, token: string, input: FailInput): Promise<Job> {
    const now = this.#clock.now();
    const { outcome } = input;
    const finished = outcome.state !== 'retrying';
    return this.#tx(async (c, changes) => {
      const job = await casRunning(
        c,
        this.#s,
        `state = $3, run_at = coalesce($4::bigint, run_at), updated_at = $5,
         finished_at = ${finished ? '$5' : 'NULL'},
         errors = errors || jsonb_build_array($6::jsonb || jsonb_build_object('attempt', attempt, 'at', $5::bigint)),
         ${DROP_LEASE}`,
        this.#id(id),
        token,
        [
          outcome.state,
          outcome.state === 'retrying' ? outcome.runAt : null,
          now,
          JSON.stringify(input.error),
        ],
      );
      changes.push(updated(job, 'running'));
      if (finished) await cancelDependents(c, this.#s, [job.id], now, changes);
      return job;
    });
  }

  async release(id: string, token: string, input: ReleaseInput = {}): Promise<Job> {
    const now = this.#clock.now();
    return this.#tx(async (c, changes) => {
      const job = await casRunning(
        c,
        this.#s,
        `state = 'scheduled', attempt = greatest(attempt - 1, 0), run_at = $3, updated_at = $4, ${DROP_LEASE}`,
        this.#id(id),
        token,
        [input.runAt ?? now, now],
      );
      changes.push(updated(job, 'running'));
      return job;
    });
  }

  async cancel(id: string, reason?: string): Promise<Job> {
    const now = this.#clock.now();
    return this.#tx(async (c, changes) => {
      const before = await lockJob(c, this.#s, this.#id(id));
      if (isTerminal(before.state)) {
        throw invalidState(before, 'cancel');
      }
      const { rows } = await c.query<JobRow>(
        `UPDATE ${this.#s}.jobs SET state = 'cancelled', cancel_reason = $2, finished_at = $3,
           updated_at = $3, ${DROP_LEASE} WHERE id = $1 RETURNING *`,
        [before.id, reason ?? null, now],
      );
      const job = rowToJob(rows[0] as JobRow);
      changes.push(updated(job, before.state));
      await cancelDependents(c, this.#s, [job.id], now, changes);
      return job;
    });
  }

  async retry(id: string, input: RetryInput = {}): Promise<Job> {
    const now = this.#clock.now();
    return this.#tx(async (c, changes) => {
      const before = await lockJob(c, this.#s, this.#id(id));
      if (!['failed', 'dead_letter', 'cancelled'].includes(before.state))
        throw invalidState(before, 'retry');
      const { rows } = await c.query<JobRow>(
        `UPDATE ${this.#s}.jobs SET state = 'scheduled', run_at = $2, updated_at = $2,
           finished_at = NULL, cancel_reason = NULL, attempt = ${input.resetAttempts ? '0' : 'attempt'}
         WHERE id = $1 RETURNING *`,
        [before.id, now],
      );
      const job = rowToJob(rows[0] as JobRow);
      changes.push(updated(job, before.state));
      return job;
    });
  }

  async delete(id: string): Promise<Job> {
    const now = this.#clock.now();
    return this.#tx(async (c, changes) => {
      const job = await lockJob(c, this.#s, this.#id(id));
      if (job.state === 'running') throw invalidState(job, 'delete');
      await c.query(`DELETE FROM ${this.#s}.jobs WHERE id = $1`, [job.id]);
      changes.push({
        kind: 'deleted',
        id: job.id,
        state: job.state,
        queue: job.queue,
        runAt: job.runAt,
        job,
      });
      await cancelDependents(c, this.#s, [job.id], now, changes);
      return job;
    });
  }

  async expiredLeases(now: number, limit: number): Promise<Job[]> {
    const rows = await this.#query<JobRow>(
      `SELECT * FROM ${this.#s}.jobs WHERE state = 'running' AND lease_expires_at <= $1
       ORDER BY lease_expires_at, seq LIMIT $2`,
      [now, limit],
    );
    return rows.map(rowToJob);
  }

  /** Five probes of the claim index (one per priority), so no second index on run_at is kept. */
  async nextRunAt(): Promise<number | undefined> {
    const rows = await this.#query<{ run_at: string | null }>(
      `SELECT min(x.run_at) AS run_at FROM generate_series(0, 4) AS p, LATERAL (
         SELECT run_at FROM ${this.#s}.jobs j WHERE state IN ${RUNNABLE} AND priority = p
           AND j.queue <> ALL (coalesce((SELECT array_agg(name) FROM ${this.#s}.queues WHERE paused), '{}'))
         ORDER BY run_at LIMIT 1) x`,
    );
    const runAt = rows[0]?.run_at;
    return runAt === null || runAt === undefined ? undefined : Number(runAt);
  }

  async purgeFinished(input: PurgeInput): Promise<number> {
    const limit = input.limit ?? 1000;
    if (input.states.length === 0 || limit <= 0) return 0;
    return this.#tx(async (c, changes) => {
      const { rows } = await c.query<{ id: string; state: Job['state']; queue: string }>(
        `DELETE FROM ${this.#s}.jobs WHERE id IN (
           SELECT id FROM ${this.#s}.jobs WHERE state = ANY($1::text[]) AND finished_at < $2
           ORDER BY finished_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING id, state, queue`,
        [input.states, input.finishedBefore, limit],
      );
      for (const row of rows)
        changes.push({ kind: 'deleted', id: row.id, state: row.state, queue: row.queue });
      return rows.length;
    });
  }

  listQueues(): Promise<QueueInfo[]> {
    return this.#queries.listQueues();
  }

  pauseQueue(name: string): Promise<void> {
    return this.#setPaused(name, true);
  }

  resumeQueue(name: string): Promise<void> {
    return this.#setPaused(name, false);
  }

  async #setPaused(name: string, paused: boolean): Promise<void> {
    await this.#tx(async (c, changes) => {
      await c.query(
        `INSERT INTO ${this.#s}.queues (name, paused) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET paused = excluded.paused`,
        [name, paused],
      );
      changes.push({ kind: 'queue', id: name, queue: name });
    });
  }

  async *scan(): AsyncIterable<Job> {
    let after = '';
    for (;;) {
      const rows = await this.#query<JobRow>(
        `SELECT * FROM ${this.#s}.jobs WHERE id > $1 ORDER BY id LIMIT 500`,
        [after],
      );
      for (const row of rows) yield rowToJob(row);
      const last = rows.at(-1);
      if (!last || rows.length < 500) return;
      after = last.id;
    }
  }

  async restore(jobs: readonly Job[]): Promise<void> {
    if (jobs.length === 0) return;
    const columns = ['seq', ...JOB_COLUMNS];
    await this.#tx(async (c, changes) => {
      const { rows } = await c.query<JobRow>(
        `INSERT INTO ${this.#s}.jobs (${columns.join(', ')})
         SELECT ${recordSelectList(columns)} FROM jsonb_to_recordset($1::jsonb) AS x(${RECORD_COLUMNS})
         ON CONFLICT (id) DO UPDATE SET ${columns.map((col) => `${col} = excluded.${col}`).join(', ')}
         RETURNING *`,
        [JSON.stringify(jobs.map(jobToRecord))],
      );
      const ids = rows.map((r) => r.id);
      await c.query(`DELETE FROM ${this.#s}.dependencies WHERE job_id = ANY($1::text[])`, [ids]);
      await c.query(
        `INSERT INTO ${this.#s}.dependencies (job_id, depends_on_id)
         SELECT j.id, w FROM ${this.#s}.jobs j, jsonb_array_elements_text(j.waiting_on) w
         WHERE j.id = ANY($1::text[]) AND j.state = 'pending' ON CONFLICT DO NOTHING`,
        [ids],
      );
      await c.query(
        `SELECT setval(pg_get_serial_sequence('${this.#s}.jobs', 'seq'),
           greatest((SELECT max(seq) FROM ${this.#s}.jobs),
                    (SELECT last_value FROM ${this.#s}.jobs_seq_seq)))`,
      );
      for (const row of rows) {
        const job = rowToJob(row);
        changes.push({
          kind: 'updated',
          id: job.id,
          state: job.state,
          queue: job.queue,
          runAt: job.runAt,
          job,
        });
      }
    });
  }

  subscribe(listener: (change: StoreChange) => void): () => void {
    return this.#feed.subscribe(listener);
  }

  /** @throws GQ_STORE_UNAVAILABLE naming the host when the database does not answer. */
  async ping(): Promise<void> {
    await this.#query('SELECT 1');
  }

  async sizeBytes(): Promise<number> {
    const rows = await this.#query<{ bytes: string | null }>(
      `SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
      [this.#s.slice(1, -1)],
    );
    return Number(rows[0]?.bytes ?? 0);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#compactTimer) clearInterval(this.#compactTimer);
    await this.#feed.drain();
    await this.#listener?.stop();
    if (this.#ownsPool) await this.#pool.end();
  }

  async #flushClaims(items: BatchItem<ClaimOptions, Job[]>[]): Promise<void> {
    const groups = new Map<string, BatchItem<ClaimOptions, Job[]>[]>();
    for (const item of items) {
      const key = JSON.stringify([item.input.types ?? null, item.input.queues ?? null]);
      groups.set(key, [...(groups.get(key) ?? []), item]);
    }
    const now = this.#clock.now();
    const results = await this.#tx(CLAIM_SETTINGS, async (c, changes) => {
      const out = new Map<BatchItem<ClaimOptions, Job[]>, Job[]>();
      for (const group of groups.values()) {
        const jobs = await claimMany(
          c,
          this.#s,
          group.map((item) => item.input),
          now,
          changes,
        );
        group.forEach((item, i) => out.set(item, jobs[i] ?? []));
      }
      return out;
    });
    for (const [item, jobs] of results) item.resolve(jobs);
  }

  async #flushCompletes(items: BatchItem<CompleteInput, Job>[]): Promise<void> {
    const results = await this.#tx((c, changes) =>
      completeMany(
        c,
        this.#s,
        items.map((item) => item.input),
        changes,
      ),
    );
    items.forEach((item, i) => {
      const result = results[i];
      if (result instanceof GqError) item.reject(result);
      else item.resolve(result as Job);
    });
  }

  async #compactCounts(): Promise<void> {
    await this.#query(compactCountsSql(this.#s));
  }

  #assertOpen(): void {
    if (this.#closed) throw new GqError(ErrorCode.STORE_CLOSED, 'the PostgreSQL store is closed');
  }

  /** An id the database can compare; anything else cannot exist. */
  #id(id: string): string {
    if (!isUuid(id)) throw notFound(String(id));
    return id;
  }

  async #query<R extends object>(text: string, values?: unknown[]): Promise<R[]> {
    this.#assertOpen();
    try {
      const result = await this.#pool.query<R>(text, values);
      return result.rows;
    } catch (err) {
      throw toStoreError(err, this.#where);
    }
  }

  /**
   * Runs `fn` in a transaction of its own, sends its changes by NOTIFY before COMMIT and hands
   * them to local listeners after. Retries the whole transaction on a deadlock.
   */
  async #tx<T>(
    ...args:
      | [fn: (client: pg.PoolClient, changes: StoreChange[]) => Promise<T>]
      | [settings: string, fn: (client: pg.PoolClient, changes: StoreChange[]) => Promise<T>]
  ): Promise<T> {
    const [settings, fn] = args.length === 1 ? [undefined, args[0]] : args;
    // One round trip (simple protocol) for BEGIN and the transaction's settings.
    const begin = [
      'BEGIN',
      this.#relaxed ? 'SET LOCAL synchronous_commit = off' : '',
      settings ?? '',
    ]
      .filter(Boolean)
      .join('; ');
    this.#assertOpen();
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (err) {
        throw toStoreError(err, this.#where);
      }
      const changes: StoreChange[] = [];
      try {
        await client.query(begin);
        const value = await fn(client, changes);
        await client.query('COMMIT');
        client.release();
        this.#feed.emit(changes);
        this.#feed.publish(changes);
        return value;
      } catch (err) {
        const broken = isUnavailable(err);
        if (!broken) await client.query('ROLLBACK').catch(() => undefined);
        client.release(broken ? (err as Error) : undefined);
        if (isRetryable(err) && attempt < 5) continue;
        throw toStoreError(err, this.#where);
      }
    }
  }
}

function invalidState(job: Job, action: string): GqError {
  return new GqError(
    ErrorCode.INVALID_STATE,
    `cannot ${action} job ${job.id}: it is ${job.state}`,
    {
      details: { id: job.id, state: job.state },
    },
  );
}

/** A jsonb parameter: SQL NULL for undefined (keep the column), JSON text otherwise. */
function jsonParam(value: Json | undefined): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
