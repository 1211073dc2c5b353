import { formatDuration, parseDuration } from './duration.js';

/*
 * The bounds of every time and duration the engine accepts from outside (job options, HTTP
 * bodies, CLI flags, a store's writes). A value past one of these bounds is rejected with an
 * error naming it, so one absurd number can reach neither the store nor a timer.
 */

const DAY_MS = 86_400_000;

/** The longest a single Node.js timer can wait (2^31-1 ms, about 24.8 days); longer waits are chained. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The longest `delay`, and the furthest ahead of now a `runAt` may be: 10 years (3,650 days, `"87600h"`). */
export const MAX_DELAY_MS = 3650 * DAY_MS;

/** The longest per-attempt `timeout`: 10 years, like {@link MAX_DELAY_MS}. */
export const MAX_TIMEOUT_MS = MAX_DELAY_MS;

/** The longest retry backoff (`initial` and `max`): 10 years, like {@link MAX_DELAY_MS}. */
export const MAX_BACKOFF_MS = MAX_DELAY_MS;

/** The longest duration any request field or CLI flag may give (waits and leases have tighter bounds). */
export const MAX_DURATION_MS = MAX_DELAY_MS;

/** The shortest lease a worker may ask for. */
export const MIN_LEASE_MS = 1000;

/** The longest lease a worker may ask for: 1 hour (a longer job renews its lease by heartbeat). */
export const MAX_LEASE_MS = 3_600_000;

/**
 * How far past `now + MAX_DELAY_MS` a store still accepts a `runAt`: the node that computed it,
 * or the machine an export came from, may have a clock ahead of the store's.
 */
export const RUN_AT_SKEW_MS = DAY_MS;

/** The earliest time RFC 3339 can write (`0000-01-01T00:00:00.000Z`), in ms since the epoch. */
export const MIN_TIME_MS = -62_167_219_200_000;

/** The latest time RFC 3339 can write (`9999-12-31T23:59:59.999Z`), in ms since the epoch. */
export const MAX_TIME_MS = 253_402_300_799_999;

/** A bound as people write it: `"87600h (10 years)"`, `"1h"`, `"1s"`. */
function describeBound(ms: number): string {
  if (ms === MAX_DELAY_MS) return '87600h (10 years)';
  return ms >= 3_600_000 && ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : formatDuration(ms);
}

/**
 * Why `runAt` cannot be stored by a store whose clock reads `now`, or undefined when it can: it
 * must be a finite time RFC 3339 can write, at most {@link MAX_DELAY_MS} plus
 * {@link RUN_AT_SKEW_MS} ahead of `now`.
 */
export function runAtProblem(runAt: unknown, now: number): string | undefined {
  if (typeof runAt !== 'number' || !Number.isFinite(runAt)) {
    return `runAt must be a finite number of ms since the epoch; got ${String(runAt)}`;
  }
  if (runAt < MIN_TIME_MS) return `runAt must not be before year 0; got ${runAt}`;
  const latest = Math.min(now + MAX_DELAY_MS + RUN_AT_SKEW_MS, MAX_TIME_MS);
  if (runAt > latest) {
    return `runAt must be at most ${describeBound(MAX_DELAY_MS)} ahead; got ${runAt}, ${runAt - now}ms ahead`;
  }
  return undefined;
}

/**
 * Why the duration `ms` is out of `[min, max]`, as a phrase to follow the field's name
 * (`"must be at most 87600h (10 years); got 1e+308ms"`), or undefined when it is within.
 */
export function durationProblem(ms: number, max: number, min = 0): string | undefined {
  if (!Number.isFinite(ms)) return `must be a finite duration; got ${ms}`;
  if (ms > max) return `must be at most ${describeBound(max)}; got ${ms}ms`;
  if (ms < min) return `must be at least ${describeBound(min)}; got ${ms}ms`;
  return undefined;
}

/**
 * A duration option in ms, at most `max`.
 * @throws TypeError or RangeError whose message starts with `name`.
 */
export function durationOption(name: string, value: string | number, max: number): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (err) {
    const error = err as Error;
    const Type = error instanceof TypeError ? TypeError : RangeError;
    throw new Type(`${name}: ${error.message}`);
  }
  const problem = durationProblem(ms, max);
  if (problem !== undefined) throw new RangeError(`${name} ${problem}`);
  return ms;
}

/**
 * The deepest a JSON value from outside may nest objects and arrays (a payload, a result, a
 * checkpoint, progress): `[]` nests 1 deep, `[[1]]` 2. Far below where serialising it could run
 * out of stack (about 4,000 levels, less on a deep call path), and far above what data needs.
 */
export const MAX_JSON_DEPTH = 256;

/**
 * True when `value` nests objects and arrays deeper than `max`. Walks the value with a stack of
 * its own, so it never recurses; a cycle counts as too deep.
 */
export function jsonTooDeep(value: unknown, max = MAX_JSON_DEPTH): boolean {
  return jsonFault(value, max, false) === 'deep';
}

/** A NUL character, or half of a surrogate pair without the other half. */
// eslint-disable-next-line no-control-regex -- NUL is what it looks for
const BAD_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const BAD_TEXT_ALL = new RegExp(BAD_TEXT.source, 'g');

/**
 * True when `text` holds a NUL or an unpaired surrogate: text no store keeps as given (PostgreSQL
 * refuses both in `text` and `jsonb`; UTF-8 keys turn every unpaired surrogate into U+FFFD, so
 * two different keys would become one).
 */
export function isBadText(text: string): boolean {
  return BAD_TEXT.test(text);
}

/** `text` with each NUL and unpaired surrogate replaced by U+FFFD (for messages, not keys). */
export function wellFormedText(text: string): string {
  return BAD_TEXT.test(text) ? text.replace(BAD_TEXT_ALL, '\ufffd') : text;
}

/** Why the text given as `name` cannot be kept (see {@link isBadText}), or undefined. */
export function textProblem(name: string, text: string): string | undefined {
  return isBadText(text)
    ? `${name} must be well-formed Unicode text without NUL characters`
    : undefined;
}

/**
 * Why a JSON value given as `name` cannot be kept, or undefined when it can: nested deeper than
 * {@link MAX_JSON_DEPTH}, or holding a string or field name with a NUL or an unpaired surrogate.
 */
export function jsonValueProblem(name: string, value: unknown): string | undefined {
  switch (jsonFault(value, MAX_JSON_DEPTH, true)) {
    case 'deep':
      return `${name} must nest objects and arrays at most ${MAX_JSON_DEPTH} levels deep`;
    case 'text':
      return `${name} must hold well-formed Unicode text without NUL characters`;
    default:
      return undefined;
  }
}

/**
 * The first fault one walk of `value` finds: nesting deeper than `max`, or (with `text`) a
 * string or field name that {@link isBadText} refuses. Iterative, so any depth is safe.
 */
function jsonFault(value: unknown, max: number, text: boolean): 'deep' | 'text' | undefined {
  const pending: [unknown, number][] = [[value, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item === 'string') {
      if (text && BAD_TEXT.test(item)) return 'text';
      continue;
    }
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= max) return 'deep';
    if (Array.isArray(item)) {
      for (const child of item) pending.push([child, depth + 1]);
      continue;
    }
    for (const [key, child] of Object.entries(item)) {
      if (text && BAD_TEXT.test(key)) return 'text';
      pending.push([child, depth + 1]);
    }
  }
  return undefined;
}

/**
 * The longest a job's progress may be as JSON text, in characters: progress is a number or a
 * small object, sent with every listing of the job and every progress event.
 */
export const MAX_PROGRESS_LENGTH = 65_536;

/**
 * Why `value` cannot be a job's progress, or undefined when it can: progress is a number from 0
 * to 100 or an object, at most {@link MAX_PROGRESS_LENGTH} characters as JSON and nested at most
 * {@link MAX_JSON_DEPTH} deep.
 */
export function progressProblem(value: unknown): string | undefined {
  if (typeof value === 'number' && value >= 0 && value <= 100) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const shown = Array.isArray(value) ? 'an array' : (JSON.stringify(value) ?? typeof value);
    return `progress must be a number from 0 to 100 or an object; got ${shown.slice(0, 100)}`;
  }
  const deep = jsonValueProblem('progress', value);
  if (deep !== undefined) return deep;
  const length = JSON.stringify(value)?.length ?? 0;
  return length > MAX_PROGRESS_LENGTH
    ? `progress must be at most ${MAX_PROGRESS_LENGTH} characters as JSON; got ${length}`
    : undefined;
}

/** RFC 3339's date-time: a date, `T` (or a space), a time with seconds, and an offset. */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The time `text` names in ms since the epoch when it is an RFC 3339 date-time with an offset
 * (`2026-01-01T00:00:00Z`, `2026-01-01T01:00:00.5+01:00`), else undefined: a date alone, a time
 * without an offset (read in whoever's time zone), another format `Date.parse` would guess at,
 * or a day the month does not have (`2026-02-30`, which `Date.parse` rolls into March).
 */
export function rfc3339Ms(text: string): number | undefined {
  const match = RFC3339.exec(text);
  if (match === null) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  const ms = Date.parse(text.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : undefined;
}
