import type { Job, JobEventName, JobEvents, Logger, TypedEmitter } from '@gopherqueue/core';
import { CONNECTED_FRAME, jobEventFrame, KEEPALIVE_FRAME } from './sse-frame.js';
import { SseStream, type SseConnection, type SseFilter } from './sse-stream.js';

/** Every lifecycle event, as the stream names them (`job:created` is sent as `job.created`). */
export const STREAMED_EVENTS: readonly JobEventName[] = [
  'job:created',
  'job:started',
  'job:progress',
  'job:completed',
  'job:retrying',
  'job:failed',
  'job:dead_letter',
  'job:cancelled',
  'job:retried',
  'job:snoozed',
  'job:deleted',
  'job:deduplicated',
  'job:expired',
];

/** Options of {@link SseHub}. */
export interface SseHubOptions {
  /** Job lifecycle events. */
  events: TypedEmitter<JobEvents>;
  logger: Logger;
  /** Streams open at once; more are refused. */
  maxStreams: number;
  /** Bytes queued per client, counting what its socket has not taken, before it is dropped. */
  bufferBytes: number;
  /** Interval of the keep-alive comment. */
  keepAliveMs: number;
  /** How long a dropped client has to take the final `overflow` frame. @defaultValue 5_000 */
  overflowGraceMs?: number;
  /**
   * Whether the key `actor` was revoked (or is gone), asked at each keep-alive for the keys of
   * the open streams, once per key: the streams of a revoked key end.
   */
  keyRevoked?: (actor: string) => Promise<boolean>;
}

/**
 * The event streams of one API: listens to the job events while any stream is open, encodes each
 * event once and hands the same bytes to every stream that carries it, sends one keep-alive to all
 * on a shared timer, and caps how many streams are open. An event that cannot be encoded is logged
 * and skipped; the streams go on.
 */
export class SseHub {
  readonly #options: SseHubOptions;
  /** Streams that still receive events. */
  readonly #streams = new Set<SseStream>();
  /** Streams not yet ended (a dropped one counts until its connection is gone). */
  #open = 0;
  #offs: (() => void)[] = [];
  #keepAlive: NodeJS.Timeout | undefined;
  #checking = false;

  constructor(options: SseHubOptions) {
    this.#options = options;
  }

  /** Streams open now, counted against the cap. */
  get openStreams(): number {
    return this.#open;
  }

  /** Opens a stream that starts with the `connected` event, or undefined at the cap. */
  open(filter: SseFilter, connection?: SseConnection): SseStream | undefined {
    const { maxStreams, bufferBytes, logger } = this.#options;
    if (this.#open >= maxStreams) return undefined;
    this.#open++;
    const stream: SseStream = new SseStream({
      filter,
      budgetBytes: bufferBytes,
      graceMs: this.#options.overflowGraceMs ?? 5_000,
      ...(connection === undefined ? {} : { connection }),
      onOverflow: (unsentBytes) => {
        logger.warn('event stream client fell behind; dropping it', {
          unsentBytes,
          bufferBytes,
        });
        this.#detach(stream);
      },
      onClose: () => {
        this.#open--;
        this.#detach(stream);
      },
    });
    if (this.#streams.size === 0) this.#listen();
    this.#streams.add(stream);
    stream.push(CONNECTED_FRAME);
    return stream;
  }

  #listen(): void {
    const { events, keepAliveMs } = this.#options;
    this.#offs = STREAMED_EVENTS.map((name) =>
      events.on(name, (job) => {
        this.#deliver(name, job);
      }),
    );
    this.#keepAlive = setInterval(() => {
      for (const stream of this.#streams) stream.push(KEEPALIVE_FRAME);
      this.#endRevoked();
    }, keepAliveMs);
  }

  /** Ends the streams whose key was revoked; one check at a time, each key asked once. */
  #endRevoked(): void {
    const { keyRevoked, logger } = this.#options;
    if (keyRevoked === undefined || this.#checking) return;
    const actors = new Set<string>();
    for (const stream of this.#streams) {
      if (stream.actor !== undefined) actors.add(stream.actor);
    }
    if (actors.size === 0) return;
    this.#checking = true;
    void Promise.all(
      [...actors].map(async (actor) => ((await keyRevoked(actor)) ? actor : undefined)),
    )
      .then((answers) => {
        const revoked = new Set(answers.filter((a) => a !== undefined));
        for (const stream of [...this.#streams]) {
          if (stream.actor !== undefined && revoked.has(stream.actor)) {
            this.#detach(stream);
            stream.end();
          }
        }
      })
      .catch((err: unknown) => {
        logger.warn('event streams could not check their keys', { err: String(err) });
      })
      .finally(() => {
        this.#checking = false;
      });
  }

  #detach(stream: SseStream): void {
    if (!this.#streams.delete(stream) || this.#streams.size > 0) return;
    for (const off of this.#offs.splice(0)) off();
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
  }

  #deliver(name: JobEventName, job: Job): void {
    let frame: Uint8Array | undefined;
    for (const stream of this.#streams) {
      if (!stream.wants(job)) continue;
      if (frame === undefined) {
        try {
          frame = jobEventFrame(name, job);
        } catch (err) {
          this.#options.logger.warn('event stream skipped an event it could not encode', {
            event: name,
            jobId: job.id,
            err: String(err),
          });
          return;
        }
      }
      stream.push(frame);
    }
  }
}
