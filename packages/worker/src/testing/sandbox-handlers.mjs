// Handlers the sandbox tests run in worker threads and child processes. `run` does what the
// payload's `op` says; the tests register it as `{ module, key: 'run' }` or `{ module, export: 'run' }`.
/* global AbortController -- Node has it global, and no module exports it */
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { threadId } from 'node:worker_threads';

/** A PermanentError as another copy of @gopherqueue/core makes it: marked by its registered symbol. */
class PermanentError extends Error {
  name = 'PermanentError';
}
Object.defineProperty(PermanentError.prototype, Symbol.for('gopherqueue.PermanentError'), {
  value: true,
});

/** A RateLimitedError as another copy of @gopherqueue/core makes it: a marked SnoozeError. */
class RateLimitedError extends Error {
  name = 'RateLimitedError';
  constructor(ms) {
    super(`rate limited for ${ms} ms`);
    this.snoozeMs = ms;
  }
}
Object.defineProperty(RateLimitedError.prototype, Symbol.for('gopherqueue.SnoozeError'), {
  value: true,
});

/** True on a job's first run: it was never put off (a snooze moves its runAt past its creation). */
function firstRun(ctx) {
  return ctx.job.runAt <= ctx.job.createdAt;
}

/** Which sandbox ran the job: `process 123` or `process 123 thread 4`. */
function sandbox() {
  return threadId === 0 ? `process ${process.pid}` : `process ${process.pid} thread ${threadId}`;
}

function aborted(signal) {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', resolve, { once: true });
  });
}

const OPS = {
  where: () => sandbox(),
  square: (ctx) => ({
    n: ctx.payload.n,
    square: ctx.payload.n * ctx.payload.n,
    sandbox: sandbox(),
  }),
  context: (ctx) => ({
    id: ctx.id,
    type: ctx.type,
    attempt: ctx.attempt,
    tags: ctx.tags,
    payload: ctx.payload,
    lastCheckpoint: ctx.lastCheckpoint ?? null,
    dependencies: ctx.dependencies.map((job) => [job.id, job.result]),
    jobId: ctx.job.id,
    leaseToken: ctx.job.leaseToken ?? null,
  }),
  spin: () => {
    for (;;) {
      // a CPU-bound handler that never looks at its signal
    }
  },
  hog: () => {
    const kept = [];
    for (;;) kept.push(new Array(100_000).fill(kept.length));
  },
  exit: () => process.exit(1),
  exitOnce: (ctx) => (ctx.attempt === 1 ? process.exit(1) : `survived attempt ${ctx.attempt}`),
  throwLater: () => {
    setTimeout(() => {
      throw new Error('thrown from a timer');
    }, 1);
    return aborted(new AbortController().signal);
  },
  permanent: () => {
    throw new PermanentError('not worth retrying');
  },
  snoozeOnce: (ctx) => (firstRun(ctx) ? ctx.snooze(ctx.payload.delay) : `ran ${ctx.attempt}`),
  rateLimitedOnce: (ctx) => {
    if (firstRun(ctx)) throw new RateLimitedError(ctx.payload.delay);
    return `ran ${ctx.attempt}`;
  },
  retryLater: (ctx) => {
    if (ctx.attempt > 1) return `ran ${ctx.attempt}`;
    const error = new Error('too many requests');
    error.name = 'HttpError';
    error.retryAfter = ctx.payload.retryAfter;
    throw error;
  },
  refuse: () => {
    const error = new Error('declined');
    error.retry = false;
    throw error;
  },
  nonError: () => {
    throw { code: 42 };
  },
  functions: () => ({ kept: 1, dropped: () => 1, when: new Date(0) }),
  steps: async (ctx) => {
    if (ctx.attempt > 1) return { resumedFrom: ctx.lastCheckpoint };
    await ctx.checkpoint({ page: 1 });
    ctx.logger.child({ step: 'one' }).info('saved a checkpoint', { page: 1 });
    throw new TypeError('retry me');
  },
  report: async (ctx) => {
    await ctx.progress(42, 'almost');
    ctx.logger.warn('waiting for the signal');
    await aborted(ctx.signal);
    ctx.logger.warn('signal fired', { code: ctx.signal.reason.code, name: ctx.signal.reason.name });
    throw ctx.signal.reason;
  },
  badCheckpoint: async (ctx) => {
    try {
      await ctx.checkpoint({ big: 10n });
      return 'saved';
    } catch (err) {
      return `${err.name}: ${err.message}`;
    }
  },
};

export function run(ctx) {
  const op = OPS[ctx.payload.op];
  if (op === undefined) throw new Error(`unknown op ${ctx.payload.op}`);
  return op(ctx);
}

export default { run: { handler: run } };
