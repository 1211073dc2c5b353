import { JOB_STATES, type Job, type JobCounts, type JobState } from '@gopherqueue/core';

const STATE_INDEX = new Map<JobState, number>(JOB_STATES.map((state, i) => [state, i]));
const STATES = JOB_STATES.length;
const RUNNING = STATE_INDEX.get('running') as number;

/** The persisted form of {@link CountBook}. */
interface CountsRecord {
  /** Per state (JOB_STATES order), five priorities. */
  byPriority: number[][];
  /** Per queue, nine states in JOB_STATES order. */
  queues: Record<string, number[]>;
}

/**
 * Counts of jobs by state, priority and queue, kept as jobs change, persisted with every write
 * that changes them so they survive restarts without a scan.
 */
export class CountBook {
  /** Index state * 5 + priority. */
  #byPriority = new Array<number>(STATES * 5).fill(0);
  #queues = new Map<string, number[]>();
  #dirty = false;

  /** Accounts for one job changing from `before` to `after` (either may be absent). */
  move(before: Job | undefined, after: Job | undefined): void {
    if (
      before !== undefined &&
      after !== undefined &&
      before.state === after.state &&
      before.priority === after.priority &&
      before.queue === after.queue
    ) {
      return;
    }
    if (before !== undefined) this.#add(before, -1);
    if (after !== undefined) this.#add(after, 1);
    this.#dirty = true;
  }

  #add(job: Job, delta: number): void {
    const state = STATE_INDEX.get(job.state) ?? 0;
    const slot = state * 5 + job.priority;
    this.#byPriority[slot] = (this.#byPriority[slot] ?? 0) + delta;
    let queue = this.#queues.get(job.queue);
    if (queue === undefined) {
      queue = new Array<number>(STATES).fill(0);
      this.#queues.set(job.queue, queue);
    }
    queue[state] = (queue[state] ?? 0) + delta;
    if (delta < 0 && queue.every((n) => n === 0)) this.#queues.delete(job.queue);
  }

  /** The counts as the Store contract reports them. */
  snapshot(): JobCounts {
    const byState = {} as Record<JobState, number>;
    const byPriority = {} as JobCounts['byPriority'];
    let total = 0;
    JOB_STATES.forEach((state, i) => {
      const row = this.#byPriority.slice(i * 5, i * 5 + 5) as [
        number,
        number,
        number,
        number,
        number,
      ];
      byPriority[state] = row;
      byState[state] = row[0] + row[1] + row[2] + row[3] + row[4];
      total += byState[state];
    });
    return { total, byState, byPriority };
  }

  /** Names of queues that hold at least one job. */
  queueNames(): string[] {
    return [...this.#queues.keys()];
  }

  /** Running jobs of one queue. */
  running(name: string): number {
    return this.#queues.get(name)?.[RUNNING] ?? 0;
  }

  /** Jobs of one queue by state, all zero for an unknown queue. */
  queueCounts(name: string): Record<JobState, number> {
    const row = this.#queues.get(name);
    const byState = {} as Record<JobState, number>;
    JOB_STATES.forEach((state, i) => (byState[state] = row?.[i] ?? 0));
    return byState;
  }

  /** The JSON to persist when the counts changed since the last call, else undefined. */
  takeDirty(): string | undefined {
    if (!this.#dirty) return undefined;
    this.#dirty = false;
    return this.toJSON();
  }

  /** The JSON of the counts as {@link CountBook.load} reads it. */
  toJSON(): string {
    const byPriority: number[][] = [];
    for (let i = 0; i < STATES; i++) byPriority.push(this.#byPriority.slice(i * 5, i * 5 + 5));
    const record: CountsRecord = { byPriority, queues: Object.fromEntries(this.#queues) };
    return JSON.stringify(record);
  }

  /**
   * Loads persisted counts (written by {@link CountBook.takeDirty}).
   * @returns false, and nothing loaded, when `json` does not read as counts (see
   * {@link readCounts}).
   */
  load(json: string): boolean {
    const record = readCounts(json);
    if (record === undefined) return false;
    record.byPriority.forEach((row, state) => {
      row.forEach((n, priority) => (this.#byPriority[state * 5 + priority] = n));
    });
    this.#queues = new Map(Object.entries(record.queues));
    return true;
  }
}

const isCountRow = (row: unknown, length: number): row is number[] =>
  Array.isArray(row) && row.length <= length && row.every((n) => Number.isSafeInteger(n));

/**
 * Persisted counts read back, or undefined when `json` does not parse as them: rows of at most
 * five whole numbers for at most every state, and per queue a row of at most every state.
 */
export function readCounts(json: string): CountsRecord | undefined {
  let record: unknown;
  try {
    record = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const { byPriority, queues } = record as Partial<CountsRecord>;
  if (!Array.isArray(byPriority) || byPriority.length > STATES) return undefined;
  if (!byPriority.every((row) => isCountRow(row, 5))) return undefined;
  if (typeof queues !== 'object' || queues === null || Array.isArray(queues)) return undefined;
  if (!Object.values(queues).every((row) => isCountRow(row, STATES))) return undefined;
  return { byPriority, queues };
}
