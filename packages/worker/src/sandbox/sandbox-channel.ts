import type { Clock } from '@gopherqueue/core';
import type { SandboxInit, ToSandbox } from './sandbox-protocol.js';

/** How a sandbox ended. */
export interface SandboxExit {
  /** Exit code, or null when it was killed by a signal. */
  code: number | null;
  /** The signal that killed a child process. */
  signal?: NodeJS.Signals | null;
  /** A worker thread's uncaught error. */
  error?: unknown;
  /** True when it ran out of heap. */
  outOfMemory: boolean;
}

/** What a channel reports. */
export interface SandboxEvents {
  /** A batch of items from the sandbox (not yet checked: a sandbox may run untrusted code). */
  message(batch: unknown): void;
  /** The sandbox ended; reported once. */
  exit(exit: SandboxExit): void;
}

/** The transport to one sandbox: a worker thread or a child process running `sandbox-main.js`. */
export interface SandboxChannel {
  /** `thread 7` or `process 12345`, for messages and logs. */
  readonly name: string;
  /**
   * Sends a batch.
   * @throws when a value does not clone (never for what the pool sends: jobs are JSON).
   */
  send(batch: readonly ToSandbox[] | readonly [SandboxInit]): void;
  /** Ends the sandbox at once, even one stuck in `while (true) {}`; `exit` follows. */
  kill(): void;
}

/** Options of a channel. */
export interface ChannelOptions {
  /** Old-generation heap limit in MB (undefined: Node's default). */
  memoryMb: number | undefined;
  /** Node options (undefined: this process's). */
  execArgv: readonly string[] | undefined;
  /** Times the short waits of the transport. */
  clock: Clock;
}

/** The sandbox entry, beside this file in the sources and in `dist`. */
export const SANDBOX_MAIN = new URL('./sandbox-main.js', import.meta.url);
