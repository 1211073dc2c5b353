import {
  noopLogger,
  systemClock,
  type Clock,
  type Component,
  type ComponentStatus,
  type Logger,
  type MisfirePolicy,
  type ScheduleDefinition,
  type Store,
  type StoredSchedule,
} from '@gopherqueue/core';
import { scheduledJob } from './schedule-job.js';
import { checkScheduleDefinition, planOf, type TickPlan } from './schedule-plan.js';
import { missedTicks } from './misfire.js';

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
   * The most schedules fired at once (1..{@link MAX_TICKER_CONCURRENCY}): a pass fires its due schedules
   * concurrently, each schedule's own ticks one after another, so an embedded store's group
   * commit shares a sync among many fires and a server store's pool is used. @defaultValue 64
   */
  concurrency?: number;
}

/** The most schedules a ticker fires at once. */
export const MAX_TICKER_CONCURRENCY = 1024;

/** One schedule as the ticker follows it. */
interface Entry {
  stored: StoredSchedule;
  definition?: ScheduleDefinition & { misfire: MisfirePolicy; catchUpLimit: number };
  plan?: TickPlan;
  /** The latest tick this process handled (fired, found done, or passed over as missed). */
  cursor: number;
  /** True until its ticks missed before this process started are handled by its misfire policy. */
  fresh: boolean;
  /** The first tick after `cursor` under `plan`, cached: [plan, cursor, tick]. */
  next?: [TickPlan, number, number | undefined];
}

/** The entry's first tick after its cursor (cached: a cron's next run costs a search). */
function nextTick(entry: Entry): number | undefined {
  const { plan, cursor } = entry;
  if (plan === undefined) return undefined;
  const cached = entry.next;
  if (cached !== undefined && cached[0] === plan && cached[1] === cursor) return cached[2];
  const tick = plan.next(cursor);
  entry.next = [plan, cursor, tick];
  return tick;
}

/** After a failed fire (the store unreachable), the next pass comes this much later. */
const RETRY_MS = 1000;

/** The most ticks one pass fires for one schedule as on time. */
const MAX_ON_TIME = 1000;

/**
 * Fires recurring schedules: at each tick of each schedule it asks the store to create the tick's
 * job (`store.schedules.fire`), which succeeds for exactly one caller per tick, so every process
 * of a shared store may run a ticker and none leads. At start, ticks missed while no process of
 * this one ran (between the schedule's last tick and now) follow its `misfire` policy: `skip`
 * fires none, `once` the latest, `catch_up` the latest `catchUpLimit`. A pass fires its due
 * schedules concurrently (at most `concurrency` at once), each schedule's ticks in order. All
 * timing is on the injected clock: one timer, for the earliest next tick or re-read.
 */
export class ScheduleTicker implements Component {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #refreshMs: number;
  readonly #lateMs: number;
  readonly #random: () => number;
  readonly #concurrency: number;
  readonly #entries = new Map<string, Entry>();
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
    this.#random = options.random ?? Math.random;
    this.#concurrency = options.concurrency ?? 64;
    if (!Number.isFinite(this.#refreshMs) || this.#refreshMs < 10) {
      throw new RangeError(`refreshMs must be at least 10; got ${String(options.refreshMs)}`);
    }
    if (!Number.isFinite(this.#lateMs) || this.#lateMs < 0) {
      throw new RangeError(`lateMs must be a duration >= 0; got ${String(options.lateMs)}`);
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
    const entries = [...this.#entries.values()];
    let index = 0;
    let failure: { error: unknown } | undefined;
    // Lanes take the entries in order, each processing one entry (all its ticks) at a time, so a
    // schedule's ticks stay in order; the first error stops the lanes and ends the pass with it.
    const lane = async (): Promise<void> => {
      while (index < entries.length && failure === undefined) {
        if (this.#status !== 'running') return;
        const entry = entries[index++] as Entry;
        if (!entry.fresh) {
          const next = nextTick(entry);
          if (next === undefined || next > this.#clock.now()) continue;
        }
        try {
          await this.#process(entry);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    const lanes = Math.min(this.#concurrency, entries.length);
    await Promise.all(Array.from({ length: lanes }, lane));
    if (failure !== undefined) throw failure.error;
  }

  async #refresh(initial: boolean): Promise<void> {
    this.#refreshDue = false;
    const list = await this.#store.schedules.list();
    this.#nextRefreshAt = this.#clock.now() + this.#refreshMs;
    const seen = new Set<string>();
    for (const stored of list) {
      seen.add(stored.name);
      const entry = this.#entries.get(stored.name);
      if (entry === undefined) {
        const fresh: Entry = { stored, cursor: stored.lastTick, fresh: initial };
        this.#entries.set(stored.name, fresh);
        this.#parse(fresh);
      } else {
        this.#update(entry, stored);
      }
    }
    for (const name of [...this.#entries.keys()]) if (!seen.has(name)) this.#entries.delete(name);
  }

  #update(entry: Entry, stored: StoredSchedule): void {
    const changed =
      stored.revision !== entry.stored.revision || stored.createdAt !== entry.stored.createdAt;
    entry.stored = stored;
    entry.cursor = Math.max(entry.cursor, stored.lastTick);
    if (changed) this.#parse(entry);
  }

  #parse(entry: Entry): void {
    try {
      const definition = checkScheduleDefinition(entry.stored.definition);
      entry.definition = definition;
      entry.plan = planOf(definition);
    } catch (err) {
      entry.definition = undefined;
      entry.plan = undefined;
      this.#logger.warn('schedule left idle: its stored definition is invalid', {
        schedule: entry.stored.name,
        error: (err as Error).message,
      });
    }
  }

  async #process(entry: Entry): Promise<void> {
    const { plan, definition } = entry;
    if (plan === undefined || definition === undefined || entry.stored.paused) return;
    const now = this.#clock.now();
    const policy = { misfire: definition.misfire, catchUpLimit: definition.catchUpLimit };
    let ticks: number[];
    /** The first tick after `now` when known (a cron's next run costs a search). */
    let after: number | undefined;
    let afterKnown = false;
    if (entry.fresh) {
      ticks = missedTicks(plan, entry.cursor, now, policy);
      const missed = plan.latest(1, entry.cursor, now).length > 0;
      if (missed) {
        this.#logger.info('ticks missed while stopped', {
          schedule: entry.stored.name,
          misfire: definition.misfire,
          since: new Date(entry.cursor).toISOString(),
          firing: ticks.map((t) => new Date(t).toISOString()),
        });
      }
    } else {
      const boundary = now - this.#lateMs;
      ticks = entry.cursor < boundary ? missedTicks(plan, entry.cursor, boundary, policy) : [];
      let t = entry.cursor >= boundary ? nextTick(entry) : plan.next(boundary);
      for (; t !== undefined && t <= now && ticks.length < MAX_ON_TIME; t = plan.next(t)) {
        ticks.push(t);
      }
      // No tick lies between the last one taken (or the start) and t, so t is the next after now.
      afterKnown = t === undefined || t > now;
      after = t;
    }
    for (const tick of ticks) {
      if (!(await this.#fire(entry, tick, now))) return;
    }
    entry.fresh = false;
    entry.cursor = Math.max(entry.cursor, now);
    if (afterKnown && entry.cursor === now) entry.next = [plan, now, after];
  }

  /** Fires one tick; false when the entry must not go on this pass. */
  async #fire(entry: Entry, tick: number, now: number): Promise<boolean> {
    const { name } = entry.stored;
    let outcome;
    try {
      const spec = scheduledJob({
        name,
        definition: entry.definition as ScheduleDefinition,
        tick,
        now,
        kind: 'tick',
        random: this.#random,
      });
      outcome = await this.#store.schedules.fire(name, {
        tick,
        revision: entry.stored.revision,
        createdAt: entry.stored.createdAt,
        spec,
      });
    } catch (err) {
      this.#logger.warn('could not fire a schedule tick; trying again', {
        schedule: name,
        tick: new Date(tick).toISOString(),
        error: (err as Error).message,
      });
      this.#retryAt = this.#clock.now() + RETRY_MS;
      return false;
    }
    switch (outcome.status) {
      case 'fired':
        this.#logger.debug('schedule fired', {
          schedule: name,
          tick: new Date(tick).toISOString(),
          jobId: outcome.result.job.id,
        });
        this.#update(entry, outcome.schedule);
        entry.cursor = Math.max(entry.cursor, tick);
        return true;
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
        this.#entries.delete(name);
        return false;
    }
  }

  #arm(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    let wake = this.#nextRefreshAt;
    if (this.#retryAt !== undefined) wake = Math.min(wake, this.#retryAt);
    for (const entry of this.#entries.values()) {
      if (entry.plan === undefined || entry.stored.paused) continue;
      const next = nextTick(entry);
      if (next !== undefined) wake = Math.min(wake, next);
    }
    this.#cancelTimer = this.#clock.setTimer(
      () => {
        this.#cancelTimer = undefined;
        this.#kick();
      },
      Math.max(0, wake - this.#clock.now()),
    );
  }
}
