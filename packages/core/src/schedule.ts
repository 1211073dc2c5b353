/**
 * Recurring schedules: the part of the {@link Store} contract that keeps them (`Store.schedules`).
 *
 * A schedule is a named job template with a cron expression or an interval. The store keeps its
 * definition as given (the scheduler validates it), its `paused` flag and its **last tick**: the
 * latest tick time for which it created a job (or, for a new or resumed schedule, the time it was
 * created or resumed, so ticks before that never run).
 *
 * **Exactly one job per tick.** {@link ScheduleStore.fire} creates the tick's job and advances the
 * last tick in one atomic step, and only while the tick is later than the last tick, the schedule
 * is not paused and its revision is the one the caller built the job from. However many
 * processes fire the same tick at once, one creates the job and the others get `done`. (The
 * revision with the schedule's `createdAt` names one definition: see {@link FireInput}.) The job
 * also carries the idempotency key {@link scheduleTickKey} in its queue, so a tick whose job is
 * stored is never created twice even if the last tick were lost.
 *
 * **Atomicity and durability** as for jobs: a resolved `put`, `create`, `setPaused`, `delete`,
 * `fire` or `fireMany` is durable, and `fire` and `fireMany` write their jobs and last ticks
 * together, in one write (one LevelDB batch, one PostgreSQL transaction).
 */
import type { BackoffInput } from './backoff.js';
import type { JobSpec, Json } from './job.js';
import type { PriorityLevel } from './priority.js';
import type { SubmitResult } from './store.js';

/** What happens to ticks that passed while no process was running the schedule. */
export type MisfirePolicy = 'skip' | 'once' | 'catch_up';

/** The job a schedule creates at each tick: what `createJob` takes, durations in ms. */
export interface ScheduleJobTemplate {
  type: string;
  /** @defaultValue null */
  payload?: Json;
  /** @defaultValue `'default'` */
  queue?: string;
  priority?: PriorityLevel;
  maxAttempts?: number;
  timeoutMs?: number;
  tags?: Record<string, string>;
  backoff?: BackoffInput;
  retryOn?: string[];
  noRetryOn?: string[];
}

/** A schedule's definition: when it ticks and what it creates. Exactly one of `cron`, `everyMs`. */
export interface ScheduleDefinition {
  job: ScheduleJobTemplate;
  /** 5 fields (minute precision) or 6 (with seconds), read in `timezone`. */
  cron?: string;
  /** IANA time zone of `cron`. @defaultValue `'UTC'` */
  timezone?: string;
  /** Ticks at every multiple of this many ms since the Unix epoch. */
  everyMs?: number;
  /** @defaultValue `'skip'` */
  misfire?: MisfirePolicy;
  /** With `catch_up`: at most this many missed ticks run (the latest ones). @defaultValue 100 */
  catchUpLimit?: number;
  /** Each job's `runAt` is its tick plus a random delay below this. @defaultValue 0 */
  jitterMs?: number;
}

/** Who made a schedule: declared by a handlers module (`code`) or created at run time (`api`). */
export type ScheduleSource = 'code' | 'api';

/** A schedule as the store keeps it. */
export interface StoredSchedule {
  name: string;
  definition: ScheduleDefinition;
  source: ScheduleSource;
  paused: boolean;
  /** The latest tick handled (its job created), or when the schedule was created or resumed. */
  lastTick: number;
  /** Grows by one at each change of the definition or source. */
  revision: number;
  createdAt: number;
  updatedAt: number;
}

/** Input of {@link ScheduleStore.put}. */
export interface ScheduleWrite {
  name: string;
  definition: ScheduleDefinition;
  source: ScheduleSource;
}

/** Input of {@link ScheduleStore.fire}. */
export interface FireInput {
  /** The tick, ms since the epoch. */
  tick: number;
  /** The revision `spec` was built from. */
  revision: number;
  /**
   * The `createdAt` of the schedule `spec` was built from: a schedule deleted and created again
   * under the same name starts at revision 1 again, so the two together name one definition.
   */
  createdAt: number;
  /** The tick's job; it should carry {@link scheduleTickKey} as its idempotency key. */
  spec: JobSpec;
}

/** What {@link ScheduleStore.fire} did. */
export type FireOutcome =
  /** The job was stored (or, `result.deduplicated`, its key already was) and the tick recorded. */
  | { status: 'fired'; result: SubmitResult; schedule: StoredSchedule }
  /** Nothing written: the tick is not after the last tick (another process handled it). */
  | { status: 'done'; schedule: StoredSchedule }
  /** Nothing written: the schedule is paused. */
  | { status: 'paused'; schedule: StoredSchedule }
  /** Nothing written: the definition changed since `revision` (or the schedule was re-created). */
  | { status: 'stale'; schedule: StoredSchedule }
  /** Nothing written: no such schedule. */
  | { status: 'missing' };

/** The most schedules one store holds. */
export const MAX_SCHEDULES = 10_000;

/** The most ticks one {@link ScheduleStore.fireMany} call takes. */
export const MAX_FIRE_BATCH = 1000;

/** The most schedules one {@link ScheduleStore.list} page holds. */
export const MAX_SCHEDULE_PAGE = MAX_SCHEDULES;

/** Input of {@link ScheduleStore.list}: a page of schedules by name. */
export interface SchedulePage {
  /** Only schedules whose name sorts after this one. */
  after?: string;
  /** At most this many (1..{@link MAX_SCHEDULE_PAGE}). @defaultValue MAX_SCHEDULE_PAGE */
  limit?: number;
}

/** One tick of {@link ScheduleStore.fireMany}: the schedule's name with what `fire` takes. */
export interface NamedFireInput extends FireInput {
  name: string;
}

/**
 * A schedule name: 1..128 letters, digits and `_.:-`, not only dots (`.` and `..` are path
 * segments a URL drops, so such a schedule could never be named in a request).
 */
export const SCHEDULE_NAME = /^(?!\.+$)[A-Za-z0-9_.:-]{1,128}$/;

/** The idempotency key of a schedule's job for one tick. */
export function scheduleTickKey(name: string, tick: number): string {
  return `schedule:${name}@${new Date(tick).toISOString()}`;
}

/** Keeps a store's schedules; see the file comment. */
export interface ScheduleStore {
  /**
   * The schedules by name: every one (at most {@link MAX_SCHEDULES}), or one page of them.
   * @throws GQ_INVALID_ARGUMENT (`details.field: 'limit'` or `'after'`) for a bad page.
   */
  list(page?: SchedulePage): Promise<StoredSchedule[]>;
  get(name: string): Promise<StoredSchedule | undefined>;
  /**
   * Creates a schedule (unpaused, `lastTick` now, revision 1) or replaces the definition and
   * source of an existing one (revision + 1), keeping its `paused`, `lastTick` and `createdAt`.
   * Putting the definition (equal as JSON, whatever the order of keys) and source a schedule has
   * changes nothing, so processes that put the same at once leave it at its revision.
   * @throws GQ_INVALID_ARGUMENT (`details.field: 'name'`) for a bad name, or when a new schedule
   * would exceed {@link MAX_SCHEDULES}.
   */
  put(write: ScheduleWrite): Promise<StoredSchedule>;
  /**
   * Creates a schedule (`lastTick` now, revision 1, paused when `paused`) only when none of its
   * name exists, as one atomic step: of two creates of one name at once, one succeeds and the
   * other is refused.
   * @throws GQ_CONFLICT (`details.name`) when a schedule of that name exists;
   * GQ_INVALID_ARGUMENT (`details.field: 'name'`) as `put`.
   */
  create(write: ScheduleWrite & { paused?: boolean }): Promise<StoredSchedule>;
  /**
   * Pauses or resumes. Resuming sets `lastTick` to now when it is earlier, so the ticks that
   * passed while paused never run. @throws GQ_NOT_FOUND
   */
  setPaused(name: string, paused: boolean): Promise<StoredSchedule>;
  /** Removes a schedule; false when there was none. Its jobs stay. */
  delete(name: string): Promise<boolean>;
  /** Creates one tick's job and records the tick, atomically; see {@link FireOutcome}. */
  fire(name: string, input: FireInput): Promise<FireOutcome>;
  /**
   * Fires many ticks (at most {@link MAX_FIRE_BATCH}) as one atomic, durable step: each input is
   * decided as `fire` would, in order (so one schedule's ticks, given ascending, fire one after
   * another), and every job created is written together with every tick recorded (an embedded
   * store in one batch, a server store in one transaction). Outcomes are in the inputs' order.
   * A refused job refuses the whole call: nothing is written.
   * @throws GQ_INVALID_ARGUMENT (`details.field: 'inputs'`) for more than {@link MAX_FIRE_BATCH}.
   */
  fireMany(inputs: readonly NamedFireInput[]): Promise<FireOutcome[]>;
}
