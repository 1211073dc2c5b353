// @ts-check
// A handlers module. The server runs these handlers with
//   gq serve --handlers examples/handlers.js
// or a worker process does, against a running server:
//   gq work --server http://127.0.0.1:8080 --handlers examples/handlers.js
// Its default export maps each job type to a function that receives the job's context and returns
// the job's result (any JSON value). It is plain ESM JavaScript (the package.json next to it says
// "type": "module"), so Node loads it as it is; the JSDoc types let an editor check it.
import { PermanentError } from '@gopherqueue/core';

/** @typedef {import('@gopherqueue/worker').Handler} Handler */

/** Rows added up between two checkpoints of `report.build`. */
const CHUNK = 1000;

/** @type {Record<string, Handler>} */
export default {
  /**
   * Sends a welcome email (here it only composes it). A payload without a valid address can never
   * succeed, so it fails at once with PermanentError instead of being retried.
   */
  'welcome.email': async (ctx) => {
    const { email } = /** @type {{ email?: unknown }} */ (ctx.payload ?? {});
    if (typeof email !== 'string' || !email.includes('@')) {
      throw new PermanentError(`not an email address: ${JSON.stringify(email)}`);
    }
    ctx.logger.info('sending welcome email', { email });
    // A real handler calls its mail service here, passing ctx.signal along so that a timeout, a
    // cancel or a shutdown stops the request.
    return { to: email, subject: 'Welcome to GopherQueue' };
  },

  /**
   * Adds up `payload.rows` numbers in chunks, saving a checkpoint after each one: after a crash, a
   * timeout or a retry, the next attempt starts from the last checkpoint, not from zero. It stops
   * when `ctx.signal` fires (timeout, cancel, shutdown). When the job was submitted with
   * `dependsOn`, the jobs it waited for are in `ctx.dependencies`.
   */
  'report.build': async (ctx) => {
    const { rows } = /** @type {{ rows?: unknown }} */ (ctx.payload ?? {});
    if (typeof rows !== 'number' || !Number.isSafeInteger(rows) || rows < 0) {
      throw new PermanentError(`payload.rows must be a whole number, got ${JSON.stringify(rows)}`);
    }
    const saved = /** @type {{ done: number, total: number } | undefined} */ (ctx.lastCheckpoint);
    let done = saved?.done ?? 0;
    let total = saved?.total ?? 0;
    while (done < rows) {
      ctx.signal.throwIfAborted();
      const end = Math.min(rows, done + CHUNK);
      for (let row = done; row < end; row += 1) total += row;
      done = end;
      await ctx.checkpoint({ done, total });
      await ctx.progress(Math.floor((done * 100) / rows), `${done} of ${rows} rows`);
    }
    const emails = ctx.dependencies
      .filter((job) => job.type === 'welcome.email')
      .map((job) => /** @type {{ to: string }} */ (job.result).to);
    return { rows, total, resumedFrom: saved?.done ?? 0, emails };
  },
};
