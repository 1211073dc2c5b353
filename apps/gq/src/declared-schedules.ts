import { parseDeclaredSchedule } from '@gopherqueue/api';
import { MAX_SCHEDULES } from '@gopherqueue/core';
import type { DeclaredSchedule } from '@gopherqueue/scheduler';
import { CliError } from './cli-error.js';

/**
 * Reads the `schedules` export of a handlers module: an array of schedules (each with its
 * `name`), or an object mapping names to schedules. Each takes the fields of
 * `POST /api/v1/schedules` (`cron` and `timezone`, or `every`; `misfire`, `catch_up_limit`,
 * `jitter`, `job`).
 * @throws CliError naming the module, the schedule and the field of the first bad one.
 */
export function readDeclaredSchedules(value: unknown, specifier: string): DeclaredSchedule[] {
  const fail = (problem: string): CliError => new CliError(`--handlers ${specifier}: ${problem}`);
  let entries: [string, unknown][];
  if (Array.isArray(value)) {
    entries = value.map((item, i) => [String(i), item]);
  } else if (typeof value === 'object' && value !== null) {
    entries = Object.entries(value).map(([name, item]) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) return [name, item];
      const given = (item as { name?: unknown }).name;
      if (given !== undefined && given !== name) {
        throw fail(`schedule "${name}" names itself ${JSON.stringify(given)}; drop its name field`);
      }
      return [name, { ...item, name }];
    });
  } else {
    throw fail('its `schedules` export must be an array of schedules or an object of them by name');
  }
  if (entries.length > MAX_SCHEDULES) {
    throw fail(`it declares ${entries.length} schedules; at most ${MAX_SCHEDULES}`);
  }
  const declared: DeclaredSchedule[] = [];
  const names = new Set<string>();
  for (const [key, item] of entries) {
    try {
      const parsed = parseDeclaredSchedule(item, `schedules.${key}`);
      if (names.has(parsed.name)) throw new Error(`schedule "${parsed.name}" is declared twice`);
      names.add(parsed.name);
      declared.push(parsed);
    } catch (err) {
      throw fail((err as Error).message);
    }
  }
  return declared;
}
