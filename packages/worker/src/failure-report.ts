import {
  isPermanentError,
  retryAfterOf,
  retryRefused,
  type ErrorClass,
  type FailureReport,
} from '@gopherqueue/core';
import { SandboxCrashedError } from './sandbox/sandbox-errors.js';

/**
 * How a handler's throw (of anything, not only an Error) is recorded on the job, with the wait
 * before the next attempt an Error asks for by its `retryAfter`.
 */
export function failureReport(thrown: unknown, errorClass?: ErrorClass): FailureReport {
  if (thrown instanceof Error) {
    const report: FailureReport = {
      message: thrown.message === '' ? thrown.name : thrown.message,
      errorClass: errorClass ?? classOf(thrown),
      name: thrown.name,
    };
    if (thrown.stack !== undefined) report.stack = thrown.stack;
    const retryAfterMs = retryAfterOf(thrown);
    if (retryAfterMs !== undefined) report.retryAfterMs = retryAfterMs;
    return report;
  }
  // A thrown plain object that carries a message (`throw { message, code }`) keeps it.
  const fields = typeof thrown === 'object' && thrown !== null ? (thrown as Partial<Error>) : {};
  const report: FailureReport = {
    message: typeof fields.message === 'string' ? fields.message : safeString(thrown),
    errorClass: errorClass ?? 'error',
  };
  if (typeof fields.name === 'string') report.name = fields.name;
  return report;
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    // An object without a prototype has no toString.
    return Object.prototype.toString.call(value);
  }
}

/** An error's message, or the thrown value in words: for log lines. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : safeString(err);
}

/**
 * `permanent` for a PermanentError or an error with `retry: false`, `sandbox_crashed` when a
 * handler's sandbox died, else `error`.
 */
function classOf(thrown: Error): ErrorClass {
  if (isPermanentError(thrown) || retryRefused(thrown)) return 'permanent';
  return thrown instanceof SandboxCrashedError ? 'sandbox_crashed' : 'error';
}
