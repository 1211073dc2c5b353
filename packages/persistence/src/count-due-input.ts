import type { CountDueInput } from '@gopherqueue/core';

/** {@link CountDueInput} with its defaults applied. */
export interface ResolvedCountDueInput {
  excludeTypes: ReadonlySet<string>;
  limit: number;
  maxTypes: number;
}

/** Most jobs counted per type, and most types, one `countDue` call may ask for. */
const MAX_LIMIT = 1_000_000;
const MAX_TYPES = 10_000;

/**
 * Applies the defaults of `countDue`'s input and checks its bounds.
 * @throws RangeError for a `limit` or `maxTypes` that is not an integer from 1 to its bound
 * @throws TypeError for `excludeTypes` that is not a list of strings
 */
export function resolveCountDueInput(input: CountDueInput = {}): ResolvedCountDueInput {
  const limit = input.limit ?? 1000;
  const maxTypes = input.maxTypes ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_LIMIT}; got ${String(limit)}`);
  }
  if (!Number.isInteger(maxTypes) || maxTypes < 1 || maxTypes > MAX_TYPES) {
    throw new RangeError(
      `maxTypes must be an integer from 1 to ${MAX_TYPES}; got ${String(maxTypes)}`,
    );
  }
  const exclude: unknown = input.excludeTypes ?? [];
  if (!Array.isArray(exclude) || !exclude.every((type) => typeof type === 'string')) {
    throw new TypeError('excludeTypes must be a list of job types');
  }
  return { excludeTypes: new Set(exclude), limit, maxTypes };
}
