import {
  ErrorCode,
  GqError,
  type Clock,
  type FireInput,
  type FireOutcome,
  type JobSpec,
  type Logger,
  type ScheduleStore,
  type ScheduleWrite,
  type StoredSchedule,
  type SubmitResult,
} from '@gopherqueue/core';
import type { GroupCommit, LevelDb } from './group-commit.js';
import { RANGE_END } from './level-keys.js';
import {
  checkScheduleName,
  checkScheduleRoom,
  readStoredSchedule,
  samePut,
  scheduleAfterPut,
} from '../schedule-input.js';

/** Key prefix of schedules: `sched!<name>` -> the {@link StoredSchedule} as JSON. */
const PREFIX = 'sched!';

/** What {@link LevelSchedules} needs of its store. */
export interface LevelSchedulesOptions {
  db: LevelDb;
  commit: GroupCommit;
  clock: Clock;
  logger: Logger;
  /** Throws when the store is closed or failed. */
  guard: () => void;
  /** The store's own submit (checked and applied at once, written by the group commit). */
  submit: (specs: readonly JobSpec[]) => SubmitResult[] | Promise<SubmitResult[]>;
}

/**
 * The LevelStore's {@link ScheduleStore}: `sched!<name>` records, read once into memory (a store
 * holds at most `MAX_SCHEDULES`), and changed synchronously in memory before their write joins the
 * group commit, so two fires of one tick in this process can never both pass the check. A fire
 * writes the job first and the record after it, in the same ordered stream of batches.
 */
export class LevelSchedules implements ScheduleStore {
  readonly #options: LevelSchedulesOptions;
  #loaded: Promise<Map<string, StoredSchedule>> | undefined;

  constructor(options: LevelSchedulesOptions) {
    this.#options = options;
  }

  async list(): Promise<StoredSchedule[]> {
    const all = await this.#all();
    return [...all.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async get(name: string): Promise<StoredSchedule | undefined> {
    const all = await this.#all();
    return all.get(name);
  }

  async put(write: ScheduleWrite): Promise<StoredSchedule> {
    checkScheduleName(write.name);
    const all = await this.#all();
    const previous = all.get(write.name);
    if (previous === undefined) checkScheduleRoom(all.size);
    if (samePut(write, previous)) return previous as StoredSchedule;
    const next = scheduleAfterPut(write, previous, this.#options.clock.now());
    await this.#write(all, next);
    return next;
  }

  async setPaused(name: string, paused: boolean): Promise<StoredSchedule> {
    const all = await this.#all();
    const previous = all.get(name);
    if (previous === undefined) throw notFound(name);
    const now = this.#options.clock.now();
    const next: StoredSchedule = {
      ...previous,
      paused,
      lastTick: paused ? previous.lastTick : Math.max(previous.lastTick, now),
      updatedAt: now,
    };
    await this.#write(all, next);
    return next;
  }

  async delete(name: string): Promise<boolean> {
    const all = await this.#all();
    if (!all.delete(name)) return false;
    this.#options.commit.del(PREFIX + name);
    await this.#options.commit.commit();
    return true;
  }

  async fire(name: string, input: FireInput): Promise<FireOutcome> {
    const all = await this.#all();
    const previous = all.get(name);
    if (previous === undefined) return { status: 'missing' };
    if (previous.paused) return { status: 'paused', schedule: previous };
    if (previous.revision !== input.revision || previous.createdAt !== input.createdAt) {
      return { status: 'stale', schedule: previous };
    }
    if (input.tick <= previous.lastTick) return { status: 'done', schedule: previous };
    const next: StoredSchedule = { ...previous, lastTick: input.tick };
    // Claimed in memory before the job is written: a second fire of this tick sees it as done.
    all.set(name, next);
    let results: SubmitResult[];
    try {
      results = await this.#options.submit([input.spec]);
    } catch (err) {
      if (all.get(name) === next) all.set(name, previous);
      throw err;
    }
    if (all.get(name) === next) this.#options.commit.put(PREFIX + name, JSON.stringify(next));
    await this.#options.commit.commit();
    return { status: 'fired', result: results[0] as SubmitResult, schedule: next };
  }

  async #write(all: Map<string, StoredSchedule>, next: StoredSchedule): Promise<void> {
    all.set(next.name, next);
    this.#options.commit.put(PREFIX + next.name, JSON.stringify(next));
    await this.#options.commit.commit();
  }

  /** The schedules, read from disk at the first call; an unreadable record is skipped, logged. */
  async #all(): Promise<Map<string, StoredSchedule>> {
    this.#options.guard();
    this.#loaded ??= this.#load();
    const all = await this.#loaded;
    this.#options.guard();
    return all;
  }

  async #load(): Promise<Map<string, StoredSchedule>> {
    const all = new Map<string, StoredSchedule>();
    const entries = await this.#options.db.iterator({ gte: PREFIX, lt: PREFIX + RANGE_END }).all();
    for (const [key, value] of entries) {
      let record: StoredSchedule | undefined;
      try {
        record = readStoredSchedule(JSON.parse(value));
      } catch {
        record = undefined;
      }
      if (record === undefined || PREFIX + record.name !== key) {
        this.#options.logger.warn('skipping an unreadable schedule record', { key });
        continue;
      }
      all.set(record.name, record);
    }
    return all;
  }
}

function notFound(name: string): GqError {
  return new GqError(ErrorCode.NOT_FOUND, `schedule ${JSON.stringify(name)} not found`, {
    details: { name },
  });
}
