import type { Json, MetaStore } from '@gopherqueue/core';

/**
 * A `MetaStore` over a Map, for tests that need no real store. `after` skips keys up to and
 * including it in iteration order (ascending, or descending with `reverse`).
 */
export class MapMetaStore implements MetaStore {
  readonly entries = new Map<string, string>();

  get(key: string): Promise<Json | undefined> {
    const raw = this.entries.get(key);
    return Promise.resolve(raw === undefined ? undefined : (JSON.parse(raw) as Json));
  }

  put(key: string, value: Json): Promise<void> {
    this.entries.set(key, JSON.stringify(value));
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.entries.delete(key);
    return Promise.resolve();
  }

  list(
    prefix: string,
    options: { limit?: number; reverse?: boolean; after?: string } = {},
  ): Promise<{ key: string; value: Json }[]> {
    const { after, reverse = false, limit = Infinity } = options;
    let keys = [...this.entries.keys()].filter((k) => k.startsWith(prefix)).sort();
    if (reverse) keys.reverse();
    if (after !== undefined) keys = keys.filter((k) => (reverse ? k < after : k > after));
    return Promise.resolve(
      keys
        .slice(0, limit)
        .map((key) => ({ key, value: JSON.parse(this.entries.get(key)!) as Json })),
    );
  }
}
