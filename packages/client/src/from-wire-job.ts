import type { Job } from '@gopherqueue/core';
import {
  BACKOFF_FIELDS,
  DEBOUNCE_FIELDS,
  fieldEntries,
  JOB_ERROR_FIELDS,
  JOB_FIELDS,
  TRANSITION_FIELDS,
  UNIQUE_FIELDS,
  type FieldKind,
  type WireField,
} from './job-fields.js';
import type { WireJob, WireLeasedJob } from './wire-types.js';

const TIME_SLOTS = 4;
const cachedTexts: unknown[] = new Array<unknown>(TIME_SLOTS).fill(undefined);
const cachedTimes: number[] = new Array<number>(TIME_SLOTS).fill(Number.NaN);
let nextSlot = 0;

/**
 * An RFC 3339 time in ms. The jobs of one answer mostly share their times, and one job's fields
 * alternate between a few of them: the last TIME_SLOTS texts read are kept.
 */
function timeOf(text: string): number {
  for (let i = 0; i < TIME_SLOTS; i++) {
    if (cachedTexts[i] === text) return cachedTimes[i] as number;
  }
  const time = Date.parse(text);
  cachedTexts[nextSlot] = text;
  cachedTimes[nextSlot] = time;
  nextSlot = (nextSlot + 1) % TIME_SLOTS;
  return time;
}

/** A wire value of `kind` in the engine's form: times back to ms, nested records by their table. */
function decode(kind: FieldKind, value: unknown): unknown {
  switch (kind) {
    case 'time':
      return timeOf(value as string);
    case 'backoff':
      return decodeRecord(BACKOFF_FIELDS, value as Record<string, unknown>);
    case 'errors':
      return (value as Record<string, unknown>[]).map((error) =>
        decodeRecord(JOB_ERROR_FIELDS, error),
      );
    case 'transitions':
      return (value as Record<string, unknown>[]).map((entry) =>
        decodeRecord(TRANSITION_FIELDS, entry),
      );
    case 'unique':
      return decodeRecord(UNIQUE_FIELDS, value as Record<string, unknown>);
    case 'debounce':
      return decodeRecord(DEBOUNCE_FIELDS, value as Record<string, unknown>);
    default:
      return value;
  }
}

/** The fields of `table` read from `wire` under their wire names; absent ones are left out. */
function decodeRecord(
  table: Readonly<Record<string, WireField>>,
  wire: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, spec] of fieldEntries(table)) {
    const value = wire[spec.wire];
    if (value !== undefined) out[field] = decode(spec.kind, value);
  }
  return out;
}

/**
 * A job as the API sent it, back in the engine's shape (times in ms, camelCase names), so a
 * handler run by a remote worker sees the same `ctx.job` as one run inside `gq serve`. A claimed
 * job keeps its lease (`leaseToken`, `leaseExpiresAt`). `seq`, which the API never sends, reads 0;
 * a missing `scheduled_at` reads as the creation time.
 */
export function fromWireJob(wire: WireJob | WireLeasedJob): Job {
  const job = decodeRecord(
    JOB_FIELDS,
    wire as unknown as Record<string, unknown>,
  ) as unknown as Job;
  job.seq = 0;
  if (job.runAt === undefined) job.runAt = job.createdAt;
  return job;
}
