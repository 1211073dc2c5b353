import { isTerminal } from './job-state.js';
import { durationOption, MAX_DELAY_MS } from './limits.js';

/*
 * A job's life before it runs: unique keys, debounce and expiry. The types are on the job and its
 * spec; the predicates here are the one definition every store applies.
 */

/**
 * How long a unique key holds: until the job holding it `started` (its first claim), until it
 * `finished` (reached completed, failed, dead_letter or cancelled), or for a number of ms after
 * it was submitted (whatever its state).
 */
export type UniqueUntil = 'started' | 'finished' | number;

/** A job's unique key, as the store keeps it. */
export interface JobUnique {
  /** 1..{@link MAX_ADMISSION_KEY_LENGTH} characters; scoped per queue. */
  key: string;
  until: UniqueUntil;
}

/** A job's debounce key, as the store keeps it. */
export interface JobDebounce {
  /** 1..{@link MAX_ADMISSION_KEY_LENGTH} characters; scoped per queue. */
  key: string;
  /** Each submit with the key puts the waiting job off to now + waitMs... */
  waitMs: number;
  /** ...but never past its first submit + maxWaitMs. */
  maxWaitMs: number;
}

/** The longest unique or debounce key. */
export const MAX_ADMISSION_KEY_LENGTH = 512;

/** The default `maxWait` of a debounce: one hour, or `wait` when that is longer. */
export const DEFAULT_DEBOUNCE_MAX_WAIT_MS = 3_600_000;

/** The `cancelReason` of a job that was not started before its `expiresAt`. */
export const EXPIRED_REASON = 'expired';

/** `unique` as {@link createJob} takes it. */
export interface UniqueInput {
  key: string;
  /** `'started'`, `'finished'`, or a duration in ms or as `"10m"`. @defaultValue `'finished'` */
  until?: number | string;
}

/** `debounce` as {@link createJob} takes it. */
export interface DebounceInput {
  key: string;
  /** In ms or as `"5s"`; more than 0, at most 10 years. */
  wait: number | string;
  /** In ms or as `"1m"`; at least `wait`. @defaultValue 1 hour, or `wait` when longer */
  maxWait?: number | string;
}

function checkKey(name: string, key: unknown): string {
  if (typeof key !== 'string' || key === '' || key.length > MAX_ADMISSION_KEY_LENGTH) {
    throw new TypeError(
      `${name} must be a non-empty string of at most ${MAX_ADMISSION_KEY_LENGTH} characters`,
    );
  }
  return key;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A positive duration option, at most 10 years. */
function positiveDuration(name: string, value: unknown): number {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new TypeError(`${name} must be a duration ("5s") or a number of ms`);
  }
  const ms = durationOption(name, value, MAX_DELAY_MS);
  if (ms <= 0) throw new RangeError(`${name} must be greater than 0; got ${String(value)}`);
  return ms;
}

/**
 * The checked `unique` option.
 * @throws TypeError or RangeError whose message starts with the field (`unique.key`, ...).
 */
export function resolveUnique(input: unknown): JobUnique {
  if (!isObject(input)) throw new TypeError('unique must be an object { key, until }');
  const key = checkKey('unique.key', input.key);
  const until = input.until ?? 'finished';
  if (until === 'started' || until === 'finished') return { key, until };
  return { key, until: positiveDuration('unique.until', until) };
}

/**
 * The checked `debounce` option.
 * @throws TypeError or RangeError whose message starts with the field (`debounce.wait`, ...).
 */
export function resolveDebounce(input: unknown): JobDebounce {
  if (!isObject(input)) throw new TypeError('debounce must be an object { key, wait, maxWait }');
  const key = checkKey('debounce.key', input.key);
  const waitMs = positiveDuration('debounce.wait', input.wait);
  const maxWaitMs =
    input.maxWait === undefined
      ? Math.max(waitMs, DEFAULT_DEBOUNCE_MAX_WAIT_MS)
      : positiveDuration('debounce.maxWait', input.maxWait);
  if (maxWaitMs < waitMs) {
    throw new RangeError(
      `debounce.maxWait must be at least debounce.wait (${waitMs}ms); got ${maxWaitMs}ms`,
    );
  }
  return { key, waitMs, maxWaitMs };
}

/** What the predicates below read of a job. */
interface AdmissionView {
  state: Parameters<typeof isTerminal>[0];
  startedAt?: number;
  createdAt: number;
  unique?: JobUnique;
  expiresAt?: number;
}

/** True while `job` has never been started and is not finished: it is waiting to run. */
export function neverStarted(job: AdmissionView): boolean {
  return job.startedAt === undefined && job.state !== 'running' && !isTerminal(job.state);
}

/**
 * True while `job`'s unique key still holds at `now`: a submit with the key returns `job`.
 * A job without a unique key holds nothing.
 */
export function uniqueHolds(job: AdmissionView, now: number): boolean {
  const until = job.unique?.until;
  if (until === undefined) return false;
  if (until === 'started') return neverStarted(job);
  if (until === 'finished') return !isTerminal(job.state);
  return now < job.createdAt + until;
}

/** True when `job` passed its `expiresAt` at `now` without being started: it must not start. */
export function isExpired(job: AdmissionView, now: number): boolean {
  return job.expiresAt !== undefined && job.expiresAt <= now && neverStarted(job);
}
