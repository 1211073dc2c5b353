import { isJobState, isUuid, type Job } from '@gopherqueue/core';

/** A line of an export that is not a job, with its 1-based line number. */
export class JobLineError extends Error {
  override readonly name = 'JobLineError';
  readonly line: number;

  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.line = line;
  }
}

/** One job as one line of NDJSON, every field included (the store's own shape). */
export function jobToLine(job: Job): string {
  return `${JSON.stringify(job)}\n`;
}

type Check = (value: unknown) => boolean;

const isInt: Check = (v) => Number.isSafeInteger(v);
const isNonNegInt: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const isTime: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const isString: Check = (v) => typeof v === 'string';
const isNonEmpty: Check = (v) => typeof v === 'string' && v !== '';
const isObject: Check = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIdList: Check = (v) => Array.isArray(v) && v.every(isUuid);
const isStringMap: Check = (v) => isObject(v) && Object.values(v as object).every(isString);
const isErrorList: Check = (v) =>
  Array.isArray(v) &&
  v.every(
    (e) =>
      isObject(e) &&
      isString((e as Record<string, unknown>).message) &&
      isString((e as Record<string, unknown>).errorClass) &&
      isInt((e as Record<string, unknown>).attempt) &&
      isTime((e as Record<string, unknown>).at),
  );

/** Field checks of a {@link Job}: required fields first, then optional ones. */
const REQUIRED: readonly [keyof Job, Check, string][] = [
  ['id', (v) => isUuid(v), 'a UUID'],
  ['type', isNonEmpty, 'a non-empty string'],
  ['queue', isNonEmpty, 'a non-empty string'],
  ['priority', (v) => isInt(v) && (v as number) >= 0 && (v as number) <= 4, 'an integer 0..4'],
  ['state', (v) => typeof v === 'string' && isJobState(v), 'a job state'],
  ['attempt', isNonNegInt, 'a non-negative integer'],
  ['maxAttempts', (v) => isInt(v) && (v as number) >= 1, 'a positive integer'],
  ['timeoutMs', isTime, 'a number'],
  ['backoff', isObject, 'an object'],
  ['runAt', isTime, 'a time in ms'],
  ['dependsOn', isIdList, 'a list of job ids'],
  ['waitingOn', isIdList, 'a list of job ids'],
  ['tags', isStringMap, 'an object of strings'],
  ['errors', isErrorList, 'a list of job errors'],
  ['seq', isNonNegInt, 'a non-negative integer'],
  ['createdAt', isTime, 'a time in ms'],
  ['updatedAt', isTime, 'a time in ms'],
];

const OPTIONAL: readonly [keyof Job, Check, string][] = [
  ['idempotencyKey', isString, 'a string'],
  ['correlationId', isString, 'a string'],
  ['progressMessage', isString, 'a string'],
  ['cancelReason', isString, 'a string'],
  ['startedAt', isTime, 'a time in ms'],
  ['finishedAt', isTime, 'a time in ms'],
  ['leaseToken', isString, 'a string'],
  ['leaseExpiresAt', isTime, 'a time in ms'],
  ['workerId', isString, 'a string'],
];

/**
 * Reads one line of an export as a job, checking every field's type.
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
  const record = value as Record<string, unknown>;
  for (const [field, check, what] of REQUIRED) {
    if (!check(record[field])) {
      throw new JobLineError(
        line,
        `${field} must be ${what}; got ${JSON.stringify(record[field])}`,
      );
    }
  }
  if (!('payload' in record)) throw new JobLineError(line, 'payload is missing');
  for (const [field, check, what] of OPTIONAL) {
    const v = record[field];
    if (v !== undefined && !check(v)) {
      throw new JobLineError(line, `${field} must be ${what}; got ${JSON.stringify(v)}`);
    }
  }
  return value as Job;
}
