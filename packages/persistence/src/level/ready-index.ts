import type { Job } from '@gopherqueue/core';

/** One runnable job in a heap; `live` turns false when the job leaves the ready set. */
export interface ReadyEntry {
  runAt: number;
  seq: number;
  id: string;
  live: boolean;
}

/** A binary min-heap of entries by (runAt, seq), with lazily dropped dead entries. */
class EntryHeap {
  readonly items: ReadyEntry[] = [];
  dead = 0;

  push(entry: ReadyEntry): void {
    const items = this.items;
    let i = items.length;
    items.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as ReadyEntry;
      if (!before(entry, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = entry;
  }

  /** The first live entry, dropping dead ones on the way. */
  top(): ReadyEntry | undefined {
    let first = this.items[0];
    while (first !== undefined && !first.live) {
      this.pop();
      this.dead--;
      first = this.items[0];
    }
    return first;
  }

  pop(): ReadyEntry | undefined {
    const items = this.items;
    const first = items[0];
    const last = items.pop();
    if (first === undefined || last === undefined || items.length === 0) return first;
    let i = 0;
    const n = items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && before(items[right] as ReadyEntry, items[left] as ReadyEntry)) child = right;
      const c = items[child] as ReadyEntry;
      if (!before(c, last)) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
    return first;
  }

  /** Rebuilds without dead entries once they outnumber the live ones. */
  compact(): void {
    if (this.dead < 1024 || this.dead * 2 < this.items.length) return;
    const live = this.items.filter((e) => e.live);
    this.items.length = 0;
    this.dead = 0;
    for (const entry of live) this.push(entry);
  }
}

/** Live entries of `heap` due at `now`, counted up to `limit`. */
function dueIn(heap: EntryHeap, now: number, limit: number): number {
  const items = heap.items;
  const stack = [0];
  let count = 0;
  for (let at = stack.pop(); at !== undefined && count < limit; at = stack.pop()) {
    const entry = items[at];
    if (entry === undefined || entry.runAt > now) continue;
    if (entry.live) count++;
    stack.push(2 * at + 2, 2 * at + 1);
  }
  return count;
}

function before(a: ReadyEntry, b: ReadyEntry): boolean {
  return a.runAt < b.runAt || (a.runAt === b.runAt && a.seq < b.seq);
}

/** Which jobs a claim may take. */
export interface ReadyFilter {
  now: number;
  paused: ReadonlySet<string>;
  types?: readonly string[] | undefined;
  queues?: readonly string[] | undefined;
}

/**
 * Runnable jobs (scheduled, delayed, retrying) in claim order: one heap by (runAt, seq) per
 * queue, type and priority, so a claim looks only at the heads of the heaps it may take from.
 */
export class ReadyIndex {
  /** queue -> type -> five heaps, index = priority. */
  #buckets = new Map<string, Map<string, EntryHeap[]>>();
  #entries = new Map<string, { entry: ReadyEntry; heap: EntryHeap }>();

  get size(): number {
    return this.#entries.size;
  }

  add(job: Job): void {
    this.remove(job.id);
    let types = this.#buckets.get(job.queue);
    if (types === undefined) {
      types = new Map();
      this.#buckets.set(job.queue, types);
    }
    let heaps = types.get(job.type);
    if (heaps === undefined) {
      heaps = [new EntryHeap(), new EntryHeap(), new EntryHeap(), new EntryHeap(), new EntryHeap()];
      types.set(job.type, heaps);
    }
    const heap = heaps[job.priority] as EntryHeap;
    const entry: ReadyEntry = { runAt: job.runAt, seq: job.seq, id: job.id, live: true };
    heap.push(entry);
    this.#entries.set(job.id, { entry, heap });
  }

  remove(id: string): void {
    const found = this.#entries.get(id);
    if (found === undefined) return;
    this.#entries.delete(id);
    found.entry.live = false;
    found.heap.dead++;
    found.heap.compact();
  }

  /** Removes and returns the ids of up to `limit` due jobs, in claim order. */
  take(limit: number, filter: ReadyFilter): string[] {
    const byPriority = this.#candidates(filter);
    const taken: string[] = [];
    for (const heaps of byPriority) {
      while (taken.length < limit) {
        let best: EntryHeap | undefined;
        let bestEntry: ReadyEntry | undefined;
        for (const heap of heaps) {
          const top = heap.top();
          if (top === undefined || top.runAt > filter.now) continue;
          if (bestEntry === undefined || before(top, bestEntry)) {
            best = heap;
            bestEntry = top;
          }
        }
        if (best === undefined || bestEntry === undefined) break;
        best.pop();
        this.#entries.delete(bestEntry.id);
        taken.push(bestEntry.id);
      }
      if (taken.length >= limit) break;
    }
    return taken;
  }

  /** The earliest runAt among runnable jobs of unpaused queues. */
  nextRunAt(paused: ReadonlySet<string>): number | undefined {
    let earliest: number | undefined;
    for (const heaps of this.#candidates({ now: 0, paused })) {
      for (const heap of heaps) {
        const top = heap.top();
        if (top !== undefined && (earliest === undefined || top.runAt < earliest)) {
          earliest = top.runAt;
        }
      }
    }
    return earliest;
  }

  /**
   * Due entries (`runAt <= now`) per type, of types not in `exclude`, each counted up to
   * `limit`; the first `maxTypes` types by name that have one. A heap's due entries sit at its
   * top (a child never comes before its parent), so counting walks only those.
   */
  countDue(
    now: number,
    exclude: ReadonlySet<string>,
    limit: number,
    maxTypes: number,
  ): { type: string; count: number }[] {
    const heapsOf = new Map<string, EntryHeap[]>();
    for (const byType of this.#buckets.values()) {
      for (const [type, heaps] of byType) {
        if (exclude.has(type)) continue;
        let all = heapsOf.get(type);
        if (all === undefined) heapsOf.set(type, (all = []));
        for (const heap of heaps) if (heap.items.length > 0) all.push(heap);
      }
    }
    const counts: { type: string; count: number }[] = [];
    for (const type of [...heapsOf.keys()].sort()) {
      let count = 0;
      for (const heap of heapsOf.get(type) ?? []) {
        if (count >= limit) break;
        count += dueIn(heap, now, limit - count);
      }
      if (count > 0) counts.push({ type, count });
      if (counts.length >= maxTypes) break;
    }
    return counts;
  }

  #candidates(filter: ReadyFilter): EntryHeap[][] {
    const byPriority: EntryHeap[][] = [[], [], [], [], []];
    const types = filter.types === undefined ? undefined : new Set(filter.types);
    const queues = filter.queues === undefined ? undefined : new Set(filter.queues);
    for (const [queue, byType] of this.#buckets) {
      if (filter.paused.has(queue) || (queues !== undefined && !queues.has(queue))) continue;
      for (const [type, heaps] of byType) {
        if (types !== undefined && !types.has(type)) continue;
        heaps.forEach((heap, priority) => {
          if (heap.items.length > 0) byPriority[priority]?.push(heap);
        });
      }
    }
    return byPriority;
  }
}
