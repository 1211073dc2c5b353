import { parseDuration, parsePriority, type PriorityLevel } from '@gopherqueue/core';
import { UsageError } from './cli-error.js';

/**
 * Reads a duration flag (`"30s"`, `"1h30m"`, or milliseconds).
 * @throws UsageError naming the flag.
 */
export function durationFlag(flag: string, value: string | number): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new UsageError(`--${flag}: ${(err as Error).message}`);
  }
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

/**
 * Reads a positive integer flag.
 * @throws UsageError naming the flag.
 */
export function positiveIntFlag(flag: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new UsageError(`--${flag} must be a positive integer; got ${value}`);
  }
  return value;
}
