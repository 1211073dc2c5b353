import type { Logger, ScheduleDefinition, Store } from '@gopherqueue/core';

/** A schedule declared in code (a handlers module's `schedules`). */
export interface DeclaredSchedule {
  name: string;
  definition: ScheduleDefinition;
}

/** What {@link syncDeclaredSchedules} changed, by schedule name. */
export interface ScheduleSyncResult {
  created: string[];
  updated: string[];
  removed: string[];
  unchanged: string[];
}

/**
 * Makes the store's code schedules those declared: a declared schedule is created, or replaced
 * when its stored definition differs or it was made through the API (a declaration takes the
 * name over); a stored `code` schedule no longer declared is deleted; `api` schedules are never
 * removed. An unchanged schedule is not written, so it keeps its revision, its paused flag and its
 * last tick across restarts. Every process that starts syncs, so with several processes whose
 * declarations differ, the last one to start wins.
 */
export async function syncDeclaredSchedules(
  store: Store,
  declared: readonly DeclaredSchedule[],
  logger?: Logger,
): Promise<ScheduleSyncResult> {
  const result: ScheduleSyncResult = { created: [], updated: [], removed: [], unchanged: [] };
  const stored = new Map((await store.schedules.list()).map((s) => [s.name, s]));
  const names = new Set<string>();
  for (const { name, definition } of declared) {
    if (names.has(name))
      throw new RangeError(`schedules: ${JSON.stringify(name)} is declared twice`);
    names.add(name);
    const existing = stored.get(name);
    if (
      existing?.source === 'code' &&
      canonicalJson(existing.definition) === canonicalJson(definition)
    ) {
      result.unchanged.push(name);
      continue;
    }
    await store.schedules.put({ name, definition, source: 'code' });
    (existing === undefined ? result.created : result.updated).push(name);
  }
  for (const schedule of stored.values()) {
    if (schedule.source !== 'code' || names.has(schedule.name)) continue;
    await store.schedules.delete(schedule.name);
    result.removed.push(schedule.name);
  }
  if (result.created.length + result.updated.length + result.removed.length > 0) {
    logger?.info('declared schedules synced', {
      created: result.created,
      updated: result.updated,
      removed: result.removed,
    });
  }
  return result;
}

/** JSON with object keys sorted, so two equal definitions compare equal as text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
