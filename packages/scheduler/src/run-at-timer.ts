import type { Clock } from '@gopherqueue/core';

/** Future run-ats remembered at most; past it they are forgotten and re-read from the store. */
const MAX_TIMES = 10_000;

/**
 * One clock timer for many future run-ats: it is always set for the earliest one remembered, and
 * when it fires it calls `fire` once for every run-at that passed, then sets itself for the next.
 * Remembering each run-at (not only the earliest) matters when the earliest runnable job of the
 * store is one no claimer takes: the store's next run-at then stays in the past and cannot name
 * the later ones. At most {@link MAX_TIMES} are kept; more forget them all (`overflow` is called,
 * so the caller re-reads the earliest from the store and relies on its slow re-check).
 */
export class RunAtTimer {
  readonly #clock: Clock;
  readonly #fire: () => void;
  readonly #overflow: () => void;
  /** A min-heap of distinct times. */
  readonly #heap: number[] = [];
  readonly #times = new Set<number>();
  #timerAt: number | undefined;
  #cancel: (() => void) | undefined;

  constructor(clock: Clock, fire: () => void, overflow: () => void) {
    this.#clock = clock;
    this.#fire = fire;
    this.#overflow = overflow;
  }

  /** Remembers `at` and sets the timer for it if it is the earliest. */
  add(at: number): void {
    if (this.#times.has(at)) return;
    if (this.#heap.length >= MAX_TIMES) {
      this.clear();
      this.#overflow();
    }
    this.#times.add(at);
    push(this.#heap, at);
    this.#arm();
  }

  /** Forgets every run-at and cancels the timer. */
  clear(): void {
    this.#heap.length = 0;
    this.#times.clear();
    this.#cancel?.();
    this.#cancel = undefined;
    this.#timerAt = undefined;
  }

  #arm(): void {
    const first = this.#heap[0];
    if (first === this.#timerAt) return;
    this.#cancel?.();
    this.#cancel = undefined;
    this.#timerAt = first;
    if (first === undefined) return;
    this.#cancel = this.#clock.setTimer(
      () => {
        this.#cancel = undefined;
        this.#timerAt = undefined;
        const now = this.#clock.now();
        while (this.#heap[0] !== undefined && this.#heap[0] <= now) {
          this.#times.delete(pop(this.#heap) as number);
        }
        this.#arm();
        this.#fire();
      },
      Math.max(0, first - this.#clock.now()),
    );
  }
}

function push(heap: number[], value: number): void {
  let i = heap.length;
  heap.push(value);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const above = heap[parent] as number;
    if (above <= value) break;
    heap[i] = above;
    i = parent;
  }
  heap[i] = value;
}

function pop(heap: number[]): number | undefined {
  const first = heap[0];
  const last = heap.pop();
  if (first === undefined || last === undefined || heap.length === 0) return first;
  let i = 0;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= heap.length) break;
    const right = heap[child + 1];
    if (right !== undefined && right < (heap[child] as number)) child++;
    const below = heap[child] as number;
    if (below >= last) break;
    heap[i] = below;
    i = child;
  }
  heap[i] = last;
  return first;
}
