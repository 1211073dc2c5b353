import { formatDuration, parseDuration } from './duration.js';
import { ErrorCode, GqError } from './errors.js';

/*
 * Per-key flow control of a queue, and aging.
 *
 * A job may carry a `group` key (a customer id, a tenant, an account). A queue's
 * `groupConcurrency` K lets a claim start a job of a key only while fewer than K jobs of that key
 * of the queue are running, across every process and remote worker of the store. Jobs without a
 * key are not limited by it.
 *
 * `ordered: true` makes each key a strict FIFO: a job of a key may start only when it is the
 * key's HEAD, the job of the key with the smallest `seq` (submission order) that has not finished
 * (`completed`, `failed`, `dead_letter` or `cancelled`), and no job of the key is running. So a
 * retrying head keeps its place: the key's later jobs wait through its backoff until it ends. An
 * ordered queue runs one job per key at a time whatever its `groupConcurrency` says: ordered
 * implies a per-key limit of 1. A `groupConcurrency` set with it is kept, and applies again once
 * `ordered` is turned off.
 * Within a key submission order wins over priority; between keys the claim order holds. Jobs
 * without a key in an ordered queue are neither ordered nor limited.
 *
 * `agingMs` A makes a waiting job of the queue gain one priority level per A ms it has waited
 * since its `runAt` (its effective priority is `max(0, priority - floor((now - runAt) / A))`),
 * so bulk work cannot starve under a steady stream of more urgent jobs. Claim order becomes
 * effective priority, then `runAt`, then `seq`. Without `agingMs` the order stays strict.
 */

/** The longest `group` key of a job. */
export const MAX_GROUP_LENGTH = 128;
/** What a `group` key may hold: letters, digits and `_.:-/@+=`. */
export const GROUP_PATTERN = /^[A-Za-z0-9_.:\-/@+=]{1,128}$/;
/** The most running jobs per key a `groupConcurrency` may allow. */
export const MAX_GROUP_CONCURRENCY = 100_000;
/** The shortest aging step: 1 second. */
export const MIN_AGING_MS = 1000;
/** The longest aging step: 1 day. */
export const MAX_AGING_MS = 86_400_000;
/** The most groups at their limit {@link Store.getQueue} lists. */
export const MAX_GROUPS_LISTED = 100;

/** A key at its limit, as `getQueue` lists it. */
export interface GroupAtLimit {
  group: string;
  /** Its jobs running now. */
  running: number;
}

/** One key of a queue now, as {@link Store.getGroup} reads it. */
export interface GroupState {
  queue: string;
  group: string;
  /** Its jobs running now. */
  running: number;
  /** The id of its unfinished job with the smallest `seq` (the head of an ordered key). */
  headId?: string;
}

/** Why `value` is not a valid job `group` key, or undefined. */
export function groupProblem(value: unknown): string | undefined {
  if (typeof value === 'string' && GROUP_PATTERN.test(value)) return undefined;
  return `group must be 1..${MAX_GROUP_LENGTH} characters of letters, digits and _.:-/@+=; got ${JSON.stringify(value) ?? typeof value}`;
}

/** Why `value` is not a valid `groupConcurrency` (an integer 1..100000 or null), or undefined. */
export function groupConcurrencyProblem(value: unknown): string | undefined {
  if (value === null) return undefined;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 1 ||
    value > MAX_GROUP_CONCURRENCY
  ) {
    return `group_concurrency must be an integer from 1 to ${MAX_GROUP_CONCURRENCY}, or null for no limit; got ${JSON.stringify(value) ?? typeof value}`;
  }
  return undefined;
}

/** Why `value` is not a valid aging step in ms (1s..1d, or null), or undefined. */
export function agingProblem(value: unknown): string | undefined {
  if (value === null) return undefined;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < MIN_AGING_MS ||
    value > MAX_AGING_MS
  ) {
    return `aging must be a duration from 1s to 24h (one priority level gained per step), or null for none; got ${JSON.stringify(value) ?? typeof value}`;
  }
  return undefined;
}

/**
 * Reads an aging step as people write it (`"5m"`, `"30s"`).
 * @throws GqError(GQ_INVALID_ARGUMENT) with `details.field = 'aging'` for anything else.
 */
export function parseAging(text: string): number {
  const invalid = (why: string): GqError =>
    new GqError(ErrorCode.INVALID_ARGUMENT, `invalid aging ${JSON.stringify(text)}: ${why}`, {
      details: { field: 'aging' },
    });
  if (typeof text !== 'string' || text.length > 32) throw invalid('expected a duration like "5m"');
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (err) {
    throw invalid((err as Error).message);
  }
  const problem = agingProblem(ms);
  if (problem !== undefined) throw invalid(problem);
  return ms;
}

/** Writes an aging step as {@link parseAging} reads it. */
export function formatAging(ms: number): string {
  return formatDuration(ms);
}

/** How many running jobs per key a queue allows: 1 when ordered, else its `groupConcurrency`. */
export function groupLimitOf(settings: {
  groupConcurrency?: number | null | undefined;
  ordered?: boolean | undefined;
}): number | null {
  if (settings.ordered === true) return 1;
  return settings.groupConcurrency ?? null;
}

/** A job's priority after aging: one level gained per `agingMs` waited since `runAt`, down to 0. */
export function effectivePriority(
  priority: number,
  runAt: number,
  now: number,
  agingMs: number | null | undefined,
): number {
  if (agingMs === null || agingMs === undefined || now <= runAt) return priority;
  return Math.max(0, priority - Math.floor((now - runAt) / agingMs));
}
