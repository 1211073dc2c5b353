import type { FailInput } from '@gopherqueue/core';

/**
 * Validates {@link FailInput.leaseExpiredBy}, shared by every store's `fail`.
 * @throws RangeError when it is given and is not a finite number.
 */
export function checkLeaseExpiredBy(input: FailInput): void {
  const by = input.leaseExpiredBy;
  if (by !== undefined && !Number.isFinite(by)) {
    throw new RangeError(`leaseExpiredBy must be a finite time in ms; got ${String(by)}`);
  }
}
