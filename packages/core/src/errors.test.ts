import { describe, expect, it } from 'vitest';
import type * as errors from './errors.js';
import { GqError, isPermanentError, PermanentError } from './errors.js';

describe('isPermanentError', () => {
  it('recognises a PermanentError and its subclasses, and nothing else', () => {
    class NotRetryable extends PermanentError {}
    expect(isPermanentError(new PermanentError('no'))).toBe(true);
    expect(isPermanentError(new NotRetryable('no'))).toBe(true);
    expect(isPermanentError(new Error('PermanentError'))).toBe(false);
    expect(isPermanentError(Object.assign(new Error('x'), { name: 'PermanentError' }))).toBe(false);
    expect(isPermanentError(new GqError('GQ_CONFLICT', 'x'))).toBe(false);
    expect(isPermanentError('PermanentError')).toBe(false);
    expect(isPermanentError(null)).toBe(false);
  });

  it('recognises a PermanentError made by another copy of the module', async () => {
    // A second evaluation of the same source, as a separately compiled handler module gets.
    const url = new URL('./errors.ts', import.meta.url);
    const other = (await import(`${url.href}?copy=1`)) as typeof errors;
    expect(other.PermanentError).not.toBe(PermanentError);
    const foreign = new other.PermanentError('from the other copy');
    expect(foreign instanceof PermanentError).toBe(false);
    expect(isPermanentError(foreign)).toBe(true);
  });
});
