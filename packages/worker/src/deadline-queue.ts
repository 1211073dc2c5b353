import type { Clock } from '@gopherqueue/core';

/** An item's place in a {@link DeadlineQueue}: pass it to `cancel` to forget the item. */
export interface Deadline {
  /** When the item is due, on the queue's clock. */
  readonly at: number;
}

/** A lane's array is compacted when it holds more than this many gone entries, and more gone than live. */
const COMPACT_AFTER = 64;

class Entry<T> implements Deadline {
  /** False once the entry fired or was cancelled. */
  live = true;
  constructor(
    readonly item: T,
    readonly at: number,
    readonly lane: Lane<T>,
  ) {}
}

/** The entries of one delay, in arrival order, which is deadline order too. */
class Lane<T> {
  entries: Entry<T>[] = [];
  /** Entries before `head` are gone. */
  head = 0;
  /** Cancelled entries at or after `head`, still in the array. */
  dead = 0;

  /**
   * Steps past the gone entries at the head, and compacts once gone entries (past the head or
   * cancelled behind it) are more than {@link COMPACT_AFTER} and outnumber the live ones.
   */
  trim(): void {
    const { entries } = this;
    while (this.head < entries.length && entries[this.head]?.live === false) {
      this.head++;
      this.dead--;
    }
    const gone = this.head + this.dead;
    if (gone <= COMPACT_AFTER || gone * 2 <= entries.length) return;
    const live: Entry<T>[] = [];
    for (let i = this.head; i < entries.length; i++) {
      const entry = entries[i];
      if (entry?.live === true) live.push(entry);
    }
    this.entries = live;
    this.head = 0;
    this.dead = 0;
  }

  get empty(): boolean {
    return this.head === this.entries.length;
  }
}

/**
 * Many deadlines on ONE clock timer, instead of a timer per item. Items are kept per delay in
 * arrival order, which for a clock that does not go back is deadline order too, so adding and
 * cancelling are O(1) and the timer points at the earliest head.
 *
 * Most items are cancelled (an attempt ends long before its timeout), often right after they
 * were added. A cancelled entry is only marked: it leaves its lane when it reaches the head, or
 * when a lane holds more gone entries than live ones, so no item costs a hash-table insert and
 * delete. Cancelling leaves the timer armed: firing early finds nothing due and re-arms for the
 * new earliest deadline.
 */
export class DeadlineQueue<T> {
  readonly #clock: Clock;
  readonly #onDue: (item: T) => void;
  readonly #lanes = new Map<number, Lane<T>>();
  #timerAt = Infinity;
  #cancelTimer: (() => void) | undefined;
  readonly #fire = (): void => {
    this.#cancelTimer = undefined;
    this.#timerAt = Infinity;
    this.#run();
  };

  /** `onDue` is called once per item whose deadline passed, after it was taken out. */
  constructor(clock: Clock, onDue: (item: T) => void) {
    this.#clock = clock;
    this.#onDue = onDue;
  }

  /** Calls `onDue(item)` `delayMs` from now unless the returned deadline is cancelled first. */
  add(item: T, delayMs: number): Deadline {
    let lane = this.#lanes.get(delayMs);
    if (lane === undefined) {
      lane = new Lane();
      this.#lanes.set(delayMs, lane);
    }
    const now = this.#clock.now();
    const entry = new Entry(item, now + delayMs, lane);
    lane.entries.push(entry);
    if (entry.at < this.#timerAt) this.#arm(entry.at, now);
    return entry;
  }

  /** Forgets the item of `deadline`; nothing when it already fired or was cancelled. */
  cancel(deadline: Deadline | undefined): void {
    if (!(deadline instanceof Entry) || !deadline.live) return;
    deadline.live = false;
    const lane = deadline.lane as Lane<T>;
    lane.dead++;
    lane.trim();
  }

  /** Forgets every item and cancels the timer. */
  clear(): void {
    for (const lane of this.#lanes.values()) {
      for (const entry of lane.entries) entry.live = false;
    }
    this.#lanes.clear();
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#timerAt = Infinity;
  }

  /** Items waiting, for tests. */
  get size(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.entries.length - lane.head - lane.dead;
    return n;
  }

  /** Entries the lanes' arrays hold, gone ones included, for tests of the bound. */
  get held(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.entries.length;
    return n;
  }

  #run(): void {
    const now = this.#clock.now();
    let next = Infinity;
    for (const [delay, lane] of this.#lanes) {
      // `onDue` may add to this lane: its entries are due later than `now`, so the loop stops there.
      for (
        let entry = lane.entries[lane.head];
        entry !== undefined;
        entry = lane.entries[lane.head]
      ) {
        if (!entry.live) {
          lane.trim();
          continue;
        }
        if (entry.at > now) {
          if (entry.at < next) next = entry.at;
          break;
        }
        entry.live = false;
        lane.head++;
        this.#onDue(entry.item);
      }
      lane.trim();
      if (lane.empty) this.#lanes.delete(delay);
    }
    if (next < this.#timerAt) this.#arm(next, now);
  }

  #arm(at: number, now: number): void {
    this.#cancelTimer?.();
    this.#timerAt = at;
    this.#cancelTimer = this.#clock.setTimer(this.#fire, Math.max(0, at - now));
  }
}
