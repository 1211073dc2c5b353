import type { Json, MetaStore } from '@gopherqueue/core';

/** Runs one query on the store's pool, mapping errors; given by the store. */
export type RunQuery = <R extends object>(text: string, values?: unknown[]) => Promise<R[]>;

/** {@link MetaStore} over the `meta` table; keys sort by code point (`COLLATE "C"`). */
export class PostgresMetaStore implements MetaStore {
  readonly #table: string;
  readonly #query: RunQuery;

  constructor(schema: string, query: RunQuery) {
    this.#table = `${schema}.meta`;
    this.#query = query;
  }

  async get(key: string): Promise<Json | undefined> {
    const rows = await this.#query<{ value: Json }>(
      `SELECT value FROM ${this.#table} WHERE key = $1`,
      [key],
    );
    return rows[0]?.value;
  }

  async put(key: string, value: Json): Promise<void> {
    await this.#query(
      `INSERT INTO ${this.#table} (key, value) VALUES ($1, $2::jsonb)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [key, JSON.stringify(value)],
    );
  }

  async delete(key: string): Promise<void> {
    await this.#query(`DELETE FROM ${this.#table} WHERE key = $1`, [key]);
  }

  async list(
    prefix: string,
    options: { limit?: number; reverse?: boolean; after?: string } = {},
  ): Promise<{ key: string; value: Json }[]> {
    const reverse = options.reverse ?? false;
    const values: unknown[] = [prefix];
    let where = `key >= $1 AND starts_with(key, $1)`;
    if (options.after !== undefined) {
      values.push(options.after);
      where += ` AND key ${reverse ? '<' : '>'} $${values.length}`;
    }
    let limit = '';
    if (options.limit !== undefined) {
      values.push(options.limit);
      limit = ` LIMIT $${values.length}`;
    }
    return this.#query<{ key: string; value: Json }>(
      `SELECT key, value FROM ${this.#table} WHERE ${where}
       ORDER BY key ${reverse ? 'DESC' : 'ASC'}${limit}`,
      values,
    );
  }
}
