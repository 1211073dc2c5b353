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
import {
  createJob,
  isJobState,
  isUuid,
  jsonValueProblem,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_ERROR_NAME_LENGTH,
  MAX_ERROR_STACK_LENGTH,
  MAX_ERRORS,
  MAX_TRANSITIONS,
  progressProblem,
  textProblem,
  type Job,
  type JobOptions,
} from '@gopherqueue/core';

/**
 * The longest line an import reads, in bytes (16 MiB). A job's record holds its payload, result
 * and checkpoint (at most a request body each through the API, 1 MiB by default; a store filled
 * in-process may hold larger ones, which an import of more than this cannot take), and at most
 * {@link MAX_ERRORS} errors of at most 24,776 characters of text each, which JSON escapes to at
 * most 6 bytes a character (`\u0001`): 7.5 MB. With tags, progress and transitions, a record
 * under the API's default bounds is about 11 MB at worst.
 */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** The most characters of a value a message shows: a longer one is cut and ends with `...`. */
export const MAX_SHOWN_LENGTH = 100;

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

/** `text` cut to {@link MAX_SHOWN_LENGTH} characters (never inside a surrogate pair), then `...`. */
function cut(text: string): string {
  if (text.length <= MAX_SHOWN_LENGTH) return text;
  const last = text.charCodeAt(MAX_SHOWN_LENGTH - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? MAX_SHOWN_LENGTH - 1 : MAX_SHOWN_LENGTH;
  return `${text.slice(0, end)}...`;
}

/** `value` as JSON for a message, cut like {@link cut}. */
function shown(value: unknown): string {
  try {
    return cut(JSON.stringify(value) ?? String(value));
  } catch {
    // Only a value nested too deep to write (the stack runs out) gets here.
    return 'a value nested too deep to show';
  }
}

/** A message of `@gopherqueue/core`'s, `"<field> must be ...; got <value>"`, its value cut. */
function cutValue(message: string): string {
  const at = message.indexOf('; got ');
  return at === -1 ? message : message.slice(0, at + 6) + cut(message.slice(at + 6));
}

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
 * may hold (as many as a store keeps).
 */
const LISTS: Partial<Record<FieldKind, [Readonly<Record<string, WireField>>, string, number]>> = {
  errors: [JOB_ERROR_FIELDS, 'job errors', MAX_ERRORS],
  transitions: [TRANSITION_FIELDS, 'job transitions', MAX_TRANSITIONS],
};

/** The texts of a job error and the most characters a store keeps of each. */
const ERROR_TEXTS: readonly (readonly ['message' | 'stack' | 'name', number])[] = [
  ['message', MAX_ERROR_MESSAGE_LENGTH],
  ['stack', MAX_ERROR_STACK_LENGTH],
  ['name', MAX_ERROR_NAME_LENGTH],
];

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
      if (!isObject(value)) return `${name} must be an object; got ${shown(value)}`;
      const inner = problem(nested, value, `${name}.`);
      if (inner !== undefined) return inner;
    } else if (list !== undefined) {
      const [element, what, max] = list;
      if (!Array.isArray(value)) return `${name} must be a list of ${what}; got ${shown(value)}`;
      if (value.length > max)
        return `${name} must hold at most ${max} ${what}; got ${value.length}`;
      for (const [i, entry] of value.entries()) {
        if (!isObject(entry)) return `${name}.${i} must be an object; got ${shown(entry)}`;
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
      if (!check(value)) return `${name} must be ${what}; got ${shown(value)}`;
    }
  }
  return undefined;
}

/** The options a submit of `job` would have given, for `createJob` to check. */
function submitOptions(job: Job): JobOptions {
  const options: JobOptions = {
    id: job.id,
    queue: job.queue,
    maxAttempts: job.maxAttempts,
    timeout: job.timeoutMs,
    backoff: job.backoff,
    dependsOn: job.dependsOn,
    tags: job.tags,
    traceparent: job.traceparent ?? null,
  };
  if (job.idempotencyKey !== undefined) options.idempotencyKey = job.idempotencyKey;
  if (job.correlationId !== undefined) options.correlationId = job.correlationId;
  if (job.group !== undefined) options.group = job.group;
  if (job.retryOn !== undefined) options.retryOn = job.retryOn;
  if (job.noRetryOn !== undefined) options.noRetryOn = job.noRetryOn;
  if (job.unique !== undefined) options.unique = job.unique;
  const debounce = job.debounce;
  if (debounce !== undefined) {
    options.debounce = { key: debounce.key, wait: debounce.waitMs, maxWait: debounce.maxWaitMs };
  }
  return options;
}

/**
 * Which bound a submit or a store applies `job` breaks, or undefined when none: text without a
 * NUL or an unpaired surrogate, nested at most `MAX_JSON_DEPTH` deep, in every field; what
 * `createJob` checks of a submit (type and queue names, `maxAttempts` 1..1000, timeout, backoff,
 * tags, keys, group, traceparent, `retryOn`, `noRetryOn`, a job depending on itself); errors'
 * texts of at most what a store keeps; progress. A payload may be of any size a line holds.
 * A record's times are checked by the store it is written to.
 */
function boundsProblem(job: Job): string | undefined {
  // First, so that createJob never walks a payload nested too deep for its copy.
  for (const [field, value] of Object.entries(job)) {
    const wrong =
      typeof value === 'string' ? textProblem(field, value) : jsonValueProblem(field, value);
    if (wrong !== undefined) return wrong;
  }
  try {
    createJob(job.type, job.payload, submitOptions(job));
  } catch (err) {
    return cutValue((err as Error).message);
  }
  for (const [i, error] of job.errors.entries()) {
    for (const [field, max] of ERROR_TEXTS) {
      const text = error[field];
      if (typeof text === 'string' && text.length > max) {
        return `errors.${i}.${field} must be at most ${max} characters; got ${text.length}`;
      }
    }
  }
  return job.progress === undefined ? undefined : progressProblem(job.progress);
}

/**
 * Reads one line of an export as a job, checking every field of {@link JOB_FIELDS} by its kind,
 * then the bounds a submit and the stores apply (see {@link boundsProblem}). A value a message
 * shows is cut to {@link MAX_SHOWN_LENGTH} characters.
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
  const job = value as unknown as Job;
  const beyond = boundsProblem(job);
  if (beyond !== undefined) throw new JobLineError(line, beyond);
  return job;
}

/**
 * The lines of `input` (NDJSON: `\n` or `\r\n` ends a line) with their 1-based numbers, decoded
 * as UTF-8. A line is held only up to `maxBytes`: one longer is refused as soon as that much of
 * it was read, without reading the rest.
 * @throws JobLineError naming a line longer than `maxBytes`.
 */
export async function* ndjsonLines(
  input: AsyncIterable<unknown>,
  maxBytes = MAX_LINE_BYTES,
): AsyncGenerator<[text: string, line: number]> {
  let parts: Buffer[] = [];
  let size = 0;
  let line = 1;
  const tooLong = (): JobLineError =>
    new JobLineError(line, `longer than ${maxBytes} bytes, the most a line may hold`);
  const text = (): string => {
    const decoded = Buffer.concat(parts).toString('utf8');
    return decoded.endsWith('\r') ? decoded.slice(0, -1) : decoded;
  };
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    let start = 0;
    for (let end = bytes.indexOf(10, start); end !== -1; end = bytes.indexOf(10, start)) {
      if (size + end - start > maxBytes) throw tooLong();
      parts.push(bytes.subarray(start, end));
      yield [text(), line];
      parts = [];
      size = 0;
      line++;
      start = end + 1;
    }
    if (start < bytes.length) {
      size += bytes.length - start;
      if (size > maxBytes) throw tooLong();
      parts.push(bytes.subarray(start));
    }
  }
  if (parts.length > 0) yield [text(), line];
}
