import {
  progressProblem,
  SnoozeError,
  textProblem,
  type Job,
  type Json,
  type Logger,
} from '@gopherqueue/core';
import type { JobContext } from './job-context.js';
import { toJson } from './to-json.js';

/** What an {@link AttemptContext} asks of its attempt. */
export interface ContextHost {
  readonly signal: AbortSignal;
  /** The handler's logger (its lines kept with the job). */
  readonly jobLogger: Logger;
  renew(input: { checkpoint?: Json; progress?: Json; progressMessage?: string }): Promise<void>;
}

/**
 * The {@link JobContext} of one attempt. The job's fields are plain properties; the signal, the
 * child logger, `checkpoint` and `progress` are made on first use, since most handlers never touch
 * them (the functions are bound, so a handler may destructure them).
 */
export class AttemptContext implements JobContext {
  readonly job: Job;
  readonly id: string;
  readonly type: string;
  readonly payload: Json;
  readonly attempt: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly lastCheckpoint: Json | undefined;
  readonly dependencies: readonly Job[];
  readonly #host: ContextHost;
  #logger: Logger | undefined;
  #checkpoint: ((state: unknown) => Promise<void>) | undefined;
  #progress: ((value: unknown, message?: string) => Promise<void>) | undefined;

  constructor(host: ContextHost, job: Job, dependencies: readonly Job[]) {
    this.job = job;
    this.id = job.id;
    this.type = job.type;
    this.payload = job.payload;
    this.attempt = job.attempt;
    this.tags = job.tags;
    this.lastCheckpoint = job.checkpoint;
    this.dependencies = dependencies;
    this.#host = host;
  }

  get signal(): AbortSignal {
    return this.#host.signal;
  }

  get logger(): Logger {
    return (this.#logger ??= this.#host.jobLogger);
  }

  get checkpoint(): (state: unknown) => Promise<void> {
    return (this.#checkpoint ??= async (state) => {
      await this.#host.renew({ checkpoint: toJson(state, 'a checkpoint') });
    });
  }

  get progress(): (value: unknown, message?: string) => Promise<void> {
    return (this.#progress ??= async (value, message) => {
      const progress = toJson(value, 'progress');
      const text = message === undefined ? undefined : String(message);
      const problem =
        progressProblem(progress) ??
        (text === undefined ? undefined : textProblem('the progress message', text));
      if (problem !== undefined) throw new RangeError(problem);
      await this.#host.renew({
        progress,
        ...(text === undefined ? {} : { progressMessage: text }),
      });
    });
  }

  get snooze(): (delay: string | number) => never {
    return snooze;
  }
}

/** `ctx.snooze`: one function for every context, since it needs none of them. */
function snooze(delay: string | number): never {
  throw new SnoozeError(delay);
}
