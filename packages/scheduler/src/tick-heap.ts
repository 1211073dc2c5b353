/** What a {@link TickHeap} holds: anything with a due time and a slot for its place in the heap. */
export interface HeapItem {
  /** When the item is due; set by the heap. */
  due: number;
  /** Its index in the heap, -1 when not in it; kept by the heap. */
  heapIndex: number;
}

/**
 * A binary min-heap of items by due time, indexed (each item knows its place), so changing or
 * removing an item's due time costs O(log n) and finding what is due costs nothing per item that
 * is not: the ticker of 10,000 schedules touches only the schedules due at a tick.
 */
export class TickHeap<T extends HeapItem> {
  readonly #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  /** The earliest due time, or undefined when empty. */
  peekDue(): number | undefined {
    return this.#items[0]?.due;
  }

  /** Puts `item` in the heap due at `due`, moving it if it is already there; undefined removes it. */
  set(item: T, due: number | undefined): void {
    if (due === undefined) {
      this.delete(item);
      return;
    }
    if (item.heapIndex < 0) {
      item.due = due;
      item.heapIndex = this.#items.length;
      this.#items.push(item);
      this.#up(item.heapIndex);
      return;
    }
    if (item.due === due) return;
    const earlier = due < item.due;
    item.due = due;
    if (earlier) this.#up(item.heapIndex);
    else this.#down(item.heapIndex);
  }

  delete(item: T): void {
    const i = item.heapIndex;
    if (i < 0) return;
    item.heapIndex = -1;
    const last = this.#items.pop() as T;
    if (i === this.#items.length) return;
    this.#items[i] = last;
    last.heapIndex = i;
    this.#up(i);
    this.#down(last.heapIndex);
  }

  /** Takes out the earliest item when it is due at or before `now`. */
  popDue(now: number): T | undefined {
    const top = this.#items[0];
    if (top === undefined || top.due > now) return undefined;
    this.delete(top);
    return top;
  }

  clear(): void {
    for (const item of this.#items) item.heapIndex = -1;
    this.#items.length = 0;
  }

  #up(i: number): void {
    const items = this.#items;
    const item = items[i] as T;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (p.due <= item.due) break;
      items[i] = p;
      p.heapIndex = i;
      i = parent;
    }
    items[i] = item;
    item.heapIndex = i;
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const item = items[i] as T;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && (items[right] as T).due < (items[child] as T).due) child = right;
      const c = items[child] as T;
      if (c.due >= item.due) break;
      items[i] = c;
      c.heapIndex = i;
      i = child;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
