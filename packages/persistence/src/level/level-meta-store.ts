import type { Json, MetaStore } from '@gopherqueue/core';
import { MISS, type GroupCommit, type LevelDb } from './group-commit.js';
import { keys } from './level-keys.js';

/** Above every character a meta key may hold, so `prefix + META_END` ends a prefix range. */
const META_END = '\u{10FFFF}';

/**
 * The LevelStore's {@link MetaStore}: `meta!<key>` entries written through the same group commit
 * as jobs, so a put is durable when it resolves.
 */
export class LevelMetaStore implements MetaStore {
  readonly #db: LevelDb;
  readonly #commit: GroupCommit;
  readonly #guard: () => void;

  constructor(db: LevelDb, commit: GroupCommit, guard: () => void) {
    this.#db = db;
    this.#commit = commit;
    this.#guard = guard;
  }

  async get(key: string): Promise<Json | undefined> {
    this.#guard();
    const cached = this.#commit.peek(keys.meta(key));
    if (cached !== MISS) return (cached ?? undefined) as Json | undefined;
    const unpin = this.#commit.pin();
    try {
      const raw = await this.#db.get(keys.meta(key));
      const after = this.#commit.peek(keys.meta(key));
      if (after !== MISS) return (after ?? undefined) as Json | undefined;
      return raw === undefined ? undefined : readJson(raw);
    } finally {
      unpin();
    }
  }

  async put(key: string, value: Json): Promise<void> {
    this.#guard();
    const json = JSON.stringify(value);
    this.#commit.put(keys.meta(key), json);
    this.#commit.cache(keys.meta(key), JSON.parse(json) as Json);
    await this.#commit.commit();
  }

  async delete(key: string): Promise<void> {
    this.#guard();
    this.#commit.del(keys.meta(key));
    this.#commit.cache(keys.meta(key), null);
    await this.#commit.commit();
  }

  async list(
    prefix: string,
    options: { limit?: number; reverse?: boolean; after?: string } = {},
  ): Promise<{ key: string; value: Json }[]> {
    this.#guard();
    const limit = options.limit ?? Infinity;
    if (limit <= 0) return [];
    // Reads after every earlier write is on disk, so a list sees what was put before it.
    await this.#commit.commit();
    const start = keys.meta(prefix);
    const end = keys.meta(prefix + META_END);
    const after = options.after === undefined ? undefined : keys.meta(options.after);
    const range: { gt?: string; gte?: string; lt?: string; lte?: string } = {};
    if (options.reverse === true) {
      range.gte = start;
      if (after !== undefined && after < end) range.lt = after;
      else range.lt = end;
    } else {
      if (after !== undefined && after >= start) range.gt = after;
      else range.gte = start;
      range.lt = end;
    }
    const entries = await this.#db
      .iterator({
        ...range,
        reverse: options.reverse === true,
        ...(limit === Infinity ? {} : { limit }),
      })
      .all();
    return entries
      .filter(([key]) => key.startsWith(start))
      .map(([key, raw]) => ({ key: key.slice('meta!'.length), value: readJson(raw) }));
  }
}

/**
 * A stored value, or null when it does not parse (it stays on disk): its entry still counts in a
 * listing's pages, and its readers take null as a value that names nothing.
 */
function readJson(raw: string): Json {
  try {
    return JSON.parse(raw) as Json;
  } catch {
    return null;
  }
}
