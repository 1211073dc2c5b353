import {
  ErrorCode,
  isGqError,
  MAX_FIRE_BATCH,
  noopLogger,
  systemClock,
  type Clock,
  type Component,
  type ComponentStatus,
  type Logger,
  type FireOutcome,
  type NamedFireInput,
  type Store,
  type StoredSchedule,
} from '@gopherqueue/core';
import { tickJobBuilder, type TickJobBuilder } from './schedule-job.js';
import { checkScheduleDefinition, type TickPlan } from './schedule-plan.js';
import { PlanCache } from './plan-cache.js';
import { TickHeap } from './tick-heap.js';
import { nextTick, workOf, type Entry, type Work } from './tick-work.js';

/** Options of {@link ScheduleTicker}. */
export interface ScheduleTickerOptions {
  store: Store;
  /** @defaultValue systemClock */
  clock?: Clock;
  /** @defaultValue noopLogger */
  logger?: Logger;
  /**
   * How often the schedules are re-read, to see changes made by other processes (a change made
   * through this process's {@link ScheduleTicker.refresh} is seen at once). @defaultValue 5000
   */
  refreshMs?: number;
  /**
   * While running, a tick at most this late still fires as on time (a timer delayed by a busy
   * event loop); an older one was missed and follows the schedule's `misfire`. @defaultValue 60_000
   */
  lateMs?: number;
  /** 0 <= random < 1, for jitter. @defaultValue Math.random */
  random?: () => number;
  /**
   * The most ticks one store call fires (1..{@link MAX_FIRE_BATCH}): a pass fires its due
   * schedules' ticks in batches of `store.schedules.fireMany`, each one write (one LevelDB batch,
   * one PostgreSQL transaction). @defaultValue 256
   */
  batchSize?: number;
  /**
   * How far ahead of its tick a schedule's job is created (0..{@link MAX_SCHEDULE_LEAD_MS} ms):
   * it is written as a job that waits for its tick, so the write (and its fsync) is done by then
   * and the job starts at the tick as any delayed job does. A schedule paused, changed or deleted
   * less than this before a tick still runs that tick's job, as created. @defaultValue 0
   */
  leadMs?: number;
  /**
   * The most batches in flight at once (1..{@link MAX_TICKER_CONCURRENCY}), so the next batch
   * is built while one is written and a server store's pool is used. @defaultValue 4
   */
  concurrency?: number;
}

/** The most a ticker creates a tick's job ahead of its tick. */
export const MAX_SCHEDULE_LEAD_MS = 60_000;

/** The lead `gq serve` gives its ticker: jobs of a tick are written a second ahead. */
export const SCHEDULE_LEAD_MS = 1000;

/** The most batches a ticker has in flight at once. */
export const MAX_TICKER_CONCURRENCY = 64;

/** After a failed fire (the store unreachable), the next try comes this much later. */
const RETRY_MS = 1000;

/**
 * Fires recurring schedules: at each tick of each schedule it asks the store to create the tick's
 * job (`store.schedules.fireMany`), which succeeds for exactly one caller per tick, so every
 * process of a shared store may run a ticker and none leads. At start, ticks missed while no
 * process of this one ran (between the schedule's last tick and now) follow its `misfire` policy:
 * `skip` fires none, `once` the latest, `catch_up` the latest `catchUpLimit`.
 *
 * The schedules wait in a min-heap by next tick, so a pass touches only the schedules due; their
 * ticks go to the store in batches of `batchSize` (a schedule's ticks in order, in one batch), at
 * most `concurrency` batches at once. Schedules on the same cron share its plan, whose next-tick
 * search runs once per tick for all of them. All timing is on the injected clock: one timer, for
 * the earliest next tick or re-read.
 */
export class ScheduleTicker implements Component {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #refreshMs: number;
  readonly #lateMs: number;
  readonly #leadMs: number;
  readonly #random: () => number;
  readonly #batchSize: number;
  readonly #concurrency: number;
  readonly #entries = new Map<string, Entry>();
  readonly #heap = new TickHeap<Entry>();
  readonly #plans = new PlanCache();
  #status: ComponentStatus = 'stopped';
  #cancelTimer: (() => void) | undefined;
  #pass: Promise<void> | undefined;
  #again = false;
  #refreshDue = true;
  #nextRefreshAt = 0;
  #retryAt: number | undefined;

  constructor(options: ScheduleTickerOptions) {
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? noopLogger;
    this.#refreshMs = options.refreshMs ?? 5000;
    this.#lateMs = options.lateMs ?? 60_000;
    this.#leadMs = options.leadMs ?? 0;
    this.#random = options.random ?? Math.random;
    this.#batchSize = options.batchSize ?? 256;
    this.#concurrency = options.concurrency ?? 4;
    if (!Number.isFinite(this.#refreshMs) || this.#refreshMs < 10) {
      throw new RangeError(`refreshMs must be at least 10; got ${String(options.refreshMs)}`);
    }
    if (!Number.isFinite(this.#lateMs) || this.#lateMs < 0) {
      throw new RangeError(`lateMs must be a duration >= 0; got ${String(options.lateMs)}`);
    }
    const lead = this.#leadMs;
    if (!Number.isInteger(lead) || lead < 0 || lead > MAX_SCHEDULE_LEAD_MS) {
      throw new RangeError(
        `leadMs must be an integer from 0 to ${MAX_SCHEDULE_LEAD_MS}; got ${String(options.leadMs)}`,
      );
    }
    const b = this.#batchSize;
    if (!Number.isInteger(b) || b < 1 || b > MAX_FIRE_BATCH) {
      throw new RangeError(`batchSize must be an integer from 1 to ${MAX_FIRE_BATCH}; got ${b}`);
    }
    const c = this.#concurrency;
    if (!Number.isInteger(c) || c < 1 || c > MAX_TICKER_CONCURRENCY) {
      throw new RangeError(
        `concurrency must be an integer from 1 to ${MAX_TICKER_CONCURRENCY}; got ${c}`,
      );
    }
  }

  get status(): ComponentStatus {
    return this.#status;
  }

  async start(): Promise<void> {
    if (this.#status !== 'stopped') return;
    this.#status = 'starting';
    try {
      await this.#refresh(true);
    } catch (err) {
      this.#status = 'stopped';
      throw err;
    }
    this.#status = 'running';
    this.#kick();
  }

  async stop(): Promise<void> {
    if (this.#status === 'stopped') return;
    this.#status = 'stopping';
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    await this.settled();
    this.#entries.clear();
    this.#heap.clear();
    this.#status = 'stopped';
  }

  /** Re-reads the schedules now (after this process changed one) and fires what is due. */
  async refresh(): Promise<void> {
    if (this.#status !== 'running') return;
    this.#refreshDue = true;
    this.#kick();
    await this.settled();
  }

  /** Resolves once no pass is running. */
  async settled(): Promise<void> {
    while (this.#pass !== undefined) await this.#pass;
  }

  #kick(): void {
    if (this.#status !== 'running') return;
    if (this.#pass !== undefined) {
      this.#again = true;
      return;
    }
    this.#pass = this.#passes().finally(() => {
      this.#pass = undefined;
    });
  }

  async #passes(): Promise<void> {
    try {
      do {
        this.#again = false;
        await this.#onePass();
      } while (this.#again && this.#status === 'running');
    } catch (err) {
      this.#logger.error('schedule ticker pass failed', { error: (err as Error).message });
      this.#retryAt = this.#clock.now() + RETRY_MS;
    }
    if (this.#status === 'running') this.#arm();
  }

  async #onePass(): Promise<void> {
    this.#retryAt = undefined;
    if (this.#refreshDue || this.#clock.now() >= this.#nextRefreshAt) {
      try {
        await this.#refresh(false);
      } catch (err) {
        this.#logger.warn('could not read schedules', { error: (err as Error).message });
        this.#nextRefreshAt = this.#clock.now() + RETRY_MS;
      }
    }
    const now = this.#clock.now();
    const horizon = now + this.#leadMs;
    // The due schedules, cut into batches of at most batchSize ticks (one schedule's in one).
    const batches: Work[][] = [];
    let batch: Work[] = [];
    let size = 0;
    for (let entry = this.#heap.popDue(horizon); entry; entry = this.#heap.popDue(horizon)) {
      let work: Work | undefined;
      try {
        work = workOf(entry, now, horizon, this.#lateMs, this.#batchSize, this.#logger);
      } catch (err) {
        this.#halt(entry, err);
        continue;
      }
      if (work === undefined) {
        this.#schedule(entry);
        continue;
      }
      if (work.ticks.length === 0) {
        this.#finish(work);
        this.#schedule(entry);
        continue;
      }
      if (size + work.ticks.length > this.#batchSize && batch.length > 0) {
        batches.push(batch);
        batch = [];
        size = 0;
      }
      batch.push(work);
      size += work.ticks.length;
    }
    if (batch.length > 0) batches.push(batch);
    let index = 0;
    const lane = async (): Promise<void> => {
      while (index < batches.length && this.#status === 'running') {
        await this.#fireBatch(batches[index++] as Work[], now);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, batches.length) }, lane));
  }

  async #refresh(initial: boolean): Promise<void> {
    this.#refreshDue = false;
    const list = await this.#store.schedules.list();
    this.#nextRefreshAt = this.#clock.now() + this.#refreshMs;
    const seen = new Set<string>();
    for (const stored of list) {
      seen.add(stored.name);
      let entry = this.#entries.get(stored.name);
      if (entry === undefined) {
        entry = { stored, cursor: stored.lastTick, fresh: initial, due: 0, heapIndex: -1 };
        this.#entries.set(stored.name, entry);
        this.#parse(entry);
      } else {
        this.#update(entry, stored);
      }
      this.#schedule(entry);
    }
    for (const [name, entry] of this.#entries) {
      if (seen.has(name)) continue;
      this.#entries.delete(name);
      this.#heap.delete(entry);
    }
  }

  #update(entry: Entry, stored: StoredSchedule): void {
    const changed =
      stored.revision !== entry.stored.revision || stored.createdAt !== entry.stored.createdAt;
    // A halted entry tries again once the schedule changes, from the stored last tick, with the
    // ticks missed meanwhile following its misfire policy.
    const retry =
      entry.halted !== undefined && (changed || !Object.is(stored.lastTick, entry.halted));
    if (retry) {
      entry.halted = undefined;
      entry.fresh = true;
    }
    entry.stored = stored;
    entry.cursor = retry ? stored.lastTick : Math.max(entry.cursor, stored.lastTick);
    if (changed) this.#parse(entry);
  }

  #parse(entry: Entry): void {
    try {
      const definition = checkScheduleDefinition(entry.stored.definition);
      entry.jobs = tickJobBuilder(entry.stored.name, definition, this.#random);
      entry.definition = definition;
      entry.plan = this.#plans.of(definition);
    } catch (err) {
      entry.definition = undefined;
      entry.plan = undefined;
      entry.jobs = undefined;
      this.#logger.warn('schedule left idle: its stored definition is invalid', {
        schedule: entry.stored.name,
        error: (err as Error).message,
      });
    }
  }

  /** Puts the entry in the heap at its next tick (at once while fresh), or out when idle. */
  #schedule(entry: Entry): void {
    if (this.#entries.get(entry.stored.name) !== entry) return;
    const idle = entry.plan === undefined || entry.stored.paused || entry.halted !== undefined;
    let due: number | undefined;
    try {
      due = idle ? undefined : entry.fresh ? Number.NEGATIVE_INFINITY : nextTick(entry);
    } catch (err) {
      this.#halt(entry, err);
      return;
    }
    this.#heap.set(entry, due);
  }

  /**
   * Leaves idle, logged, an entry whose ticks could not be worked out (its plan threw, as a cron
   * search does from a time no Date holds), so one odd schedule never stops the others. It stays
   * idle until its stored definition or last tick changes.
   */
  #halt(entry: Entry, err: unknown): void {
    entry.halted = entry.stored.lastTick;
    this.#heap.delete(entry);
    this.#logger.warn('schedule left idle: its next tick cannot be worked out', {
      schedule: entry.stored.name,
      lastTick: entry.stored.lastTick,
      error: (err as Error).message,
    });
  }

  /**
   * An entry whose ticks of this pass all fired (or were done) moves its cursor to the time its
   * ticks were looked at up to (`now`, or the lead's horizon).
   */
  #finish(work: Work): void {
    const { entry, through } = work;
    if (!work.complete) {
      this.#again = true;
      return;
    }
    entry.fresh = false;
    entry.cursor = Math.max(entry.cursor, through);
    if (work.afterKnown && entry.cursor === through)
      entry.next = [entry.plan as TickPlan, through, work.after];
  }

  /** Fires one batch with one store call, then moves each entry on and back into the heap. */
  async #fireBatch(batch: Work[], now: number): Promise<void> {
    const inputs: NamedFireInput[] = [];
    const ready: Work[] = [];
    for (const work of batch) {
      const { entry } = work;
      const { name, revision, createdAt } = entry.stored;
      const before = inputs.length;
      try {
        for (const tick of work.ticks) {
          const spec = (entry.jobs as TickJobBuilder)(tick, now);
          inputs.push({ name, tick, revision, createdAt, spec });
        }
        ready.push(work);
      } catch (err) {
        inputs.length = before;
        this.#failed([work], err);
      }
    }
    if (inputs.length === 0) return;
    let outcomes: FireOutcome[];
    try {
      outcomes = await this.#store.schedules.fireMany(inputs);
    } catch (err) {
      if (ready.length > 1 && isGqError(err, ErrorCode.INVALID_ARGUMENT)) {
        // One schedule's job was refused, which refuses the whole batch: each schedule fires on
        // its own, so only the one the store refuses waits and tries again.
        for (const work of ready) await this.#fireBatch([work], now);
        return;
      }
      this.#failed(ready, err);
      return;
    }
    let o = 0;
    let fired = 0;
    for (const work of ready) {
      let goOn = true;
      for (const tick of work.ticks) {
        const outcome = outcomes[o++] as FireOutcome;
        if (outcome.status === 'fired') fired++;
        if (goOn) goOn = this.#apply(work.entry, tick, outcome);
      }
      if (goOn) this.#finish(work);
      this.#schedule(work.entry);
    }
    this.#logger.debug('schedule ticks fired', { ticks: inputs.length, fired });
  }

  /** A batch the store refused or could not take: its schedules try again a little later. */
  #failed(works: Work[], err: unknown): void {
    const at = this.#clock.now() + RETRY_MS;
    this.#retryAt = at;
    this.#logger.warn('could not fire schedule ticks; trying again', {
      schedules: works.map((w) => w.entry.stored.name).slice(0, 10),
      count: works.length,
      error: (err as Error).message,
    });
    for (const { entry } of works) {
      if (this.#entries.get(entry.stored.name) === entry) this.#heap.set(entry, at);
    }
  }

  /** Applies one tick's outcome to its entry; false when the entry must not go on this pass. */
  #apply(entry: Entry, tick: number, outcome: FireOutcome): boolean {
    switch (outcome.status) {
      case 'fired':
      case 'done':
        this.#update(entry, outcome.schedule);
        entry.cursor = Math.max(entry.cursor, tick);
        return true;
      case 'paused':
        this.#update(entry, outcome.schedule);
        return false;
      case 'stale':
        this.#update(entry, outcome.schedule);
        this.#again = true;
        return false;
      case 'missing':
        this.#entries.delete(entry.stored.name);
        this.#heap.delete(entry);
        return false;
    }
  }

  #arm(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    let wake = this.#nextRefreshAt;
    if (this.#retryAt !== undefined) wake = Math.min(wake, this.#retryAt);
    const due = this.#heap.peekDue();
    if (due !== undefined) wake = Math.min(wake, due - this.#leadMs);
    this.#cancelTimer = this.#clock.setTimer(
      () => {
        this.#cancelTimer = undefined;
        this.#kick();
      },
      Math.max(0, wake - this.#clock.now()),
    );
  }
}
