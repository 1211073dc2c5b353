import type { Job, JobEventName } from '@gopherqueue/core';
import { toWireJob } from './wire.js';

const encoder = new TextEncoder();

/** The first frame of every stream. */
export const CONNECTED_FRAME = encoder.encode(
  `event: connected\ndata: ${JSON.stringify({ status: 'connected' })}\n\n`,
);

/** The keep-alive comment. */
export const KEEPALIVE_FRAME = encoder.encode(': keepalive\n\n');

/**
 * One job event as the stream sends it: `job.created` ... `job.deleted`, the job in the wire
 * format as data, its id as the event id. JSON escapes line breaks, so the data is one line.
 * @throws whatever encoding the job throws; the caller skips the event
 */
export function jobEventFrame(name: JobEventName, job: Job): Uint8Array {
  const data = JSON.stringify(toWireJob(job));
  return encoder.encode(`event: ${name.replace(':', '.')}\ndata: ${data}\nid: ${job.id}\n\n`);
}

/**
 * The last frame of a stream whose client fell behind by more than `budgetBytes`: the events
 * after it were not sent, and the client should reconnect (and re-read what it missed).
 */
export function overflowFrame(budgetBytes: number): Uint8Array {
  const data = {
    reason: `the client fell more than ${budgetBytes} bytes behind; events were dropped, reconnect to resume`,
    buffer_bytes: budgetBytes,
  };
  return encoder.encode(`event: overflow\ndata: ${JSON.stringify(data)}\n\n`);
}
