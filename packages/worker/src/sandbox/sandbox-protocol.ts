/**
 * The messages between the pool and a sandbox (a worker thread or a child process). The sandbox
 * side is `sandbox-main.js`, plain JavaScript that imports nothing but Node, so a sandbox starts
 * the same way from the TypeScript sources and after a build.
 *
 * Every message is a batch: an array of items, sent in one `postMessage` (or one IPC send), so
 * many jobs started in one tick, and many ends, cross in one structured clone. Values (payloads,
 * results, checkpoints, log fields) cross by structured clone; the pool turns them into JSON as it
 * does for an inline handler.
 */
import type { Job } from '@gopherqueue/core';

/** An error thrown in a sandbox (or an abort reason sent into one), as it crosses. */
export type WireError =
  | {
      kind: 'error';
      name: string;
      message: string;
      stack?: string;
      /** True for a `PermanentError` of any copy of `@gopherqueue/core` (its registered symbol). */
      permanent: boolean;
      /** A `GqError`'s code (`GQ_TIMEOUT`), or any string `code` the error carried. */
      code?: string;
      /** For a `SnoozeError` of any copy of `@gopherqueue/core`: its delay (ms, or as given). */
      snooze?: number | string;
      /** The error's `retryAfter` (ms or a duration), when it had one of those types. */
      retryAfter?: number | string;
      /** True when the error's `retry` was `false`: it must not be retried. */
      noRetry?: boolean;
    }
  /** Something thrown that is not an Error, as `String(value)`. */
  | { kind: 'value'; text: string };

/** The first message to a sandbox: which handler to load, and how. */
export interface SandboxInit {
  t: 'init';
  /** A `file:` URL, or a specifier the loader resolves (a package name). */
  module: string;
  /** The module's export that holds the handler. */
  export: string;
  /** The entry of that export to use, when it maps job types to handlers. */
  key?: string;
  /** A module whose `importModule(specifier)` imports `module` (TypeScript, hooks). */
  loader?: string;
}

/** Items the pool sends to a sandbox. */
export type ToSandbox =
  /** Runs the handler for one job; `dependencies` is left out when the job has none. */
  | { t: 'run'; id: number; job: Job; dependencies?: readonly Job[] }
  /** Fires the run's `ctx.signal` with `reason`. */
  | { t: 'abort'; id: number; reason: WireError }
  /** Answers a `call`: resolves it, or rejects it with `error`. */
  | { t: 'reply'; call: number; error?: WireError };

/** Items a sandbox sends to the pool. */
export type FromSandbox =
  /** The handler is loaded; runs sent before this are waiting for it. */
  | { t: 'ready' }
  /** The handler could not be loaded; the sandbox is of no use. */
  | { t: 'load_failed'; error: WireError }
  /** The run's handler returned (or resolved with) `value`. */
  | { t: 'done'; id: number; value: unknown }
  /** The run's handler threw (or rejected). */
  | { t: 'threw'; id: number; error: WireError }
  /** `ctx.checkpoint(value)` or `ctx.progress(value, message)`; answered by a `reply`. */
  | {
      t: 'call';
      id: number;
      call: number;
      kind: 'checkpoint' | 'progress';
      value: unknown;
      message?: string;
    }
  /** A line of `ctx.logger` (fire and forget). */
  | {
      t: 'log';
      id: number;
      level: 'debug' | 'info' | 'warn' | 'error';
      message: string;
      fields?: Record<string, unknown>;
    }
  /** A child process's uncaught exception, sent just before it exits. */
  | { t: 'uncaught'; error: WireError };
