import {
  durationProblem,
  MAX_DURATION_MS,
  MAX_LEASE_MS,
  MIN_LEASE_MS,
  parseDuration,
  parsePriority,
  type PriorityLevel,
} from '@gopherqueue/core';
import { MAX_CLAIM_AHEAD } from '@gopherqueue/worker';
import { UsageError } from './cli-error.js';

/** Bounds of a duration flag, in ms. */
export interface DurationBounds {
  /** @defaultValue 0 */
  min?: number;
  /** @defaultValue MAX_DURATION_MS (10 years) */
  max?: number;
}

/** The bounds of `--lease`: what the server's lease API accepts. */
export const LEASE_BOUNDS: Readonly<DurationBounds> = Object.freeze({
  min: MIN_LEASE_MS,
  max: MAX_LEASE_MS,
});

/**
 * Reads a duration flag (`"30s"`, `"1h30m"`, or milliseconds), at most 10 years unless `bounds`
 * says otherwise. A negative one (`--timeout=-5s`) is told it must be positive, a flag given
 * without a value that it needs one. Declare the option with `requiresArg: true`, or yargs reads
 * `--timeout -5s` as `--timeout` without a value and the unknown flags `-5` and `-s`.
 * @throws UsageError naming the flag.
 */
export function durationFlag(
  flag: string,
  value: string | number,
  bounds: DurationBounds = {},
): number {
  const text = typeof value === 'string' ? value.trim() : String(value);
  if (text === '') throw new UsageError(`--${flag} needs a value: a positive duration, e.g. 30s`);
  if (text.startsWith('-')) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : text;
    throw new UsageError(`--${flag} must be a positive duration, e.g. 30s; got ${shown}`);
  }
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (err) {
    throw new UsageError(`--${flag}: ${(err as Error).message}`);
  }
  const problem = durationProblem(ms, bounds.max ?? MAX_DURATION_MS, bounds.min ?? 0);
  if (problem !== undefined) throw new UsageError(`--${flag} ${problem}`);
  return ms;
}

/**
 * Reads `--priority` as 0..4 or a name.
 * @throws UsageError listing the accepted values.
 */
export function priorityFlag(value: string): PriorityLevel {
  try {
    return parsePriority(value);
  } catch (err) {
    throw new UsageError(`--priority: ${(err as Error).message}`);
  }
}

/** Splits repeatable, comma-separated list flags (`--types a,b --types c`). */
export function listFlag(values: readonly (string | number)[] | undefined): string[] {
  return (values ?? [])
    .flatMap((value) => String(value).split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
}

/** A schema name `PostgresStore` accepts: a plain lower-case SQL identifier. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Reads `--postgres-schema`.
 * @throws UsageError when it is not a lower-case SQL identifier of at most 63 characters.
 */
export function postgresSchemaFlag(value: string): string {
  if (!SCHEMA_NAME.test(value)) {
    throw new UsageError(
      `--postgres-schema must be a lower-case SQL identifier (a-z, 0-9, _; at most 63); got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** The largest a count flag may be unless it names a tighter bound. */
export const MAX_COUNT_FLAG = 1_000_000;

/** The most handlers one process runs at once (`serve --workers`, `work --concurrency`). */
export const MAX_HANDLERS = 10_000;

/** The most jobs one `gq import` batch writes. */
export const MAX_IMPORT_BATCH = 10_000;

/**
 * A count flag's value as a number: yargs gives a number for text that reads as one, and the
 * text itself otherwise (for an option declared without `type: 'number'`, which would turn the
 * text into NaN); text is read as a number only when it is one.
 */
function countValue(value: number | string): number {
  if (typeof value === 'number') return value;
  const text = value.trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : Number.NaN;
}

/**
 * What the user gave a count flag, for a message: the text as typed (quoted when it is not a
 * number). An option declared `type: 'number'` turns text that is not a number into NaN, whose
 * text is lost by then: declare count options without it (and with `requiresArg: true`).
 */
function shownCount(value: number | string): string {
  if (typeof value === 'string') {
    return Number.isNaN(countValue(value)) ? JSON.stringify(value) : value.trim();
  }
  return Number.isNaN(value) ? 'a value that is not a number' : String(value);
}

/**
 * Reads a positive integer flag of at most `max`, given as yargs read it (see {@link countValue}).
 * @throws UsageError naming the flag and showing what it was given.
 */
export function positiveIntFlag(
  flag: string,
  value: number | string,
  max = MAX_COUNT_FLAG,
): number {
  const count = countValue(value);
  if (!Number.isInteger(count) || count < 1 || count > max) {
    throw new UsageError(`--${flag} must be an integer from 1 to ${max}; got ${shownCount(value)}`);
  }
  return count;
}

/**
 * Reads `--claim-ahead`: absent is the store's default.
 * @throws UsageError naming the flag and showing what it was given.
 */
export function claimAheadFlag(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const count = countValue(value);
  if (!Number.isInteger(count) || count < 0 || count > MAX_CLAIM_AHEAD) {
    throw new UsageError(
      `--claim-ahead must be an integer from 0 to ${MAX_CLAIM_AHEAD}; got ${shownCount(value)}`,
    );
  }
  return count;
}
