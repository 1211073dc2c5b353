import { ErrorCode, GqError, type StoreChange } from '@gopherqueue/core';
import type pg from 'pg';
import type { ChangeFeed } from './change-feed.js';
import { isRetryable, isUnavailable, toStoreError } from './pg-errors.js';

/**
 * A transaction body: runs its statements on `client` and records its changes. `first` holds
 * the rows of the last statement sent with BEGIN (see {@link PgExecutor.tx}'s `settings`).
 */
export type TxBody<T> = (
  client: pg.PoolClient,
  changes: StoreChange[],
  first: unknown[],
  /**
   * Sends `sql` (literals only: simple protocol) in the COMMIT's message, so the transaction's
   * last write costs no round trip of its own. A failure of it rolls the transaction back.
   */
  atCommit: (sql: string) => void,
) => Promise<T>;

/**
 * Runs the statements of a {@link PostgresStore} on its pool: single statements, and transactions
 * whose changes go to the change feed once they commit. Turns driver errors into `GqError`s that
 * name the database, and refuses work once closed.
 */
export class PgExecutor {
  readonly #pool: pg.Pool;
  readonly #where: string;
  readonly #relaxed: boolean;
  readonly #feed: ChangeFeed;
  #closed = false;

  /**
   * @param where - the database as error messages name it (`host:port/db`).
   * @param relaxed - commit with `synchronous_commit = off`.
   */
  constructor(pool: pg.Pool, where: string, relaxed: boolean, feed: ChangeFeed) {
    this.#pool = pool;
    this.#where = where;
    this.#relaxed = relaxed;
    this.#feed = feed;
  }

  /** The database as error messages name it. */
  get where(): string {
    return this.#where;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Refuses later calls with GQ_STORE_CLOSED. */
  markClosed(): void {
    this.#closed = true;
  }

  /** @throws GQ_STORE_CLOSED once {@link markClosed} was called. */
  assertOpen(): void {
    if (this.#closed) throw new GqError(ErrorCode.STORE_CLOSED, 'the PostgreSQL store is closed');
  }

  /** One autocommit statement; its rows. */
  async query<R extends object>(text: string, values?: unknown[]): Promise<R[]> {
    this.assertOpen();
    try {
      const result = await this.#pool.query<R>(text, values);
      return result.rows;
    } catch (err) {
      throw toStoreError(err, this.#where);
    }
  }

  /**
   * Runs `fn` in a transaction of its own (after the optional `SET LOCAL` settings) and hands its
   * changes to local listeners after COMMIT. Other processes hear of them by NOTIFY: `after` the
   * commit, batched with other transactions' (cheap: the hot path), or `inside` it, delivered at
   * the commit itself (for a job leaving `running` by recovery or cancel, so that a node that
   * claims it next never hears of the old attempt's end after its own claim). Retries the whole
   * transaction on a deadlock or serialization failure, up to five times. `settings` go in
   * the same message as BEGIN (the simple protocol, so no parameters): `SET LOCAL`s, and may
   * end with one statement whose rows `fn` gets as `first`, which saves it a round trip.
   */
  async tx<T>(
    fn: TxBody<T>,
    settings?: string,
    announce: 'after' | 'inside' = 'after',
  ): Promise<T> {
    // One round trip (simple protocol) for BEGIN and the transaction's settings.
    const begin = this.#begin(settings);
    this.assertOpen();
    const { value, changes } = await this.#attempts(async (client) => {
      const changes: StoreChange[] = [];
      const closing: string[] = [];
      const begun = (await client.query(begin)) as unknown as pg.QueryResult | pg.QueryResult[];
      const last = Array.isArray(begun) ? begun.at(-1) : begun;
      const value = await fn(client, changes, last?.rows ?? [], (sql) => closing.push(sql));
      if (announce === 'inside') await this.#feed.notifyOwn(client, changes);
      await client.query([...closing, 'COMMIT'].join('; '));
      return { value, changes };
    });
    this.#feed.emit(changes);
    if (announce === 'after') this.#feed.publish(changes);
    return value;
  }

  /**
   * A transaction of two round trips: BEGIN, `settings` and `reads` (the simple protocol:
   * literals only) in one message; `plan` gets the rows of each of `reads` and returns the
   * statements to run next, which go in one message with COMMIT, and how to read their rows (as
   * {@link script}'s `read`). For a transaction whose writes depend on what its first statements
   * locked and read, without a round trip per write. Retried whole on a deadlock, up to five
   * times.
   */
  async lockThenScript<T>(
    settings: string,
    reads: readonly string[],
    plan: (rowSets: unknown[][]) => {
      statements: readonly string[];
      read: (rowSets: unknown[][], changes: StoreChange[]) => T;
    },
  ): Promise<T> {
    const begin = [this.#begin(settings), ...reads].join('; ');
    this.assertOpen();
    const { rowSets, read } = await this.#attempts(async (client) => {
      const begun = (await client.query(begin)) as unknown as pg.QueryResult[];
      const next = plan(begun.slice(begun.length - reads.length).map((r) => r.rows as unknown[]));
      const results = (await client.query([...next.statements, 'COMMIT'].join('; '))) as unknown as
        pg.QueryResult | pg.QueryResult[];
      const all = Array.isArray(results) ? results : [results];
      return {
        rowSets: all.slice(0, next.statements.length).map((r) => r.rows as unknown[]),
        read: next.read,
      };
    });
    return this.#read(rowSets, read);
  }

  /**
   * Runs `statements` in one transaction sent as one simple-protocol message (BEGIN, settings,
   * the statements, COMMIT: a single round trip), so their values must be written in as
   * literals. `read` turns each statement's rows into the result and records the changes, which
   * go to the change feed as for {@link tx}. Retried whole on a deadlock, up to five times.
   */
  async script<T>(
    statements: readonly string[],
    settings: string | undefined,
    read: (rowSets: unknown[][], changes: StoreChange[]) => T,
  ): Promise<T> {
    const head = this.#begin(settings);
    const skip = head.split('; ').length;
    const text = `${head}; ${statements.join('; ')}; COMMIT`;
    this.assertOpen();
    // A failed statement leaves the transaction aborted and the rest of the message unrun.
    const results = await this.#attempts(
      async (client) => (await client.query(text)) as unknown as pg.QueryResult[],
    );
    const rowSets = results.slice(skip, skip + statements.length).map((r) => r.rows as unknown[]);
    return this.#read(rowSets, read);
  }

  /** BEGIN and the transaction's settings, as one simple-protocol text. */
  #begin(settings: string | undefined): string {
    return ['BEGIN', this.#relaxed ? 'SET LOCAL synchronous_commit = off' : '', settings ?? '']
      .filter(Boolean)
      .join('; ');
  }

  /**
   * Runs `body` on a client of the pool and releases it. On a failure the transaction is rolled
   * back (unless the connection broke, which is then dropped from the pool), and the whole body
   * retried on a deadlock or serialization failure, up to five times.
   */
  async #attempts<R>(body: (client: pg.PoolClient) => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (err) {
        throw toStoreError(err, this.#where);
      }
      try {
        const result = await body(client);
        client.release();
        return result;
      } catch (err) {
        const broken = isUnavailable(err);
        if (!broken) await client.query('ROLLBACK').catch(() => undefined);
        client.release(broken ? (err as Error) : undefined);
        if (isRetryable(err) && attempt < 5) continue;
        throw toStoreError(err, this.#where);
      }
    }
  }

  /** Reads a committed script's rows and hands its changes to the feed. */
  #read<T>(rowSets: unknown[][], read: (rowSets: unknown[][], changes: StoreChange[]) => T): T {
    const changes: StoreChange[] = [];
    const value = read(rowSets, changes);
    this.#feed.emit(changes);
    this.#feed.publish(changes);
    return value;
  }
}
