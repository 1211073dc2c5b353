import { JOB_STATES, type Job, type JobTransition } from '@gopherqueue/core';
import { fieldCount, isRecordBackoff } from './job-record.js';

/** The JSON of the fields a job keeps from submit to the end (without the closing brace). */
interface Head {
  /** The version of the job it was made from: a later version is compared with it. */
  source: Job;
  /** How many of the job's own fields the head holds. */
  fields: number;
  json: string;
}

/**
 * Serialises jobs for the store. A running job is written again by each heartbeat and by its
 * completion or failure, but most of it (payload, backoff, tags, ...) never changes after submit:
 * the JSON of those fields is made once when a running version is first serialised (when its
 * claim's batch is sealed) and reused until it stops running, so those writes serialise only
 * what changed. Only running jobs are cached, so the cache is bounded by the jobs in flight. A
 * job whose fixed fields changed (a restore) is serialised anew.
 *
 * A record leaves out the fields at their usual values (layout 4): a backoff equal to
 * `RECORD_BACKOFF`, empty `dependsOn`, `waitingOn` and `errors`, empty `tags`, which
 * `readJobRecord` puts back, so the record reads back as the job. Most jobs have all five: their
 * records are about 45 % shorter, cheaper to write, to sync and to parse. A job with a field the
 * encoder does not know is written whole by `JSON.stringify`.
 *
 * The fields are written one by one rather than through `JSON.stringify` of a new object: most
 * of a record's cost was turning its times (13-digit numbers) into text, and the jobs written
 * together share their times (a claim's batch, a submit's batch), so {@link numberText} keeps
 * the last texts it made. Any value of a shape not written here goes through `JSON.stringify`.
 */
export class JobEncoder {
  readonly #heads = new Map<string, Head>();

  encode(job: Job): string {
    const cached = this.#heads.get(job.id);
    const running = job.state === 'running';
    if (!running && cached !== undefined) this.#heads.delete(job.id);
    let head = cached !== undefined && sameHead(cached, job) ? cached : undefined;
    if (head === undefined) {
      head = headOf(job);
      if (running) this.#heads.set(job.id, head);
    }
    const tail = new Fields();
    writeTail(job, tail);
    if (head.fields + tail.count !== fieldCount(job)) return JSON.stringify(job);
    // Each written field starts with a comma: an empty head (every field undefined) takes none.
    const text = head.json === '{' ? tail.text.slice(1) : tail.text;
    return head.json + text + '}';
  }
}

/** JSON text of each job state, quoted. */
const STATE_TEXT: ReadonlyMap<unknown, string> = new Map(
  JOB_STATES.map((state) => [state, JSON.stringify(state)]),
);

/** Fields written so far (each as `,"name":value`) and how many of the job's own fields they are. */
class Fields {
  text = '';
  count = 0;

  /** Writes `,"name":text`, counting the field even when `text` is undefined (a field JSON drops). */
  add(name: string, text: string | undefined): void {
    this.count++;
    if (text !== undefined) this.text += name + text;
  }

  /** Counts a field left out at its usual value. */
  skip(): void {
    this.count++;
  }

  /** Writes a list, or leaves it out when it is empty. */
  list(name: string, value: unknown): void {
    if (Array.isArray(value) && value.length === 0) this.count++;
    else this.add(name, textOf(value));
  }
}

/** Property prefixes, so a field's name is not quoted anew for every job. */
const P = {
  id: '"id":',
  type: ',"type":',
  queue: ',"queue":',
  payload: ',"payload":',
  priority: ',"priority":',
  maxAttempts: ',"maxAttempts":',
  timeoutMs: ',"timeoutMs":',
  backoff: ',"backoff":',
  dependsOn: ',"dependsOn":',
  tags: ',"tags":',
  seq: ',"seq":',
  createdAt: ',"createdAt":',
  idempotencyKey: ',"idempotencyKey":',
  correlationId: ',"correlationId":',
  traceparent: ',"traceparent":',
  group: ',"group":',
  retryOn: ',"retryOn":',
  noRetryOn: ',"noRetryOn":',
  unique: ',"unique":',
  debounce: ',"debounce":',
  expiresAt: ',"expiresAt":',
  state: ',"state":',
  attempt: ',"attempt":',
  runAt: ',"runAt":',
  waitingOn: ',"waitingOn":',
  errors: ',"errors":',
  updatedAt: ',"updatedAt":',
  transitions: ',"transitions":',
  checkpoint: ',"checkpoint":',
  progress: ',"progress":',
  progressMessage: ',"progressMessage":',
  result: ',"result":',
  cancelReason: ',"cancelReason":',
  startedAt: ',"startedAt":',
  finishedAt: ',"finishedAt":',
  leaseToken: ',"leaseToken":',
  leaseExpiresAt: ',"leaseExpiresAt":',
  workerId: ',"workerId":',
} as const;

const SLOTS = 256;
const slotKeys = new Float64Array(SLOTS).fill(Number.NaN);
const slotTexts: string[] = new Array<string>(SLOTS).fill('');

/**
 * The JSON text of a number, as `JSON.stringify` writes it. Large integers (times) are kept in a
 * small table by value: turning one into text costs about 0.1 µs, a hit a few nanoseconds.
 */
export function numberText(value: number): string {
  if (!Number.isFinite(value)) return 'null';
  if (value < 1_000_000 && value > -1_000_000) return String(value);
  const slot = (value % SLOTS) & (SLOTS - 1);
  const held = slotTexts[slot];
  if (slotKeys[slot] === value && held !== undefined) return held;
  const text = String(value);
  slotKeys[slot] = value;
  slotTexts[slot] = text;
  return text;
}

/** The JSON text of any value, or undefined where `JSON.stringify` would leave the field out. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'number') return numberText(value);
  if (Array.isArray(value) && value.length === 0) return '[]';
  return JSON.stringify(value);
}

/** A plain object without fields (what JSON writes as `{}`). */
function isEmptyObject(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype &&
    fieldCount(value) === 0
  );
}

/** A state's quoted text. */
function stateText(value: unknown): string | undefined {
  return STATE_TEXT.get(value) ?? JSON.stringify(value);
}

/** A job's transitions: entries of the usual shape written field by field, others as JSON does. */
function transitionsText(list: unknown): string | undefined {
  if (!Array.isArray(list)) return JSON.stringify(list);
  let text = '[';
  for (let i = 0; i < list.length; i++) {
    if (i > 0) text += ',';
    const entry: unknown = list[i];
    text += isPlainTransition(entry) ? transitionText(entry) : (JSON.stringify(entry) ?? 'null');
  }
  return text + ']';
}

function transitionText(entry: JobTransition): string {
  const state = STATE_TEXT.get(entry.state);
  if (state === undefined) return JSON.stringify(entry);
  const at = numberText(entry.at);
  return '{"state":' + state + ',"at":' + at + ',"attempt":' + numberText(entry.attempt) + '}';
}

/** A transition as the store makes them: a plain object of exactly `state`, `at` and `attempt`. */
function isPlainTransition(entry: unknown): entry is JobTransition {
  return (
    typeof entry === 'object' &&
    entry !== null &&
    Object.getPrototypeOf(entry) === Object.prototype &&
    typeof (entry as JobTransition).at === 'number' &&
    typeof (entry as JobTransition).attempt === 'number' &&
    fieldCount(entry) === 3
  );
}

function headOf(job: Job): Head {
  const head = new Fields();
  head.add(P.id, JSON.stringify(job.id));
  head.add(P.type, JSON.stringify(job.type));
  head.add(P.queue, JSON.stringify(job.queue));
  head.add(P.payload, textOf(job.payload));
  head.add(P.priority, textOf(job.priority));
  head.add(P.maxAttempts, textOf(job.maxAttempts));
  head.add(P.timeoutMs, textOf(job.timeoutMs));
  if (isRecordBackoff(job.backoff)) head.skip();
  else head.add(P.backoff, textOf(job.backoff));
  head.list(P.dependsOn, job.dependsOn);
  if (isEmptyObject(job.tags)) head.skip();
  else head.add(P.tags, textOf(job.tags));
  head.add(P.seq, textOf(job.seq));
  head.add(P.createdAt, textOf(job.createdAt));
  if (job.idempotencyKey !== undefined) head.add(P.idempotencyKey, textOf(job.idempotencyKey));
  if (job.correlationId !== undefined) head.add(P.correlationId, textOf(job.correlationId));
  if (job.traceparent !== undefined) head.add(P.traceparent, textOf(job.traceparent));
  if (job.group !== undefined) head.add(P.group, textOf(job.group));
  if (job.retryOn !== undefined) head.add(P.retryOn, textOf(job.retryOn));
  if (job.noRetryOn !== undefined) head.add(P.noRetryOn, textOf(job.noRetryOn));
  if (job.unique !== undefined) head.add(P.unique, textOf(job.unique));
  if (job.debounce !== undefined) head.add(P.debounce, textOf(job.debounce));
  if (job.expiresAt !== undefined) head.add(P.expiresAt, textOf(job.expiresAt));
  // The first written field's comma (the id's prefix has none, but the id may be left out).
  const json = head.text.startsWith(',') ? head.text.slice(1) : head.text;
  return { source: job, fields: head.count, json: '{' + json };
}

/** True when `job` has the fixed fields of the version `head` was made from. */
function sameHead(head: Head, job: Job): boolean {
  const source = head.source;
  return (
    source.payload === job.payload &&
    source.backoff === job.backoff &&
    source.tags === job.tags &&
    source.dependsOn === job.dependsOn &&
    source.type === job.type &&
    source.queue === job.queue &&
    source.priority === job.priority &&
    source.maxAttempts === job.maxAttempts &&
    source.timeoutMs === job.timeoutMs &&
    source.seq === job.seq &&
    source.createdAt === job.createdAt &&
    source.idempotencyKey === job.idempotencyKey &&
    source.correlationId === job.correlationId &&
    source.traceparent === job.traceparent &&
    source.group === job.group &&
    source.retryOn === job.retryOn &&
    source.noRetryOn === job.noRetryOn &&
    source.unique === job.unique &&
    source.debounce === job.debounce &&
    source.expiresAt === job.expiresAt
  );
}

/** Writes the fields that change as a job runs. */
function writeTail(job: Job, tail: Fields): void {
  tail.add(P.state, stateText(job.state));
  tail.add(P.attempt, textOf(job.attempt));
  tail.add(P.runAt, textOf(job.runAt));
  tail.list(P.waitingOn, job.waitingOn);
  tail.list(P.errors, job.errors);
  tail.add(P.updatedAt, textOf(job.updatedAt));
  if (job.transitions !== undefined) tail.add(P.transitions, transitionsText(job.transitions));
  if (job.checkpoint !== undefined) tail.add(P.checkpoint, textOf(job.checkpoint));
  if (job.progress !== undefined) tail.add(P.progress, textOf(job.progress));
  if (job.progressMessage !== undefined) tail.add(P.progressMessage, textOf(job.progressMessage));
  if (job.result !== undefined) tail.add(P.result, textOf(job.result));
  if (job.cancelReason !== undefined) tail.add(P.cancelReason, textOf(job.cancelReason));
  if (job.startedAt !== undefined) tail.add(P.startedAt, textOf(job.startedAt));
  if (job.finishedAt !== undefined) tail.add(P.finishedAt, textOf(job.finishedAt));
  if (job.leaseToken !== undefined) tail.add(P.leaseToken, textOf(job.leaseToken));
  if (job.leaseExpiresAt !== undefined) tail.add(P.leaseExpiresAt, textOf(job.leaseExpiresAt));
  if (job.workerId !== undefined) tail.add(P.workerId, textOf(job.workerId));
}
