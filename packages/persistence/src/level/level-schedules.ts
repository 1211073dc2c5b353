import {
  ErrorCode,
  GqError,
  type Clock,
  type FireInput,
  type FireOutcome,
  type JobSpec,
  type Logger,
  type NamedFireInput,
  type SchedulePage,
  type ScheduleStore,
  type ScheduleWrite,
  type StoredSchedule,
  type SubmitResult,
} from '@gopherqueue/core';
import type { GroupCommit, LevelDb } from './group-commit.js';
import { RANGE_END } from './level-keys.js';
import {
  checkFireBatch,
  checkScheduleName,
  checkScheduleRoom,
  checkSchedulePage,
  fireRefusal,
  readStoredSchedule,
  samePut,
  scheduleAfterPut,
  withSaneLastTick,
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
  submit: (
    specs: readonly JobSpec[],
    alongside: () => void,
  ) => SubmitResult[] | Promise<SubmitResult[]>;
}

/**
 * The LevelStore's {@link ScheduleStore}: `sched!<name>` records, read once into memory (a store
 * holds at most `MAX_SCHEDULES`), and changed synchronously in memory before their write joins the
 * group commit, so two fires of one tick in this process can never both pass the check. A fire
 * (or `fireMany`) writes its jobs and its records in the same batch: one LevelDB write.
 */
export class LevelSchedules implements ScheduleStore {
  readonly #options: LevelSchedulesOptions;
  #loaded: Promise<Map<string, StoredSchedule>> | undefined;
  /** The names in order, kept until a schedule is created or deleted. */
  #sorted: string[] | undefined;

  constructor(options: LevelSchedulesOptions) {
    this.#options = options;
  }

  async list(page?: SchedulePage): Promise<StoredSchedule[]> {
    const { after, limit } = checkSchedulePage(page);
    const all = await this.#all();
    const names = (this.#sorted ??= [...all.keys()].sort());
    let from = 0;
    if (after !== undefined) {
      // The first name after `after`, by binary search.
      let hi = names.length;
      while (from < hi) {
        const mid = (from + hi) >>> 1;
        if ((names[mid] as string) <= after) from = mid + 1;
        else hi = mid;
      }
    }
    return names.slice(from, from + limit).map((name) => all.get(name) as StoredSchedule);
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

  async create(write: ScheduleWrite & { paused?: boolean }): Promise<StoredSchedule> {
    checkScheduleName(write.name);
    const all = await this.#all();
    // Checked and claimed with no wait in between: of two creates of one name, the second fails.
    if (all.has(write.name)) throw exists(write.name);
    checkScheduleRoom(all.size);
    const next = scheduleAfterPut(write, undefined, this.#options.clock.now());
    if (write.paused === true) next.paused = true;
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
    this.#sorted = undefined;
    this.#options.commit.del(PREFIX + name);
    await this.#options.commit.commit();
    return true;
  }

  async fire(name: string, input: FireInput): Promise<FireOutcome> {
    const [outcome] = await this.fireMany([{ ...input, name }]);
    return outcome as FireOutcome;
  }

  async fireMany(inputs: readonly NamedFireInput[]): Promise<FireOutcome[]> {
    checkFireBatch(inputs.length);
    const all = await this.#all();
    const outcomes: (FireOutcome | undefined)[] = [];
    /** name -> [the record before this call, the record this call set last] */
    const claimed = new Map<string, [StoredSchedule, StoredSchedule]>();
    const specs: JobSpec[] = [];
    for (const input of inputs) {
      const found = all.get(input.name);
      const refusal = fireRefusal(found, input);
      outcomes.push(refusal);
      if (refusal !== undefined) continue;
      const next: StoredSchedule = { ...(found as StoredSchedule), lastTick: input.tick };
      // Claimed in memory before the job is written: a second fire of this tick sees it as done.
      all.set(input.name, next);
      claimed.set(input.name, [claimed.get(input.name)?.[0] ?? (found as StoredSchedule), next]);
      specs.push(input.spec);
    }
    if (specs.length === 0) return outcomes as FireOutcome[];
    const { commit } = this.#options;
    let results: SubmitResult[];
    try {
      // The records join the jobs' batch: the jobs and the ticks are written together.
      results = await this.#options.submit(specs, () => {
        for (const [name, [, next]] of claimed) {
          if (all.get(name) === next) commit.put(PREFIX + name, recordJson(next));
        }
      });
    } catch (err) {
      for (const [name, [previous, next]] of claimed) {
        if (all.get(name) === next) all.set(name, previous);
      }
      throw err;
    }
    await commit.commit();
    let r = 0;
    return inputs.map((input, i) => {
      const refusal = outcomes[i];
      if (refusal !== undefined) return refusal;
      const result = results[r++] as SubmitResult;
      const last = (claimed.get(input.name) as [StoredSchedule, StoredSchedule])[1];
      const schedule = last.lastTick === input.tick ? last : { ...last, lastTick: input.tick };
      return { status: 'fired', result, schedule };
    });
  }

  async #write(all: Map<string, StoredSchedule>, next: StoredSchedule): Promise<void> {
    if (!all.has(next.name)) this.#sorted = undefined;
    all.set(next.name, next);
    this.#options.commit.put(PREFIX + next.name, JSON.stringify(next));
    await this.#options.commit.commit();
  }

  /**
   * The schedules, read from disk at the first call; an unreadable record is skipped, logged, and
   * one whose last tick no Date can hold is kept with a usable one (see {@link withSaneLastTick}).
   */
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
      const sane = withSaneLastTick(record);
      if (sane !== record) {
        this.#options.logger.warn(
          'schedule record has an impossible last tick; using its last change',
          {
            key,
            stored: record.lastTick,
            lastTick: sane.lastTick,
          },
        );
      }
      all.set(record.name, sane);
    }
    return all;
  }
}

/** The JSON text of each definition written, so a fire does not serialize it again. */
const definitionJson = new WeakMap<object, string>();

/** `JSON.stringify(record)`, reusing its definition's text. */
function recordJson(record: StoredSchedule): string {
  let definition = definitionJson.get(record.definition);
  if (definition === undefined) {
    definition = JSON.stringify(record.definition);
    definitionJson.set(record.definition, definition);
  }
  return (
    `{"name":${JSON.stringify(record.name)},"definition":${definition},` +
    `"source":${JSON.stringify(record.source)},"paused":${String(record.paused)},` +
    `"lastTick":${record.lastTick},"revision":${record.revision},` +
    `"createdAt":${record.createdAt},"updatedAt":${record.updatedAt}}`
  );
}

function exists(name: string): GqError {
  return new GqError(ErrorCode.CONFLICT, `schedule ${JSON.stringify(name)} exists`, {
    details: { name },
  });
}

function notFound(name: string): GqError {
  return new GqError(ErrorCode.NOT_FOUND, `schedule ${JSON.stringify(name)} not found`, {
    details: { name },
  });
}
