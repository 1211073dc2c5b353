import type { Job } from '@gopherqueue/core';
import { overflowFrame } from './sse-frame.js';

/** Which jobs a stream carries: all, one job's, what some worker needs of its jobs, or of some queues. */
export interface SseFilter {
  jobId?: string;
  /**
   * Only the changes for which it answers true, asked per event: those a remote worker needs of
   * the jobs it holds.
   */
  needs?: (job: Job) => boolean;
  /** Queues the caller's key may read; undefined means all. */
  queues?: readonly string[];
  /** The id of the caller's key: the stream ends once it is revoked. */
  actor?: string;
}

/** The connection under a stream, when the server exposes it (`@hono/node-server` does). */
export interface SseConnection {
  /** Bytes written to the connection that the socket has not taken yet. */
  unsentBytes(): number;
  /** Closes the connection at once. */
  cut(): void;
}

/** Options of {@link SseStream}. */
export interface SseStreamOptions {
  filter: SseFilter;
  /** Most bytes queued for the client, counting what its socket has not taken. */
  budgetBytes: number;
  /** How long a dropped client has to take the final `overflow` frame before it is cut. */
  graceMs: number;
  /** Without it, the frame handed out last counts as unsent until the next one is asked for. */
  connection?: SseConnection;
  /** Called once when the client fell behind, with the bytes it had not taken. */
  onOverflow(unsentBytes: number): void;
  /** Called once when the stream ended, however it ended. */
  onClose(): void;
}

/**
 * One client's event stream: a pull-based `ReadableStream` of encoded frames (shared by every
 * stream that carries them) fed from a queue with a byte budget. A frame is handed out only when
 * the server asks for the next chunk, which `@hono/node-server` does once the socket has taken
 * the last one, so a client that does not read holds at most its budget. A frame that would take
 * it past the budget drops the queue: the stream ends with an `overflow` event if the client takes
 * it within the grace period, else the connection is cut.
 */
export class SseStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly #options: SseStreamOptions;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  /** Bytes of the frame handed out last, until the next pull shows it was taken. */
  #inFlight = 0;
  /** True when the server asked for a chunk and none was queued: the next frame goes at once. */
  #waiting = false;
  #state: 'open' | 'ending' | 'closed' = 'open';
  #grace: NodeJS.Timeout | undefined;

  constructor(options: SseStreamOptions) {
    this.#options = options;
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => {
          this.#pull();
        },
        cancel: () => {
          this.#finish();
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** The id of the key the stream was opened with, if any. */
  get actor(): string | undefined {
    return this.#options.filter.actor;
  }

  /** True when the stream carries events of `job`. */
  wants(job: Job): boolean {
    const { jobId, needs, queues } = this.#options.filter;
    if (jobId !== undefined && job.id !== jobId) return false;
    if (needs !== undefined && !needs(job)) return false;
    return queues === undefined || queues.includes(job.queue);
  }

  /** Queues `frame` for the client; one that takes it past its budget drops the client. */
  push(frame: Uint8Array): void {
    if (this.#state !== 'open') return;
    if (this.#waiting) {
      this.#send(frame);
      return;
    }
    const unsent = this.#queuedBytes + (this.#options.connection?.unsentBytes() ?? this.#inFlight);
    if (unsent + frame.byteLength > this.#options.budgetBytes) {
      this.#overflow(unsent);
      return;
    }
    this.#queue.push(frame);
    this.#queuedBytes += frame.byteLength;
  }

  #send(frame: Uint8Array): void {
    this.#waiting = false;
    this.#inFlight = frame.byteLength;
    this.#controller?.enqueue(frame);
  }

  #pull(): void {
    this.#inFlight = 0;
    const next = this.#queue.shift();
    if (next !== undefined) {
      this.#queuedBytes -= next.byteLength;
      this.#send(next);
    } else if (this.#state === 'ending') {
      this.#controller?.close();
      this.#finish();
    } else {
      this.#waiting = true;
    }
  }

  /**
   * Ends the stream: the frames queued go first, then it closes (or, if the client does not take
   * them within the grace period, the connection is cut).
   */
  end(): void {
    if (this.#state !== 'open') return;
    this.#state = 'ending';
    if (this.#waiting && this.#queue.length === 0) {
      this.#controller?.close();
      this.#finish();
      return;
    }
    this.#grace = setTimeout(() => {
      this.#cut();
    }, this.#options.graceMs);
  }

  #overflow(unsent: number): void {
    this.#state = 'ending';
    const last = overflowFrame(this.#options.budgetBytes);
    this.#queue = [last];
    this.#queuedBytes = last.byteLength;
    this.#options.onOverflow(unsent);
    this.#grace = setTimeout(() => {
      this.#cut();
    }, this.#options.graceMs);
  }

  #cut(): void {
    if (this.#state === 'closed') return;
    const { connection } = this.#options;
    if (connection === undefined) {
      this.#controller?.error(new Error('event stream dropped: the client fell behind'));
    } else {
      connection.cut();
    }
    this.#finish();
  }

  #finish(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#grace);
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#options.onClose();
  }
}
