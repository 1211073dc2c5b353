/** A runnable job held back by its key's limit, out of its ready bucket until the key frees. */
export interface ParkedEntry {
  key: string;
  runAt: number;
  seq: number;
  id: string;
  group: string;
  queue: string;
  type: string;
  priority: number;
}

/** Claim order: priority, then runAt, then seq. */
function before(a: ParkedEntry, b: ParkedEntry): boolean {
  return (
    a.priority < b.priority ||
    (a.priority === b.priority && (a.runAt < b.runAt || (a.runAt === b.runAt && a.seq < b.seq)))
  );
}

/**
 * The ready entries a LevelStore's claims passed over because their key was at its limit (or, in
 * an ordered queue, was not the key's head). A claim parks such an entry here instead of reading
 * past it again and again; when the key frees a slot, the best parked entries (in claim order, as
 * many as slots were freed; for an ordered key, its new head) go back to their buckets. Their
 * `rdy!` keys stay on disk all along, so a restart simply finds them runnable again. The jobs stay
 * held in memory while parked.
 */
export class ParkedEntries {
  /** queue -> group -> entries in claim order */
  readonly #byGroup = new Map<string, Map<string, ParkedEntry[]>>();
  readonly #ids = new Map<string, ParkedEntry>();

  get size(): number {
    return this.#ids.size;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  park(entry: ParkedEntry): void {
    if (this.#ids.has(entry.id)) return;
    this.#ids.set(entry.id, entry);
    let groups = this.#byGroup.get(entry.queue);
    if (groups === undefined) {
      this.#byGroup.set(entry.queue, (groups = new Map<string, ParkedEntry[]>()));
    }
    let list = groups.get(entry.group);
    if (list === undefined) groups.set(entry.group, (list = []));
    const last = list[list.length - 1];
    if (last === undefined || before(last, entry)) list.push(entry);
    else {
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (before(list[mid] as ParkedEntry, entry)) lo = mid + 1;
        else hi = mid;
      }
      list.splice(lo, 0, entry);
    }
  }

  /** Forgets the entry of a job (it left the ready index); returns whether it was parked. */
  remove(id: string): boolean {
    const entry = this.#ids.get(id);
    if (entry === undefined) return false;
    this.#ids.delete(id);
    const list = this.#byGroup.get(entry.queue)?.get(entry.group);
    if (list !== undefined) {
      const at = list.indexOf(entry);
      if (at >= 0) list.splice(at, 1);
      this.#cleanup(entry.queue, entry.group, list);
    }
    return true;
  }

  #cleanup(queue: string, group: string, list: ParkedEntry[]): void {
    if (list.length > 0) return;
    const groups = this.#byGroup.get(queue);
    groups?.delete(group);
    if (groups?.size === 0) this.#byGroup.delete(queue);
  }

  /**
   * Takes out the first `count` entries of a key in claim order, or with `seq` only the entry of
   * that seq (an ordered key's head), or with `count` Infinity all of them.
   */
  release(queue: string, group: string, count: number, seq?: number): ParkedEntry[] {
    const list = this.#byGroup.get(queue)?.get(group);
    if (list === undefined || count <= 0) return [];
    let out: ParkedEntry[];
    if (seq !== undefined) {
      const at = list.findIndex((e) => e.seq === seq);
      out = at < 0 ? [] : list.splice(at, 1);
    } else {
      out = list.splice(0, Math.min(count, list.length));
    }
    for (const entry of out) this.#ids.delete(entry.id);
    this.#cleanup(queue, group, list);
    return out;
  }

  /** The keys of a queue with parked entries. */
  groupsOf(queue: string): string[] {
    return [...(this.#byGroup.get(queue)?.keys() ?? [])];
  }

  /** Per queue, the earliest runAt among its parked entries. */
  oldest(): Map<string, number> {
    const oldest = new Map<string, number>();
    for (const [queue, groups] of this.#byGroup) {
      for (const list of groups.values()) {
        for (const entry of list) {
          const known = oldest.get(queue);
          if (known === undefined || entry.runAt < known) oldest.set(queue, entry.runAt);
        }
      }
    }
    return oldest;
  }
}
