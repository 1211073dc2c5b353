import {
  ErrorCode,
  GqError,
  MAX_SCHEDULES,
  SCHEDULE_NAME,
  type ScheduleWrite,
  type StoredSchedule,
} from '@gopherqueue/core';

/** @throws GQ_INVALID_ARGUMENT (`details.field: 'name'`) for a name outside {@link SCHEDULE_NAME}. */
export function checkScheduleName(name: string): void {
  if (typeof name !== 'string' || !SCHEDULE_NAME.test(name)) {
    throw new GqError(
      ErrorCode.INVALID_ARGUMENT,
      `schedule name must be 1..128 letters, digits and _.:-; got ${JSON.stringify(name)}`,
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
