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
 * says otherwise.
 * @throws UsageError naming the flag.
 */
export function durationFlag(
  flag: string,
  value: string | number,
  bounds: DurationBounds = {},
): number {
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
 * Reads a positive integer flag of at most `max`.
 * @throws UsageError naming the flag.
 */
export function positiveIntFlag(flag: string, value: number, max = MAX_COUNT_FLAG): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new UsageError(`--${flag} must be an integer from 1 to ${max}; got ${value}`);
  }
  return value;
}

/**
 * Reads `--claim-ahead`: absent is the store's default.
 * @throws UsageError naming the flag.
 */
export function claimAheadFlag(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > MAX_CLAIM_AHEAD) {
    throw new UsageError(
      `--claim-ahead must be an integer from 0 to ${MAX_CLAIM_AHEAD}; got ${String(value)}`,
    );
  }
  return value;
}
