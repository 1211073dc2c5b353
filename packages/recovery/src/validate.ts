import type { Store } from '@gopherqueue/core';

/**
 * Returns `options.store` when it looks like a Store.
 * @throws TypeError when options or the store is missing.
 */
export function requireStore(options: { store: Store } | undefined): Store {
  const store = (options as { store?: unknown } | undefined)?.store;
  if (typeof store !== 'object' || store === null) {
    throw new TypeError(
      `options.store must be a Store; got ${store === null ? 'null' : typeof store}`,
    );
  }
  return store as Store;
}

/**
 * Returns `value` when it is an integer of at least 1.
 * @throws RangeError naming the option otherwise.
 */
export function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be an integer of at least 1; got ${String(value)}`);
  }
  return value;
}

/**
 * Returns `value` when it is a finite number of milliseconds, 0 or more.
 * @throws RangeError naming the option otherwise.
 */
export function nonNegativeMs(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `${name} must be a number of milliseconds, 0 or more; got ${String(value)}`,
    );
  }
  return value;
}
