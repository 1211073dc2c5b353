import type { Clock } from '@gopherqueue/core';

/**
 * Many deadlines on ONE clock timer, instead of a timer per item. Items are kept per delay in
 * arrival order, which for a clock that does not go back is deadline order too, so adding and
 * deleting are O(1) and the timer points at the earliest head. Deleting an item leaves the timer
 * armed: firing early finds nothing due and re-arms for the new earliest deadline.
 */
export class DeadlineQueue<T> {
  readonly #clock: Clock;
  readonly #onDue: (item: T) => void;
  /** delay -> (item -> deadline), in arrival order. */
  readonly #lanes = new Map<number, Map<T, number>>();
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

  /** Calls `onDue(item)` `delayMs` from now unless the item is deleted first. */
  add(item: T, delayMs: number): void {
    let lane = this.#lanes.get(delayMs);
    if (lane === undefined) {
      lane = new Map();
      this.#lanes.set(delayMs, lane);
    }
    const now = this.#clock.now();
    const at = now + delayMs;
    lane.delete(item);
    lane.set(item, at);
    if (at < this.#timerAt) this.#arm(at, now);
  }

  /** Forgets an item added with `delayMs`. */
  delete(item: T, delayMs: number): void {
    this.#lanes.get(delayMs)?.delete(item);
  }

  /** Forgets every item and cancels the timer. */
  clear(): void {
    this.#lanes.clear();
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#timerAt = Infinity;
  }

  #run(): void {
    const now = this.#clock.now();
    let next = Infinity;
    for (const [delay, lane] of this.#lanes) {
      for (const [item, at] of lane) {
        if (at > now) {
          if (at < next) next = at;
          break;
        }
        lane.delete(item);
        this.#onDue(item);
      }
      if (lane.size === 0) this.#lanes.delete(delay);
    }
    if (next < this.#timerAt) this.#arm(next, now);
  }

  #arm(at: number, now: number): void {
    this.#cancelTimer?.();
    this.#timerAt = at;
    this.#cancelTimer = this.#clock.setTimer(this.#fire, Math.max(0, at - now));
  }
}
