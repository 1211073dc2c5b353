import type { GroupState } from '@gopherqueue/core';
import type { GroupBook } from './group-book.js';
import type { QueueLimiter } from './queue-limiter.js';
import type { GroupGate, ReadyBuckets } from './ready-buckets.js';

/**
 * Per-key flow control of a LevelStore: the gate a claim asks whether a job of a key may start
 * (fewer running jobs of the key than the queue allows; in an ordered queue, the key's head with
 * none of its jobs running), and what happens when a key frees: its best parked entries, as many
 * as it has free slots (for an ordered key, its new head), go back to their buckets. Everything
 * is decided synchronously against memory, which one process owns, so the limit is exact.
 */
export class LevelGroups {
  readonly #book: GroupBook;
  readonly #limiter: QueueLimiter;
  readonly #ready: ReadyBuckets;

  constructor(book: GroupBook, limiter: QueueLimiter, ready: ReadyBuckets) {
    this.#book = book;
    this.#limiter = limiter;
    this.#ready = ready;
    book.onFreed = (queue, group) => this.#freed(queue, group);
  }

  /** A gate for one claim, or undefined when no queue limits its keys. */
  gate(): GroupGate | undefined {
    if (!this.#limiter.grouped) return undefined;
    const taken = new Map<string, number>();
    const book = this.#book;
    const limiter = this.#limiter;
    return {
      limits: (queue) => limiter.groupLimit(queue) !== null,
      allows(queue, group, seq) {
        const limit = limiter.groupLimit(queue);
        if (limit === null) return true;
        const running = book.running(queue, group) + (taken.get(`${queue}\u0000${group}`) ?? 0);
        if (running >= limit) return false;
        return limiter.get(queue).ordered !== true || book.head(queue, group)?.seq === seq;
      },
      took(queue, group) {
        const key = `${queue}\u0000${group}`;
        taken.set(key, (taken.get(key) ?? 0) + 1);
      },
    };
  }

  /** One key now. */
  state(queue: string, group: string): GroupState {
    const state: GroupState = { queue, group, running: this.#book.running(queue, group) };
    const head = this.#book.head(queue, group);
    if (head !== undefined) state.headId = head.id;
    return state;
  }

  /** A queue's settings changed: its parked entries go back, to be judged by the new ones. */
  settingsChanged(queue: string): void {
    this.#ready.unparkQueue(queue);
  }

  #freed(queue: string, group: string): void {
    const limit = this.#limiter.groupLimit(queue);
    if (limit === null) {
      this.#ready.unpark(queue, group, Number.POSITIVE_INFINITY);
      return;
    }
    const free = limit - this.#book.running(queue, group);
    if (free <= 0) return;
    if (this.#limiter.get(queue).ordered === true) {
      const head = this.#book.head(queue, group);
      if (head !== undefined) this.#ready.unpark(queue, group, 1, head.seq);
      return;
    }
    this.#ready.unpark(queue, group, free);
  }
}
