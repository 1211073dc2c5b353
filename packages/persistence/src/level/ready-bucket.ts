import { bucketPrefix } from './level-keys.js';

/** One runnable job at the head of a bucket. */
export interface ReadyEntry {
  key: string;
  runAt: number;
  seq: number;
  id: string;
  group?: string | undefined;
}

/**
 * One bucket of the ready index (a queue, a type and a priority). Its first entries in claim order
 * are in memory (`entries` from `at`); the rest are only on disk. Every key of the bucket up to
 * `tail` is in memory or gone; with `exhausted`, every key of the bucket is.
 */
export class Bucket {
  readonly prefix: string;
  readonly queue: string;
  readonly type: string;
  readonly priority: number;
  entries: ReadyEntry[] = [];
  at = 0;
  readonly ids = new Set<string>();
  tail: string | undefined;
  exhausted: boolean;
  refilling: Promise<void> | undefined;
  /** Bumped when entries leave memory for disk only, which voids a refill in flight. */
  generation = 0;

  constructor(queue: string, type: string, priority: number, exhausted: boolean) {
    this.queue = queue;
    this.type = type;
    this.priority = priority;
    this.prefix = bucketPrefix(queue, type, priority);
    this.exhausted = exhausted;
  }

  get size(): number {
    return this.entries.length - this.at;
  }

  first(): ReadyEntry | undefined {
    return this.entries[this.at];
  }

  last(): ReadyEntry | undefined {
    return this.size > 0 ? this.entries[this.entries.length - 1] : undefined;
  }

  /** Where `key` is, or would go, among the entries in memory. */
  indexOf(key: string): number {
    let lo = this.at;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.entries[mid] as ReadyEntry).key < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(entry: ReadyEntry): void {
    const last = this.last();
    if (last === undefined || last.key < entry.key) this.entries.push(entry);
    else this.entries.splice(this.indexOf(entry.key), 0, entry);
    this.ids.add(entry.id);
  }

  /** Drops the entry of `key` from memory, when it is there. */
  remove(id: string, key: string): void {
    if (!this.ids.delete(id)) return;
    const i = this.indexOf(key);
    if (this.entries[i]?.id !== id) return;
    if (i === this.at) this.shift();
    else this.entries.splice(i, 1);
  }

  /** Takes the first entry out of memory. */
  shift(): void {
    const first = this.entries[this.at];
    if (first === undefined) return;
    this.ids.delete(first.id);
    this.entries[this.at] = undefined as unknown as ReadyEntry;
    this.at++;
    if (this.at >= 1024 && this.at * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.at);
      this.at = 0;
    }
  }
}
