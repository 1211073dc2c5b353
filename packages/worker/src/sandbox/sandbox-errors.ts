import { isGqError, isPermanentError, PermanentError, SnoozeError } from '@gopherqueue/core';
import type { WireError } from './sandbox-protocol.js';

/**
 * The sandbox that ran an attempt's handler died under it: it crashed (an uncaught exception),
 * ran out of memory, called `process.exit`, could not load its handler, or was terminated because
 * another job in it outlived its grace period. The attempt fails with error class
 * `sandbox_crashed` and is retried by the job's policy.
 */
export class SandboxCrashedError extends Error {
  override readonly name = 'SandboxCrashedError';
}

/** An error of the pool (an abort reason) as it crosses into a sandbox. */
export function toWireError(thrown: unknown): WireError {
  if (!(thrown instanceof Error)) return { kind: 'value', text: String(thrown) };
  const wire: WireError = {
    kind: 'error',
    name: thrown.name,
    message: thrown.message,
    permanent: isPermanentError(thrown),
  };
  if (thrown.stack !== undefined) wire.stack = thrown.stack;
  if (isGqError(thrown)) wire.code = thrown.code;
  return wire;
}

/**
 * What a sandboxed handler threw, rebuilt on this side: an Error with the same name, message and
 * stack (a `PermanentError` when it was one, so the job is not retried; a `SnoozeError` when it
 * snoozed), or the thrown value's text as inline code would record it.
 */
export function fromWireError(wire: WireError): unknown {
  if (wire.kind === 'value') return wire.text;
  let error: Error;
  if (wire.snooze !== undefined) {
    try {
      error = new SnoozeError(wire.snooze, wire.message);
    } catch (err) {
      // A bad delay fails the attempt, as it does for an inline handler.
      return err;
    }
  } else {
    error = wire.permanent ? new PermanentError(wire.message) : new Error(wire.message);
  }
  Object.defineProperty(error, 'name', { value: wire.name, configurable: true, writable: true });
  if (wire.stack === undefined) delete error.stack;
  else error.stack = wire.stack;
  if (wire.code !== undefined) Object.assign(error, { code: wire.code });
  if (wire.retryAfter !== undefined) Object.assign(error, { retryAfter: wire.retryAfter });
  if (wire.noRetry === true) Object.assign(error, { retry: false });
  return error;
}
