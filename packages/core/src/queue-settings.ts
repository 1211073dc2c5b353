import { formatDuration, parseDuration } from './duration.js';
import { ErrorCode, GqError } from './errors.js';
import { agingProblem, groupConcurrencyProblem } from './group-settings.js';

/*
 * Flow control of a queue: `concurrency` (at most N of its jobs running at once, across every
 * node and remote worker) and `rate` (at most N starts in any window of a period). Both are
 * enforced by the store at claim time; the types and the rate window's arithmetic live here so
 * every store counts the same way.
 *
 * The rate is a SLIDING WINDOW, not a token bucket: a claim may start a job of the queue only
 * while fewer than N of its jobs started in the last `periodMs` (the window `(now - periodMs,
 * now]`). So no window of the period ever holds more than N starts, which a token bucket (whose
 * burst comes on top of its refill) does not promise. Starts are remembered per slot of
 * `ceil(periodMs / 1000)` ms (1 ms for periods up to a second), each counted from the END of its
 * slot: a start is remembered at least as long as it really lies in the window, so rounding can
 * only make the limit stricter, by at most one slot per period (0.1 %), and the remembered starts
 * of one queue are at most 1001 entries whatever N is.
 */

/** The most jobs of one queue a `concurrency` setting may allow at once. */
export const MAX_QUEUE_CONCURRENCY = 100_000;
/** The most starts a `rate` may allow per period. */
export const MAX_RATE_LIMIT = 1_000_000;
/** The shortest period of a `rate`. */
export const MIN_RATE_PERIOD_MS = 1;
/** The longest period of a `rate`: 1 hour. */
export const MAX_RATE_PERIOD_MS = 3_600_000;

/** At most `limit` starts in any window of `periodMs`. */
export interface QueueRate {
  limit: number;
  periodMs: number;
}

/** A queue's flow-control settings; null means no limit. */
export interface QueueLimits {
  concurrency: number | null;
  rate: QueueRate | null;
  /** At most this many running jobs per `group` key (see `group-settings.ts`). */
  groupConcurrency?: number | null;
  /** Strict FIFO per `group` key (implies a limit of 1 per key). */
  ordered?: boolean;
  /** One priority level gained per this many ms waited. */
  agingMs?: number | null;
}

/** A change of a queue's settings: given fields change (null clears a limit), others stay. */
export interface QueuePatch {
  paused?: boolean;
  concurrency?: number | null;
  rate?: QueueRate | null;
  /** At most N running jobs per `group` key; null clears it. */
  groupConcurrency?: number | null;
  /** Strict FIFO per `group` key. */
  ordered?: boolean;
  /** One priority level gained per this many ms waited; null clears it. */
  agingMs?: number | null;
}

/**
 * The starts a queue's rate remembers: `[time, count]` pairs in time order, each time the end of
 * a slot (see the file comment). Only entries inside the window matter; older ones are dropped.
 */
export type RateLog = [number, number][];

/** Why `value` is not a valid `concurrency` (an integer 1..100000 or null), or undefined. */
export function concurrencyProblem(value: unknown): string | undefined {
  if (value === null) return undefined;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 1 ||
    value > MAX_QUEUE_CONCURRENCY
  ) {
    return `concurrency must be an integer from 1 to ${MAX_QUEUE_CONCURRENCY}, or null for no limit; got ${JSON.stringify(value) ?? typeof value}`;
  }
  return undefined;
}

/** Why `value` is not a valid rate, or undefined. */
export function rateProblem(value: unknown): string | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'object') return 'rate must be an object { limit, periodMs } or null';
  const { limit, periodMs } = value as Partial<QueueRate>;
  if (
    typeof limit !== 'number' ||
    !Number.isInteger(limit) ||
    limit < 1 ||
    limit > MAX_RATE_LIMIT
  ) {
    return `rate must allow from 1 to ${MAX_RATE_LIMIT} starts per period; got ${String(limit)}`;
  }
  if (
    typeof periodMs !== 'number' ||
    !Number.isInteger(periodMs) ||
    periodMs < MIN_RATE_PERIOD_MS ||
    periodMs > MAX_RATE_PERIOD_MS
  ) {
    return `rate period must be a whole number of ms from 1ms to 1h; got ${String(periodMs)}`;
  }
  return undefined;
}

/**
 * Reads a rate as people write it, `N/DURATION` (`"100/1s"`, `"1000/1m"`, `"5/250ms"`); a
 * duration without a number means one of it (`"10/s"`).
 * @throws GqError(GQ_INVALID_ARGUMENT) with `details.field = 'rate'` for anything else.
 */
export function parseRate(text: string): QueueRate {
  const invalid = (why: string): GqError =>
    new GqError(ErrorCode.INVALID_ARGUMENT, `invalid rate ${JSON.stringify(text)}: ${why}`, {
      details: { field: 'rate' },
    });
  if (typeof text !== 'string') throw invalid('expected a string like "100/1s"');
  const match = /^\s*(\d{1,10})\s*\/\s*(\S+)\s*$/.exec(text);
  if (!match) throw invalid('expected N/DURATION, e.g. "100/1s" or "1000/1m"');
  const unit = match[2] as string;
  let periodMs: number;
  try {
    periodMs = parseDuration(/^\d/.test(unit) ? unit : `1${unit}`);
  } catch (err) {
    throw invalid((err as Error).message);
  }
  const rate = { limit: Number(match[1]), periodMs };
  const problem = rateProblem(rate);
  if (problem !== undefined) throw invalid(problem);
  return rate;
}

/** Writes a rate as {@link parseRate} reads it: `{ limit: 100, periodMs: 1000 }` -> `"100/1s"`. */
export function formatRate(rate: QueueRate): string {
  return `${rate.limit}/${formatDuration(rate.periodMs)}`;
}

/**
 * Checks a patch as a store receives it.
 * @throws GqError(GQ_INVALID_ARGUMENT) naming the field (`details.field`) for a bad value.
 */
export function checkQueuePatch(patch: QueuePatch): void {
  const bad = (field: string, message: string): GqError =>
    new GqError(ErrorCode.INVALID_ARGUMENT, message, { details: { field } });
  if (typeof patch !== 'object' || patch === null)
    throw bad('patch', 'a queue patch must be an object');
  if (patch.paused !== undefined && typeof patch.paused !== 'boolean') {
    throw bad('paused', 'paused must be a boolean');
  }
  if (patch.concurrency !== undefined) {
    const problem = concurrencyProblem(patch.concurrency);
    if (problem !== undefined) throw bad('concurrency', problem);
  }
  if (patch.rate !== undefined) {
    const problem = rateProblem(patch.rate);
    if (problem !== undefined) throw bad('rate', problem);
  }
  if (patch.groupConcurrency !== undefined) {
    const problem = groupConcurrencyProblem(patch.groupConcurrency);
    if (problem !== undefined) throw bad('group_concurrency', problem);
  }
  if (patch.ordered !== undefined && typeof patch.ordered !== 'boolean') {
    throw bad('ordered', 'ordered must be a boolean');
  }
  if (patch.agingMs !== undefined) {
    const problem = agingProblem(patch.agingMs);
    if (problem !== undefined) throw bad('aging', problem);
  }
}

/** True when the limits hold anything to remember (a limit, ordered or aging). */
export function hasLimits(limits: QueueLimits): boolean {
  return (
    limits.concurrency !== null ||
    limits.rate !== null ||
    (limits.groupConcurrency ?? null) !== null ||
    limits.ordered === true ||
    (limits.agingMs ?? null) !== null
  );
}

/** The length of one slot of the rate window (see the file comment). */
export function rateSlotMs(periodMs: number): number {
  return Math.max(1, Math.ceil(periodMs / 1000));
}

/**
 * A stored rate log read back: its `[time, count]` pairs of finite numbers, in time order. A value
 * that is not such a list (a row edited by hand) reads as the pairs it holds, or none, so one odd
 * row never fails the claims of its queue.
 */
export function readRateLog(value: unknown): RateLog {
  if (!Array.isArray(value)) return [];
  const pairs = value.filter(
    (pair): pair is [number, number] =>
      Array.isArray(pair) &&
      pair.length === 2 &&
      Number.isFinite(pair[0]) &&
      Number.isFinite(pair[1]),
  );
  return pairs.every((pair, i) => i === 0 || (pairs[i - 1] as [number, number])[0] <= pair[0])
    ? pairs
    : [...pairs].sort((a, b) => a[0] - b[0]);
}

/** The log without entries that left the window ending at `now`. */
export function pruneRateLog(log: RateLog, now: number, periodMs: number): RateLog {
  let first = 0;
  while (first < log.length && (log[first] as [number, number])[0] + periodMs <= now) first++;
  return first === 0 ? log : log.slice(first);
}

/** How many more jobs may start at `now`: the limit minus the starts still in the window. */
export function rateRemaining(log: RateLog, now: number, rate: QueueRate): number {
  let used = 0;
  for (const [at, count] of log) if (at + rate.periodMs > now) used += count;
  return Math.max(0, rate.limit - used);
}

/**
 * The log after `count` starts at `now` (pruned): they are remembered at the end of `now`'s slot.
 */
export function recordStarts(log: RateLog, now: number, count: number, periodMs: number): RateLog {
  if (count <= 0) return pruneRateLog(log, now, periodMs);
  const { base, at, held } = rateSlotOf(log, now, periodMs);
  return [...base, [at, held + count]];
}

/**
 * Where starts at `now` go in the log: the pruned log without `now`'s slot (`base`), the slot's
 * end (`at`) and the starts it already holds (`held`). The log after `n` starts at `now` is
 * `base` followed by `[at, held + n]`; a store that counts the starts only as it records them
 * (PostgreSQL, in the claim statement) builds it from these three.
 */
export function rateSlotOf(
  log: RateLog,
  now: number,
  periodMs: number,
): { base: RateLog; at: number; held: number } {
  const kept = pruneRateLog(log, now, periodMs);
  const slot = rateSlotMs(periodMs);
  const at = Math.ceil(now / slot) * slot;
  const last = kept[kept.length - 1];
  if (last !== undefined && last[0] === at) return { base: kept.slice(0, -1), at, held: last[1] };
  return { base: kept, at, held: 0 };
}

/**
 * The moment the window last freed a start, at or before `now` (the latest `at + periodMs` that
 * is not after `now`), or undefined while no start of the log has left it. A queue that may
 * start jobs again only since then reports it as its next run-at, so a claimer that found the
 * window full just before it freed sees a run-at it has not seen yet and claims again.
 */
export function rateFreedAt(log: RateLog, now: number, periodMs: number): number | undefined {
  let freed: number | undefined;
  for (const [at] of log) {
    if (at + periodMs > now) break;
    freed = at + periodMs;
  }
  return freed;
}

/**
 * When a job of the queue may start again if none may now: the moment the oldest start in the
 * window leaves it. Undefined when one may start at `now`.
 */
export function nextRateStartAt(log: RateLog, now: number, rate: QueueRate): number | undefined {
  let used = 0;
  for (const [at, count] of log) if (at + rate.periodMs > now) used += count;
  if (used < rate.limit) return undefined;
  for (const [at, count] of log) {
    if (at + rate.periodMs <= now) continue;
    used -= count;
    if (used < rate.limit) return at + rate.periodMs;
  }
  return undefined;
}
