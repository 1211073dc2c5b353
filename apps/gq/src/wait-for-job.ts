import {
  MAX_CLIENT_WAIT_MS,
  type GopherQueueClient,
  type WireWaitResult,
} from '@gopherqueue/client';
import { formatDuration } from '@gopherqueue/core';
import { formatFields } from './table.js';

/**
 * Long-polls the server until job `id` finishes, `timeoutMs` passes (undefined: no limit), or
 * `signal` fires; resolves with the last answer (`timed_out` when it did not finish).
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
    const answer = await client.wait(id, formatDuration(Math.ceil(pollMs)), { signal });
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
