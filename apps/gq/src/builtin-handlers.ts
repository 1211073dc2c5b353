import { parseDuration, setLongTimeout, type Json } from '@gopherqueue/core';

/** What a built-in handler uses of the job context the worker gives it. */
export interface BuiltinContext {
  payload: Json;
  signal: AbortSignal;
  progress(value: Json): unknown;
}

/** A job handler as `--handlers` modules and the built-ins define them. */
export type BuiltinHandler = (ctx: BuiltinContext) => Promise<Json>;

/** `echo`: returns its payload. */
export function echoHandler(ctx: BuiltinContext): Promise<Json> {
  return Promise.resolve(ctx.payload);
}

/**
 * Reads the `sleep` handler's payload: `"2s"`, `{"duration": "2s"}`, or milliseconds as a number.
 * @throws RangeError for anything else.
 */
export function sleepDuration(payload: Json): number {
  const value =
    payload !== null && typeof payload === 'object' && !Array.isArray(payload)
      ? payload.duration
      : payload;
  if (typeof value === 'string' || typeof value === 'number') return parseDuration(value);
  throw new RangeError(
    `sleep expects a duration like "2s" or {"duration": "2s"}; got ${JSON.stringify(payload)}`,
  );
}

/** How often `sleep` reports progress, at most ten times per run and not faster than 4/s. */
function progressStepMs(totalMs: number): number {
  return Math.max(250, totalMs / 10);
}

/**
 * `sleep`: waits the given duration, reporting progress in percent, and stops as soon as the job's
 * signal fires (cancel, timeout, shutdown), rejecting with the signal's reason.
 */
export async function sleepHandler(ctx: BuiltinContext): Promise<Json> {
  const totalMs = sleepDuration(ctx.payload);
  const step = progressStepMs(totalMs);
  const started = performance.now();
  for (;;) {
    ctx.signal.throwIfAborted();
    const elapsed = performance.now() - started;
    if (elapsed >= totalMs) break;
    await delay(Math.min(step, totalMs - elapsed), ctx.signal);
    const done = performance.now() - started;
    if (done < totalMs) await ctx.progress(Math.floor((done / totalMs) * 100));
  }
  return { slept_ms: totalMs };
}

/** `error`: always fails, retriably, with its payload as the message. */
export function errorHandler(ctx: BuiltinContext): Promise<Json> {
  const { payload } = ctx;
  const message =
    typeof payload === 'string'
      ? payload
      : payload !== null &&
          typeof payload === 'object' &&
          !Array.isArray(payload) &&
          typeof payload.message === 'string'
        ? payload.message
        : payload === null
          ? 'error handler failed'
          : JSON.stringify(payload);
  return Promise.reject(new Error(message));
}

/** The handlers every `gq serve` has unless a `--handlers` module replaces them. */
export const BUILTIN_HANDLERS: Readonly<Record<string, BuiltinHandler>> = Object.freeze({
  echo: echoHandler,
  sleep: sleepHandler,
  error: errorHandler,
});

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      cancel();
      reject(signal.reason as Error);
    };
    // `"720h"` is a valid sleep: longer than one Node.js timer can wait.
    const cancel = setLongTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
