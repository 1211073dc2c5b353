import { availableParallelism } from 'node:os';
import { ErrorCode, GqError, type Clock, type Logger } from '@gopherqueue/core';
import type { JobContext } from '../job-context.js';
import type { SandboxChannel, SandboxEvents } from './sandbox-channel.js';
import { openProcessChannel } from './process-channel.js';
import { Sandbox } from './sandbox.js';
import type { SandboxInit } from './sandbox-protocol.js';
import {
  resolveSandboxedHandler,
  type IsolatedHandler,
  type IsolatedRun,
  type ResolvedSandboxedHandler,
  type SandboxedHandler,
  type SandboxIsolation,
} from './sandboxed-handler.js';
import { openThreadChannel } from './thread-channel.js';

/** An attempt's run, from its start until it settles. */
interface Ticket {
  ctx: JobContext;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** Where it runs; undefined while it waits for room. */
  sandbox: Sandbox | undefined;
  settled: boolean;
  /** Set while it waits: rejects it when its signal fires first. */
  onAbort: (() => void) | undefined;
}

/** Options of a {@link SandboxPool}. */
export interface SandboxPoolOptions {
  /** The job type, for logs. */
  type: string;
  handler: ResolvedSandboxedHandler;
  clock: Clock;
  logger: Logger;
}

/**
 * The warm sandboxes of one job type: up to `sandboxes` of them, each running up to
 * `jobsPerSandbox` jobs at once. A job goes to an idle sandbox, else to a new one while there are
 * fewer than `sandboxes`, else to the least busy one with room, else it waits (in order) for room.
 * A sandbox that ends (a crash, running out of memory, `process.exit`, a termination) is replaced
 * at once, so the pool stays warm; one that never loaded its handler is replaced only on demand.
 */
export class SandboxPool implements IsolatedHandler {
  readonly isolation: SandboxIsolation;
  readonly #options: SandboxPoolOptions;
  readonly #init: SandboxInit;
  readonly #open: (events: SandboxEvents) => SandboxChannel;
  readonly #sandboxes = new Set<Sandbox>();
  readonly #waiting: Ticket[] = [];
  #closing = false;

  constructor(options: SandboxPoolOptions) {
    const { handler, clock } = options;
    this.#options = options;
    this.isolation = handler.isolation;
    this.#init = {
      t: 'init',
      module: handler.module,
      export: handler.export,
      ...(handler.key === undefined ? {} : { key: handler.key }),
      ...(handler.loader === undefined ? {} : { loader: handler.loader }),
    };
    const channel = { memoryMb: handler.memoryMb, execArgv: handler.execArgv, clock };
    this.#open =
      handler.isolation === 'thread'
        ? (events) => openThreadChannel(channel, events)
        : (events) => openProcessChannel(channel, events);
  }

  /** Sandboxes open now (starting or ready). */
  get size(): number {
    return this.#sandboxes.size;
  }

  start(ctx: JobContext): IsolatedRun {
    const ticket: Ticket = {
      ctx,
      resolve: noop,
      reject: noop,
      sandbox: undefined,
      settled: false,
      onAbort: undefined,
    };
    const result = new Promise<unknown>((resolve, reject) => {
      ticket.resolve = (value) => {
        ticket.settled = true;
        resolve(value);
      };
      ticket.reject = (error) => {
        ticket.settled = true;
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- whatever the handler threw, as inline
        reject(error);
      };
    });
    const { signal } = ctx;
    if (signal.aborted) {
      ticket.reject(signal.reason);
    } else if (!this.#place(ticket)) {
      ticket.onAbort = () => {
        this.#unqueue(ticket);
        ticket.reject(signal.reason);
      };
      signal.addEventListener('abort', ticket.onAbort, { once: true });
      this.#waiting.push(ticket);
    }
    return {
      result,
      terminate: () => {
        this.#terminate(ticket);
      },
    };
  }

  async close(): Promise<void> {
    this.#closing = true;
    try {
      const closed = new GqError(ErrorCode.SHUTTING_DOWN, 'the sandboxes are closing');
      for (const ticket of this.#waiting.splice(0)) this.#dequeued(ticket).reject(closed);
      await Promise.all(
        [...this.#sandboxes].map((sandbox) => sandbox.terminate('was closed with its pool')),
      );
    } finally {
      this.#closing = false;
    }
  }

  /** Puts the ticket in a sandbox with room; false when none has room. */
  #place(ticket: Ticket): boolean {
    const sandbox = this.#pick();
    if (sandbox === undefined) return false;
    ticket.sandbox = sandbox;
    sandbox.run(ticket.ctx, ticket.resolve, ticket.reject);
    return true;
  }

  /** An idle sandbox, else a new one if allowed, else the least busy one with room. */
  #pick(): Sandbox | undefined {
    const { sandboxes, jobsPerSandbox } = this.#options.handler;
    let best: Sandbox | undefined;
    for (const sandbox of this.#sandboxes) {
      if (!sandbox.alive) continue;
      if (sandbox.load === 0) return sandbox;
      if (sandbox.load < jobsPerSandbox && (best === undefined || sandbox.load < best.load)) {
        best = sandbox;
      }
    }
    if (this.#liveCount() < sandboxes && !this.#closing) {
      return this.#spawn();
    }
    return best;
  }

  #liveCount(): number {
    let live = 0;
    for (const sandbox of this.#sandboxes) if (sandbox.alive) live++;
    return live;
  }

  #spawn(): Sandbox {
    const { logger, type, handler } = this.#options;
    const sandbox = new Sandbox(this.#open, this.#init, {
      logger,
      memoryMb: handler.memoryMb,
      hooks: {
        roomFreed: () => {
          this.#drain();
        },
        ended: (ended, wasReady, reason) => {
          this.#sandboxes.delete(ended);
          if (!this.#closing) {
            logger.warn('sandbox ended', { type, sandbox: ended.name, reason });
            if (wasReady && this.#liveCount() < handler.sandboxes) this.#spawn();
          }
          this.#drain();
        },
      },
    });
    this.#sandboxes.add(sandbox);
    logger.debug('sandbox started', { type, sandbox: sandbox.name, isolation: this.isolation });
    return sandbox;
  }

  /** Starts waiting runs in order while there is room. */
  #drain(): void {
    while (this.#waiting.length > 0) {
      const next = this.#waiting[0] as Ticket;
      const sandbox = this.#pick();
      if (sandbox === undefined) return;
      this.#waiting.shift();
      this.#dequeued(next);
      next.sandbox = sandbox;
      sandbox.run(next.ctx, next.resolve, next.reject);
    }
  }

  /** Ends the sandbox of a run that outlived its grace period (or forgets a waiting one). */
  #terminate(ticket: Ticket): void {
    const { sandbox, ctx } = ticket;
    if (ticket.settled) return;
    if (sandbox === undefined) {
      if (this.#unqueue(ticket)) ticket.reject(ctx.signal.reason);
      return;
    }
    if (!sandbox.alive) return;
    this.#options.logger.warn('terminating a sandbox: its job outlived its grace period', {
      type: this.#options.type,
      sandbox: sandbox.name,
      jobId: ctx.id,
    });
    void sandbox.terminate(`was terminated: job ${ctx.id} outlived its grace period`);
  }

  #unqueue(ticket: Ticket): boolean {
    const at = this.#waiting.indexOf(ticket);
    if (at < 0) return false;
    this.#waiting.splice(at, 1);
    this.#dequeued(ticket);
    return true;
  }

  #dequeued(ticket: Ticket): Ticket {
    if (ticket.onAbort !== undefined) {
      ticket.ctx.signal.removeEventListener('abort', ticket.onAbort);
      ticket.onAbort = undefined;
    }
    return ticket;
  }
}

function noop(): void {}

/**
 * The sandbox pool of a job type registered with a {@link SandboxedHandler}. Its size defaults to
 * the smaller of the worker pool's concurrency (more could never be busy) and the machine's cores
 * (more threads or processes than cores do not run CPU-bound handlers any faster).
 * @throws TypeError or RangeError naming the offending field.
 */
export function openSandboxPool(
  type: string,
  spec: SandboxedHandler,
  pool: { concurrency: number; clock: Clock; logger: Logger },
): SandboxPool {
  const defaultSize = Math.min(pool.concurrency, availableParallelism());
  return new SandboxPool({
    type,
    handler: resolveSandboxedHandler(type, spec, defaultSize),
    clock: pool.clock,
    logger: pool.logger,
  });
}
