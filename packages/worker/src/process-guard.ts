import { noopLogger, type Logger } from '@gopherqueue/core';
import { currentAttempt, traceAttempts, untraceAttempts } from './attempt-scope.js';
import type { Component, ComponentStatus } from '@gopherqueue/core';
import { errorMessage } from './failure-report.js';

/** The events a {@link ProcessGuard} listens to: Node's `process`, or a stand-in in tests. */
export interface ProcessEvents {
  on(
    event: 'uncaughtException' | 'unhandledRejection',
    listener: (error: unknown) => void,
  ): unknown;
  off(
    event: 'uncaughtException' | 'unhandledRejection',
    listener: (error: unknown) => void,
  ): unknown;
}

/** Options of {@link ProcessGuard}. */
export interface ProcessGuardOptions {
  /** Where uncaught errors are logged. @defaultValue noopLogger */
  logger?: Logger;
  /** @defaultValue `process` */
  process?: ProcessEvents;
}

type Kind = 'uncaughtException' | 'unhandledRejection';

/**
 * Keeps a process that runs handlers alive through their uncaught errors. An
 * `uncaughtException` or `unhandledRejection` raised by code a handler started (a timer callback
 * that throws, a promise it forgot to await) fails that handler's attempt with the error (class
 * `panic`; its signal fires) and is logged; the process goes on, and so do the other jobs. The
 * attempt is found by tracing each handler's asynchronous work while the guard is started (see
 * {@link runInAttemptScope}), which costs every promise a little; work queued with
 * `queueMicrotask` is not traced. An error no running attempt can be blamed for is logged as
 * such, and the process keeps running: it is the composition root's to decide otherwise.
 */
export class ProcessGuard implements Component {
  readonly #logger: Logger;
  readonly #process: ProcessEvents;
  #status: ComponentStatus = 'stopped';
  readonly #onException = (error: unknown): void => {
    this.#caught('uncaughtException', error);
  };
  readonly #onRejection = (error: unknown): void => {
    this.#caught('unhandledRejection', error);
  };

  constructor(options: ProcessGuardOptions = {}) {
    this.#logger = options.logger ?? noopLogger;
    this.#process = options.process ?? process;
  }

  /** `running` between {@link ProcessGuard.start} and {@link ProcessGuard.stop}. */
  get status(): ComponentStatus {
    return this.#status;
  }

  /** Listens for uncaught errors and traces handlers from now on. Safe to call twice. */
  start(): void {
    if (this.#status === 'running') return;
    this.#process.on('uncaughtException', this.#onException);
    this.#process.on('unhandledRejection', this.#onRejection);
    traceAttempts();
    this.#status = 'running';
  }

  /** Stops listening (uncaught errors crash the process again, as Node does by default). */
  stop(): Promise<void> {
    if (this.#status !== 'running') return Promise.resolve();
    this.#process.off('uncaughtException', this.#onException);
    this.#process.off('unhandledRejection', this.#onRejection);
    untraceAttempts();
    this.#status = 'stopped';
    return Promise.resolve();
  }

  #caught(kind: Kind, error: unknown): void {
    try {
      const attempt = currentAttempt();
      const fields = {
        kind,
        error: errorMessage(error),
        ...(error instanceof Error && error.stack !== undefined ? { stack: error.stack } : {}),
      };
      if (attempt !== undefined && attempt.crash(error)) {
        const { id, type, attempt: number } = attempt.job;
        this.#logger.error('a handler raised an uncaught error; its attempt fails', {
          ...fields,
          jobId: id,
          type,
          attempt: number,
        });
      } else {
        this.#logger.error('uncaught error not raised by a running job; the process goes on', {
          ...fields,
        });
      }
    } catch (err) {
      // A throw from here would end the process; say what happened on stderr instead.
      process.stderr.write(`gq: uncaught error ${String(error)}; then: ${String(err)}\n`);
    }
  }
}
