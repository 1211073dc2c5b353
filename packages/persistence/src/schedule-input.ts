import {
  ErrorCode,
  GqError,
  MAX_FIRE_BATCH,
  MAX_SCHEDULE_PAGE,
  MAX_SCHEDULES,
  SCHEDULE_NAME,
  type FireInput,
  type FireOutcome,
  type SchedulePage,
  type ScheduleWrite,
  type StoredSchedule,
} from '@gopherqueue/core';

/** A checked {@link SchedulePage}. */
export interface CheckedPage {
  after: string | undefined;
  limit: number;
}

/** @throws GQ_INVALID_ARGUMENT naming `limit` or `after` for a page out of bounds. */
export function checkSchedulePage(page: SchedulePage | undefined): CheckedPage {
  const limit = page?.limit ?? MAX_SCHEDULE_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SCHEDULE_PAGE) {
    throw new GqError(
      ErrorCode.INVALID_ARGUMENT,
      `limit must be an integer from 1 to ${MAX_SCHEDULE_PAGE}; got ${String(limit)}`,
      { details: { field: 'limit' } },
    );
  }
  const after = page?.after;
  if (after !== undefined && (typeof after !== 'string' || after.length > 128)) {
    throw new GqError(ErrorCode.INVALID_ARGUMENT, 'after must be a schedule name', {
      details: { field: 'after' },
    });
  }
  return { after, limit };
}

/** @throws GQ_INVALID_ARGUMENT naming `inputs` for a `fireMany` of more than MAX_FIRE_BATCH. */
export function checkFireBatch(count: number): void {
  if (count > MAX_FIRE_BATCH) {
    throw new GqError(
      ErrorCode.INVALID_ARGUMENT,
      `fireMany takes at most ${MAX_FIRE_BATCH} ticks; got ${count}`,
      { details: { field: 'inputs' } },
    );
  }
}

/**
 * What a fire of `input` finds in `found` (the schedule as it is now), or undefined when the tick
 * is to be fired: missing, paused, stale (another revision, or re-created) or done (not later
 * than the last tick), in that order.
 */
export function fireRefusal(
  found: StoredSchedule | undefined,
  input: FireInput,
): Exclude<FireOutcome, { status: 'fired' }> | undefined {
  if (found === undefined) return { status: 'missing' };
  if (found.paused) return { status: 'paused', schedule: found };
  if (found.revision !== input.revision || found.createdAt !== input.createdAt) {
    return { status: 'stale', schedule: found };
  }
  if (input.tick <= found.lastTick) return { status: 'done', schedule: found };
  return undefined;
}

/** @throws GQ_INVALID_ARGUMENT (`details.field: 'name'`) for a name outside {@link SCHEDULE_NAME}. */
export function checkScheduleName(name: string): void {
  if (typeof name !== 'string' || !SCHEDULE_NAME.test(name)) {
    throw new GqError(
      ErrorCode.INVALID_ARGUMENT,
      `schedule name must be 1..128 letters, digits and _.:-, not only dots; got ${JSON.stringify(name)}`,
      { details: { field: 'name' } },
    );
  }
}

/** @throws GQ_INVALID_ARGUMENT when a store holding `count` schedules may take no new one. */
export function checkScheduleRoom(count: number): void {
  if (count >= MAX_SCHEDULES) {
    throw new GqError(
      ErrorCode.INVALID_ARGUMENT,
      `a store holds at most ${MAX_SCHEDULES} schedules; delete one first`,
      { details: { field: 'name' } },
    );
  }
}

/** JSON with object keys sorted, so equal definitions compare equal as text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** True when `write` would change nothing of `previous`. */
export function samePut(write: ScheduleWrite, previous: StoredSchedule | undefined): boolean {
  return (
    previous !== undefined &&
    previous.source === write.source &&
    canonical(previous.definition) === canonical(write.definition)
  );
}

/** The record `put` writes: a new schedule, or `previous` with the new definition and source. */
export function scheduleAfterPut(
  write: ScheduleWrite,
  previous: StoredSchedule | undefined,
  now: number,
): StoredSchedule {
  if (previous === undefined) {
    return {
      name: write.name,
      definition: write.definition,
      source: write.source,
      paused: false,
      lastTick: now,
      revision: 1,
      createdAt: now,
      updatedAt: now,
    };
  }
  return {
    ...previous,
    definition: write.definition,
    source: write.source,
    revision: previous.revision + 1,
    updatedAt: now,
  };
}

/** A stored record read back, or undefined when it is not a schedule at all (never throws). */
export function readStoredSchedule(value: unknown): StoredSchedule | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Partial<StoredSchedule>;
  if (typeof record.name !== 'string' || typeof record.lastTick !== 'number') return undefined;
  if (typeof record.definition !== 'object' || record.definition === null) return undefined;
  return {
    name: record.name,
    definition: record.definition,
    source: record.source === 'code' ? 'code' : 'api',
    paused: record.paused === true,
    lastTick: record.lastTick,
    revision: typeof record.revision === 'number' ? record.revision : 1,
    createdAt: typeof record.createdAt === 'number' ? record.createdAt : record.lastTick,
    updatedAt: typeof record.updatedAt === 'number' ? record.updatedAt : record.lastTick,
  };
}

/** The furthest from the epoch a time a Date can hold lies, in ms. */
const MAX_DATE_MS = 8.64e15;

const isDateTime = (ms: number): boolean => Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS;

/**
 * A stored schedule whose `lastTick` no Date can hold (written by hand or by another version: a
 * cron search from it would throw) with that last tick taken as lost: the schedule counts as
 * handled up to its last change (`updatedAt`, else `createdAt`, else the epoch), so its misfire
 * policy decides what ran since, and its next fire writes a real last tick. Any other schedule is
 * returned as it is.
 */
export function withSaneLastTick(schedule: StoredSchedule): StoredSchedule {
  if (isDateTime(schedule.lastTick)) return schedule;
  const { updatedAt, createdAt } = schedule;
  const lastTick = isDateTime(updatedAt) ? updatedAt : isDateTime(createdAt) ? createdAt : 0;
  return { ...schedule, lastTick };
}
