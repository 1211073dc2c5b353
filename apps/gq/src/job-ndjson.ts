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
} from '@gopherqueue/client';
import { isJobState, isUuid, MAX_TRANSITIONS, type Job } from '@gopherqueue/core';

/** A line of an export that is not a job, with its 1-based line number. */
export class JobLineError extends Error {
  override readonly name = 'JobLineError';
  readonly line: number;

  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.line = line;
  }
}

/**
 * One job as one line of NDJSON, every field included, in the store's own shape (the names of
 * {@link JOB_FIELDS}' keys, times in ms), so an import restores it exactly.
 */
export function jobToLine(job: Job): string {
  return `${JSON.stringify(job)}\n`;
}

type Check = (value: unknown) => boolean;

const isInt: Check = (v) => Number.isSafeInteger(v);
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const isString: Check = (v) => typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** How a stored value of each kind of {@link JOB_FIELDS} is checked, and what it must be. */
const CHECKS: Record<
  Exclude<FieldKind, 'backoff' | 'errors' | 'transitions' | 'unique' | 'debounce'>,
  [Check, string]
> = {
  uuid: [isUuid, 'a UUID'],
  name: [(v) => typeof v === 'string' && v !== '', 'a non-empty string'],
  string: [isString, 'a string'],
  number: [isNumber, 'a number'],
  boolean: [(v) => typeof v === 'boolean', 'a boolean'],
  json: [() => true, 'JSON'],
  priority: [(v) => isInt(v) && (v as number) >= 0 && (v as number) <= 4, 'an integer 0..4'],
  state: [(v) => typeof v === 'string' && isJobState(v), 'a job state'],
  count: [(v) => isInt(v) && (v as number) >= 0, 'a non-negative integer'],
  positive: [(v) => isInt(v) && (v as number) >= 1, 'a positive integer'],
  ms: [isNumber, 'a number'],
  time: [isNumber, 'a time in ms'],
  ids: [(v) => Array.isArray(v) && v.every(isUuid), 'a list of job ids'],
  tags: [(v) => isObject(v) && Object.values(v).every(isString), 'an object of strings'],
  names: [(v) => Array.isArray(v) && v.every(isString), 'a list of strings'],
  until: [
    (v) => v === 'started' || v === 'finished' || (isNumber(v) && (v as number) > 0),
    "'started', 'finished' or a number of ms above 0",
  ],
};

/** The nested records of a job and their tables. */
const NESTED: Partial<Record<FieldKind, Readonly<Record<string, WireField>>>> = {
  backoff: BACKOFF_FIELDS,
  unique: UNIQUE_FIELDS,
  debounce: DEBOUNCE_FIELDS,
};

/**
 * The lists of records of a job: the table of an element, what the list holds, and how many it
 * may hold (a job's errors are bounded by its attempts, checked with them by the store).
 */
const LISTS: Partial<Record<FieldKind, [Readonly<Record<string, WireField>>, string, number]>> = {
  errors: [JOB_ERROR_FIELDS, 'job errors', Number.MAX_SAFE_INTEGER],
  transitions: [TRANSITION_FIELDS, 'job transitions', MAX_TRANSITIONS],
};

/**
 * What is wrong with `record` as a record of `table` (every field by its kind, nested ones by
 * their own table), or undefined when nothing is. `path` prefixes the names (`errors.0.`).
 */
function problem(
  table: Readonly<Record<string, WireField>>,
  record: Record<string, unknown>,
  path = '',
): string | undefined {
  for (const [field, spec] of fieldEntries(table)) {
    const name = `${path}${field}`;
    if (!(field in record) || record[field] === undefined) {
      if (spec.required) return `${name} is missing`;
      continue;
    }
    const value = record[field];
    const nested = NESTED[spec.kind];
    const list = LISTS[spec.kind];
    if (nested !== undefined) {
      if (!isObject(value)) return `${name} must be an object; got ${JSON.stringify(value)}`;
      const inner = problem(nested, value, `${name}.`);
      if (inner !== undefined) return inner;
    } else if (list !== undefined) {
      const [element, what, max] = list;
      if (!Array.isArray(value))
        return `${name} must be a list of ${what}; got ${JSON.stringify(value)}`;
      if (value.length > max)
        return `${name} must hold at most ${max} ${what}; got ${value.length}`;
      for (const [i, entry] of value.entries()) {
        if (!isObject(entry)) return `${name}.${i} must be an object; got ${JSON.stringify(entry)}`;
        const inner = problem(element, entry, `${name}.${i}.`);
        if (inner !== undefined) return inner;
      }
    } else if (
      spec.kind !== 'backoff' &&
      spec.kind !== 'errors' &&
      spec.kind !== 'transitions' &&
      spec.kind !== 'unique' &&
      spec.kind !== 'debounce'
    ) {
      const [check, what] = CHECKS[spec.kind];
      if (!check(value)) return `${name} must be ${what}; got ${JSON.stringify(value)}`;
    }
  }
  return undefined;
}

/**
 * Reads one line of an export as a job, checking every field of {@link JOB_FIELDS} by its kind.
 * @throws JobLineError naming the line and what is wrong with it.
 */
export function parseJobLine(text: string, line: number): Job {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new JobLineError(line, `not JSON (${(err as Error).message})`);
  }
  if (!isObject(value)) throw new JobLineError(line, 'not a JSON object');
  const wrong = problem(JOB_FIELDS, value);
  if (wrong !== undefined) throw new JobLineError(line, wrong);
  return value as unknown as Job;
}
