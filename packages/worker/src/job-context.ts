import type { Job, Json, Logger } from '@gopherqueue/core';

/** What a handler receives for one attempt of one job. */
export interface JobContext {
  /** The claimed job, as the store returned it. */
  readonly job: Readonly<Job>;
  readonly id: string;
  readonly type: string;
  readonly payload: Json;
  /** This attempt's number, 1-based. */
  readonly attempt: number;
  readonly tags: Readonly<Record<string, string>>;
  /**
   * Fires when the handler should stop: the attempt timed out, the job was cancelled, the lease
   * was lost, or the pool is shutting down; `signal.reason` is a `GqError` that says which. Under
   * a `ProcessGuard`, it also fires when code the handler started threw outside its promise, with
   * that error as the reason (the attempt fails with it).
   */
  readonly signal: AbortSignal;
  /** The checkpoint saved by an earlier attempt, or undefined. */
  readonly lastCheckpoint: Json | undefined;
  /** The jobs in `dependsOn`, with their results, in `dependsOn` order. */
  readonly dependencies: readonly Job[];
  /** A logger whose lines carry `jobId`, `type` and `attempt`. */
  readonly logger: Logger;
  /**
   * Saves `state` as the job's checkpoint, durably before it resolves, and extends the lease.
   * The next attempt (after a crash, timeout or retry) sees it as `lastCheckpoint`.
   * @throws GQ_LEASE_LOST when the job was cancelled or taken back (the signal fires too).
   */
  checkpoint(state: unknown): Promise<void>;
  /**
   * Stores the job's progress (0..100 or a small JSON object) and an optional message.
   * @throws GQ_LEASE_LOST when the job was cancelled or taken back (the signal fires too).
   */
  progress(value: unknown, message?: string): Promise<void>;
  /**
   * Ends the attempt without spending it: throws a `SnoozeError`, so the job goes back to
   * `scheduled` and runs again `delay` from now (a duration such as `"30s"`, or ms, at most 10
   * years) with the same `attempt`. Let the throw propagate (`return ctx.snooze('30s')` reads
   * well); a handler that catches it and returns normally completes the job instead.
   * @throws SnoozeError always; TypeError or RangeError for a bad `delay` (the attempt fails).
   */
  snooze(delay: string | number): never;
}

/** Runs one job; its return value (JSON; undefined becomes null) is the job's result. */
export type Handler = (ctx: JobContext) => unknown;
