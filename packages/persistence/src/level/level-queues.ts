import {
  hasLimits,
  MAX_GROUPS_LISTED,
  type Clock,
  type QueueInfo,
  type QueueLimits,
  type QueuePatch,
  type QueueState,
} from '@gopherqueue/core';
import type { GroupBook } from './group-book.js';
import type { LevelGroups } from './level-groups.js';
import type { CountBook } from './count-book.js';
import type { GroupCommit } from './group-commit.js';
import { keys } from './level-keys.js';
import type { QueueLimiter } from './queue-limiter.js';
import type { ReadyBuckets } from './ready-buckets.js';

/** What {@link LevelQueues} reads and writes. */
export interface LevelQueuesContext {
  counts: CountBook;
  paused: Set<string>;
  limiter: QueueLimiter;
  ready: ReadyBuckets;
  commit: GroupCommit;
  clock: Clock;
  book: GroupBook;
  groups: LevelGroups;
}

/**
 * The queues of a LevelStore: their settings (paused in `queue!<name>`, limits in
 * `qset!<name>`, both also in memory), counts and limit state, as `listQueues`, `getQueue` and
 * `setQueue` give them. The store checks its state and arguments first.
 */
export class LevelQueues {
  readonly #ctx: LevelQueuesContext;

  constructor(context: LevelQueuesContext) {
    this.#ctx = context;
  }

  /** Queues that hold jobs or have settings, by name. */
  async list(): Promise<QueueInfo[]> {
    const { counts, paused, limiter, ready, clock } = this.#ctx;
    const names = new Set([...counts.queueNames(), ...paused, ...limiter.names()]);
    const oldest = await ready.oldestDue(clock.now());
    return [...names].sort().map((name) => this.#info(name, oldest));
  }

  /** One queue now. */
  async get(name: string): Promise<QueueState> {
    const { limiter, ready, clock } = this.#ctx;
    const oldest = await ready.oldestDue(clock.now());
    const now = clock.now();
    const state: QueueState = {
      ...this.#info(name, oldest),
      rateRemaining: limiter.remaining(name, now),
    };
    const nextStartAt = limiter.nextStartAt(name, now);
    if (nextStartAt !== undefined) state.nextStartAt = nextStartAt;
    const groupLimit = limiter.groupLimit(name);
    if (groupLimit !== null) {
      state.groupsAtLimit = this.#ctx.book.atLimit(name, groupLimit, MAX_GROUPS_LISTED);
    }
    return state;
  }

  /** Applies a checked patch in memory and to the pending batch, with its change. */
  apply(name: string, patch: QueuePatch): void {
    const { paused, limiter, commit } = this.#ctx;
    if (patch.paused === true) {
      paused.add(name);
      commit.put(keys.queueRecord(name), JSON.stringify({ paused: true }));
    } else if (patch.paused === false) {
      paused.delete(name);
      commit.del(keys.queueRecord(name));
    }
    if (
      patch.concurrency !== undefined ||
      patch.rate !== undefined ||
      patch.groupConcurrency !== undefined ||
      patch.ordered !== undefined ||
      patch.agingMs !== undefined
    ) {
      const before = limiter.get(name);
      const limits: QueueLimits = {
        concurrency: patch.concurrency === undefined ? before.concurrency : patch.concurrency,
        rate: patch.rate === undefined ? before.rate : patch.rate,
        groupConcurrency: patch.groupConcurrency ?? before.groupConcurrency ?? null,
        ordered: patch.ordered ?? before.ordered === true,
        agingMs: patch.agingMs === undefined ? (before.agingMs ?? null) : patch.agingMs,
      };
      if (patch.groupConcurrency === null) limits.groupConcurrency = null;
      limiter.set(name, limits);
      if (!hasLimits(limits)) commit.del(keys.queueLimits(name));
      else commit.put(keys.queueLimits(name), JSON.stringify(limits));
      this.#ctx.groups.settingsChanged(name);
    }
    commit.change({ kind: 'queue', id: name, queue: name });
  }

  #info(name: string, oldest: ReadonlyMap<string, number>): QueueInfo {
    const { concurrency, rate, groupConcurrency, ordered, agingMs } = this.#ctx.limiter.get(name);
    const info: QueueInfo = {
      name,
      paused: this.#ctx.paused.has(name),
      concurrency,
      rate,
      byState: this.#ctx.counts.queueCounts(name),
    };
    if (groupConcurrency !== undefined && groupConcurrency !== null) {
      info.groupConcurrency = groupConcurrency;
    }
    if (ordered === true) info.ordered = true;
    if (agingMs !== undefined && agingMs !== null) info.agingMs = agingMs;
    const oldestWaitingAt = oldest.get(name);
    if (oldestWaitingAt !== undefined) info.oldestWaitingAt = oldestWaitingAt;
    return info;
  }
}
