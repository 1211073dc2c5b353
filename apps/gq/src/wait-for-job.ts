import {
  ApiError,
  MAX_CLIENT_WAIT_MS,
  type GopherQueueClient,
  type WireWaitResult,
} from '@gopherqueue/client';
import { formatDuration } from '@gopherqueue/core';
import { formatFields } from './table.js';

/** Longest pause a busy server's `Retry-After` imposes before the next poll. */
export const MAX_BUSY_PAUSE_MS = 30_000;
/** Shortest pause after a busy answer, so that `Retry-After: 0` never makes the loop spin. */
const MIN_BUSY_PAUSE_MS = 1_000;
/** The pause after a busy answer without `Retry-After`: what the server's own cap says. */
const DEFAULT_BUSY_PAUSE_MS = 5_000;

/**
 * How long to pause after `err` before polling again: a 503 (the server holds as many waits as
 * it allows, `maxJobWaits`) asks for its `Retry-After`, kept within 1..30 s. Undefined for any
 * other failure, which ends the wait.
 */
function busyPauseMs(err: unknown): number | undefined {
  if (!(err instanceof ApiError) || err.status !== 503) return undefined;
  const asked = err.retryAfterMs ?? DEFAULT_BUSY_PAUSE_MS;
  return Math.min(MAX_BUSY_PAUSE_MS, Math.max(MIN_BUSY_PAUSE_MS, asked));
}

/** Resolves after `ms`, or at once when `signal` fires. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Long-polls the server until job `id` finishes, `timeoutMs` passes (undefined: no limit), or
 * `signal` fires; resolves with the last answer (`timed_out` when it did not finish). A server
 * too busy to hold the wait (503) is asked again after its `Retry-After` (1..30 s, never past the
 * deadline, where one last poll that does not wait gives the job's state).
 */
export async function waitForJob(
  client: GopherQueueClient,
  id: string,
  timeoutMs: number | undefined,
  signal: AbortSignal,
): Promise<WireWaitResult> {
  const deadline = timeoutMs === undefined ? Infinity : performance.now() + timeoutMs;
  for (;;) {
    const left = deadline - performance.now();
    const pollMs = Math.max(0, Math.min(MAX_CLIENT_WAIT_MS, left));
    let answer: WireWaitResult;
    try {
      answer = await client.wait(id, formatDuration(Math.ceil(pollMs)), { signal });
    } catch (err) {
      const pauseMs = busyPauseMs(err);
      // A poll that did not wait holds no slot, so is never refused: nothing to wait for then.
      if (pauseMs === undefined || pollMs === 0 || signal.aborted) throw err;
      await pause(Math.min(pauseMs, Math.max(0, deadline - performance.now())), signal);
      // Aborted meanwhile, the next poll rejects with the signal's reason, as one in flight does.
      continue;
    }
    if (answer.completed || !answer.timed_out || performance.now() >= deadline || signal.aborted) {
      return answer;
    }
  }
}

/** A finished (or timed-out) wait, for people. */
export function formatWait(answer: WireWaitResult): string {
  const fields: [string, string][] = [
    ['id', answer.id],
    ['state', answer.state],
  ];
  if (answer.timed_out) fields.push(['timed out', 'yes']);
  const result = answer.result;
  if (result?.output !== undefined) fields.push(['result', JSON.stringify(result.output)]);
  if (result?.error !== undefined) fields.push(['error', result.error]);
  return formatFields(fields);
}

/** 0 when the job completed, 1 when it ended any other way or is still unfinished. */
export function waitExitCode(answer: WireWaitResult): number {
  return answer.state === 'completed' ? 0 : 1;
}
