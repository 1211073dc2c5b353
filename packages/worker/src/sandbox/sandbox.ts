import { ErrorCode, GqError, type Job, type Logger } from '@gopherqueue/core';
import type { JobContext } from '../job-context.js';
import type { SandboxChannel, SandboxEvents, SandboxExit } from './sandbox-channel.js';
import { fromWireError, SandboxCrashedError, toWireError } from './sandbox-errors.js';
import type { FromSandbox, SandboxInit, ToSandbox, WireError } from './sandbox-protocol.js';

/** One run of a handler in a sandbox, as the pool sees it. */
interface Run {
  ctx: JobContext;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  onAbort: () => void;
}

/** What a {@link Sandbox} tells its pool. */
export interface SandboxHooks {
  /** Runs ended (or the sandbox became ready): it has room again. */
  roomFreed(sandbox: Sandbox): void;
  /** It ended; `wasReady` is false when it never loaded its handler. */
  ended(sandbox: Sandbox, wasReady: boolean, reason: string): void;
}

const LOG_LEVELS = new Set(['debug', 'info', 'warn', 'error']);

/**
 * The pool's side of one live sandbox: sends it jobs in batches, relays its context calls
 * (`checkpoint`, `progress`, `logger`) to each attempt's own context, forwards aborts, and settles
 * each run with the handler's result or error. When the sandbox ends, every run still in it fails
 * with a {@link SandboxCrashedError} that says why.
 */
export class Sandbox {
  readonly #channel: SandboxChannel;
  readonly #hooks: SandboxHooks;
  readonly #logger: Logger;
  readonly #memoryMb: number | undefined;
  readonly #runs = new Map<number, Run>();
  #outbox: (ToSandbox | SandboxInit)[] = [];
  #flushQueued = false;
  #lastId = 0;
  #state: 'starting' | 'ready' | 'ended' = 'starting';
  /** Why this side ended it (terminate, load failure), if it did. */
  #killedBecause: string | undefined;
  /** A child process's uncaught exception, reported before it exits. */
  #uncaught: WireError | undefined;
  #exited: Promise<void>;
  #onExit!: () => void;

  /**
   * Opens a sandbox with `open` and asks it to load the handler named by `init`.
   * @param open starts the thread or the process and wires its events to this object.
   */
  constructor(
    open: (events: SandboxEvents) => SandboxChannel,
    init: SandboxInit,
    options: { hooks: SandboxHooks; logger: Logger; memoryMb: number | undefined },
  ) {
    this.#hooks = options.hooks;
    this.#logger = options.logger;
    this.#memoryMb = options.memoryMb;
    this.#exited = new Promise((resolve) => {
      this.#onExit = resolve;
    });
    this.#channel = open({
      message: (batch) => {
        this.#receive(batch);
      },
      exit: (exit) => {
        this.#ended(exit);
      },
    });
    this.#send(init);
  }

  /** `thread 7` or `process 12345`. */
  get name(): string {
    return this.#channel.name;
  }

  /** Runs in the sandbox now. */
  get load(): number {
    return this.#runs.size;
  }

  /** False once it ended or is being ended. */
  get alive(): boolean {
    return this.#state !== 'ended' && this.#killedBecause === undefined;
  }

  /**
   * Runs the handler on `ctx` in this sandbox and settles through `resolve`/`reject`; the
   * context's signal is forwarded. Returns the run's id.
   */
  run(
    ctx: JobContext,
    resolve: (value: unknown) => void,
    reject: (error: unknown) => void,
  ): number {
    const id = ++this.#lastId;
    const { signal } = ctx;
    const onAbort = (): void => {
      this.#send({ t: 'abort', id, reason: toWireError(signal.reason) });
    };
    this.#runs.set(id, { ctx, resolve, reject, onAbort });
    signal.addEventListener('abort', onAbort, { once: true });
    // The lease token stays here: code in a sandbox has no use for it, and may not be trusted.
    const job: Job = { ...ctx.job, leaseToken: undefined };
    this.#send(
      job.dependsOn.length === 0
        ? { t: 'run', id, job }
        : { t: 'run', id, job, dependencies: ctx.dependencies },
    );
    return id;
  }

  /**
   * Ends the sandbox at once; the runs still in it fail with `reason`. Resolves when it ended.
   */
  terminate(reason: string): Promise<void> {
    if (this.#state !== 'ended' && this.#killedBecause === undefined) {
      this.#killedBecause = reason;
      this.#channel.kill();
    }
    return this.#exited;
  }

  #send(item: ToSandbox | SandboxInit): void {
    this.#outbox.push(item);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    // The jobs of one claim are started in one synchronous loop: they leave in one message.
    queueMicrotask(() => {
      this.#flush();
    });
  }

  #flush(): void {
    this.#flushQueued = false;
    const batch = this.#outbox;
    this.#outbox = [];
    if (this.#state === 'ended' || batch.length === 0) return;
    try {
      this.#channel.send(batch as ToSandbox[]);
    } catch (err) {
      // Jobs and replies are JSON; a batch that does not clone is a bug, and its runs are lost.
      this.#logger.error('could not send to a sandbox; ending it', {
        sandbox: this.name,
        err: String(err),
      });
      void this.terminate(`could not be sent its work: ${String(err)}`);
    }
  }

  #receive(batch: unknown): void {
    if (!Array.isArray(batch)) return;
    const before = this.#runs.size;
    let becameReady = false;
    for (const item of batch as FromSandbox[]) {
      if (item === null || typeof item !== 'object') continue;
      switch (item.t) {
        case 'ready':
          if (this.#state === 'starting') {
            this.#state = 'ready';
            becameReady = true;
          }
          break;
        case 'load_failed':
          void this.terminate(`could not load its handler: ${describe(item.error)}`);
          break;
        case 'done':
          this.#take(item.id)?.resolve(item.value);
          break;
        case 'threw':
          this.#take(item.id)?.reject(fromWireError(checkedWire(item.error)));
          break;
        case 'call':
          this.#call(item);
          break;
        case 'log':
          this.#log(item);
          break;
        case 'uncaught':
          this.#uncaught = checkedWire(item.error);
          break;
      }
    }
    if (becameReady || this.#runs.size < before) this.#hooks.roomFreed(this);
  }

  /** Removes and returns a run that has not settled. */
  #take(id: unknown): Run | undefined {
    if (typeof id !== 'number') return undefined;
    const run = this.#runs.get(id);
    if (run === undefined) return undefined;
    this.#runs.delete(id);
    run.ctx.signal.removeEventListener('abort', run.onAbort);
    return run;
  }

  #call(item: Extract<FromSandbox, { t: 'call' }>): void {
    const { call } = item;
    if (typeof call !== 'number') return;
    const run = typeof item.id === 'number' ? this.#runs.get(item.id) : undefined;
    if (run === undefined) {
      const ended = new GqError(ErrorCode.INVALID_STATE, 'the attempt of this job has ended');
      this.#send({ t: 'reply', call, error: toWireError(ended) });
      return;
    }
    const done =
      item.kind === 'checkpoint'
        ? run.ctx.checkpoint(item.value)
        : run.ctx.progress(item.value, typeof item.message === 'string' ? item.message : undefined);
    done.then(
      () => {
        this.#send({ t: 'reply', call });
      },
      (err: unknown) => {
        this.#send({ t: 'reply', call, error: toWireError(err) });
      },
    );
  }

  #log(item: Extract<FromSandbox, { t: 'log' }>): void {
    if (!LOG_LEVELS.has(item.level)) return;
    const fields =
      item.fields !== null && typeof item.fields === 'object' ? item.fields : undefined;
    const message = String(item.message);
    const run = typeof item.id === 'number' ? this.#runs.get(item.id) : undefined;
    // A line from a job that has ended (a timer it left behind) goes to the pool's logger.
    const logger = run?.ctx.logger ?? this.#logger.child({ sandbox: this.name });
    logger[item.level](message, fields);
  }

  #ended(exit: SandboxExit): void {
    const wasReady = this.#state === 'ready';
    this.#state = 'ended';
    const reason = this.#killedBecause ?? this.#describeExit(exit);
    const cause = this.#killedBecause === undefined ? (exit.error ?? this.#uncaught) : undefined;
    for (const id of [...this.#runs.keys()]) {
      this.#take(id)?.reject(crashed(`sandbox ${this.name} ${reason}`, cause));
    }
    this.#outbox = [];
    this.#onExit();
    this.#hooks.ended(this, wasReady, reason);
  }

  #describeExit(exit: SandboxExit): string {
    if (exit.outOfMemory) {
      const limit =
        this.#memoryMb === undefined ? "Node's default heap limit" : `memoryMb ${this.#memoryMb}`;
      return `ran out of memory (${limit})`;
    }
    const uncaught = exit.error ?? this.#uncaught;
    if (uncaught !== undefined) return `crashed: uncaught ${describe(uncaught)}`;
    if (exit.signal != null) return `was killed by ${exit.signal}`;
    return `exited with code ${exit.code ?? 'unknown'} (did a handler call process.exit?)`;
  }
}

/** A sandbox crash as the attempt records it; the stack is the cause's, when there is one. */
function crashed(message: string, cause: unknown): SandboxCrashedError {
  const error = new SandboxCrashedError(message);
  const stack = (cause as { stack?: unknown } | undefined)?.stack;
  error.stack = `${error.name}: ${message}`;
  if (typeof stack === 'string') error.stack += `\nCaused by: ${stack}`;
  return error;
}

/** `TypeError: boom` for an error (a thread's, or one that crossed), else its text. */
function describe(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const { kind, name, message, text } = error as Record<string, unknown>;
    if (kind === 'value' && typeof text === 'string') return text;
    if (typeof message === 'string')
      return typeof name === 'string' ? `${name}: ${message}` : message;
  }
  return String(error);
}

/** A wire error from a sandbox, reduced to the shape this side relies on. */
function checkedWire(value: unknown): WireError {
  const w = (value ?? {}) as Record<string, unknown>;
  if (w.kind === 'error' && typeof w.message === 'string') {
    return {
      kind: 'error',
      name: typeof w.name === 'string' ? w.name : 'Error',
      message: w.message,
      permanent: w.permanent === true,
      ...(typeof w.stack === 'string' ? { stack: w.stack } : {}),
      ...(typeof w.code === 'string' ? { code: w.code } : {}),
      ...(typeof w.snooze === 'string' || typeof w.snooze === 'number' ? { snooze: w.snooze } : {}),
      ...(typeof w.retryAfter === 'string' || typeof w.retryAfter === 'number'
        ? { retryAfter: w.retryAfter }
        : {}),
      ...(w.noRetry === true ? { noRetry: true } : {}),
    };
  }
  return { kind: 'value', text: typeof w.text === 'string' ? w.text : String(value) };
}
