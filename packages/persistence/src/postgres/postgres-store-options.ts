import type { Clock, Durability, Logger } from '@gopherqueue/core';
import type pg from 'pg';
import { SCHEMA_NAME } from './migrations.js';

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
  /**
   * Schema holding the tables; created and migrated at open.
   * @defaultValue env `GQ_POSTGRES_SCHEMA`, else `'gopherqueue'`
   */
  schema?: string;
  /**
   * Create the schema and its tables when the database has none; `false` opens only an existing
   * store (still migrating it) and creates nothing. @defaultValue true
   */
  createIfMissing?: boolean;
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

/** {@link PostgresStoreOptions} with defaults applied and values checked. */
export interface ResolvedPostgresOptions {
  schema: string;
  poolSize: number;
  relaxed: boolean;
  listen: boolean;
  /** How to connect: the application pool's settings, or the connection string's. */
  config: pg.ClientConfig;
}

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Applies the defaults of {@link PostgresStoreOptions} field by field and validates them.
 * @throws TypeError or RangeError naming the bad option.
 */
export function resolvePostgresOptions(options: PostgresStoreOptions): ResolvedPostgresOptions {
  const schema = options.schema ?? process.env.GQ_POSTGRES_SCHEMA ?? 'gopherqueue';
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
  return {
    schema,
    poolSize,
    relaxed: options.durability === 'relaxed',
    listen: options.listen ?? true,
    config,
  };
}
