import {
  type Clock,
  ErrorCode,
  GqError,
  isUuid,
  type Json,
  type MetaStore,
  systemClock,
  uuidv7,
} from '@gopherqueue/core';
import { coversQueues } from './can-access-queue.js';

/** One audited action. `at` is ms since the epoch. */
export interface AuditEntry {
  /** UUIDv7: entries sort by time. */
  id: string;
  at: number;
  /** Who acted: an API key id, `local` for a trusted loopback caller, `cli` offline. */
  actor: string;
  /** What was done: `job.cancel`, `queue.pause`, `key.create`, ... */
  action: string;
  /** What it was done to: a job id, a queue name, a key id. */
  target?: string;
  /**
   * The queues the action concerns: a job's queue, the queue paused, a key's queues. Absent when
   * it concerns every queue or none in particular (an unrestricted key, a purge of the whole dead
   * letter): only keys unrestricted by queue read such entries.
   */
  queues?: string[];
  details?: Record<string, Json>;
}

/** Input of {@link AuditLog.record}. */
export interface AuditRecordInput {
  actor: string;
  action: string;
  target?: string;
  /** See {@link AuditEntry.queues}; an empty list counts as none. */
  queues?: readonly string[];
  details?: Record<string, Json>;
}

/** Options of {@link AuditLog.list}. */
export interface AuditListOptions {
  /** @defaultValue 50; at most 1000 */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  /**
   * Only entries whose queues are all among these (what a key restricted to them may read);
   * entries without queues are left out. A page then reads at most 10,000 entries, so it may
   * hold fewer than `limit` while `nextCursor` says older ones follow.
   * @defaultValue every entry
   */
  queues?: readonly string[];
}

/** One page of the audit log, newest first. */
export interface AuditPage {
  entries: AuditEntry[];
  /** Present when older entries may follow. */
  nextCursor?: string;
}

/** Options of {@link AuditLog}. */
export interface AuditLogOptions {
  /** Where entries are kept (`store.meta`). */
  meta: MetaStore;
  /** Time of each entry. @defaultValue `systemClock` */
  clock?: Clock;
}

const PREFIX = 'audit/';
/** Entries read per round when filtering by queue. */
const FILTER_CHUNK = 256;
/** Entries read at most for one page when filtering by queue, so a page costs a bounded time. */
const FILTER_SCAN_LIMIT = 10_000;

/**
 * The audit log of admin and operator actions, kept in the store's meta space under
 * `audit/<uuidv7>`, so in time order; {@link AuditLog.purge} applies a retention age.
 */
export class AuditLog {
  readonly #meta: MetaStore;
  readonly #clock: Clock;

  /** @throws TypeError without a meta store */
  constructor(options: AuditLogOptions) {
    if (typeof options.meta?.put !== 'function') {
      throw new TypeError('meta must be a MetaStore (store.meta)');
    }
    this.#meta = options.meta;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Appends an entry; resolves once it is stored.
   * @throws TypeError for a missing actor or action
   */
  async record(input: AuditRecordInput): Promise<AuditEntry> {
    const { actor, action, target, queues, details } = input;
    if (typeof actor !== 'string' || actor === '') {
      throw new TypeError('actor must be a non-empty string');
    }
    if (typeof action !== 'string' || action === '') {
      throw new TypeError('action must be a non-empty string');
    }
    const at = this.#clock.now();
    const entry: AuditEntry = { id: uuidv7(at), at, actor, action };
    if (target !== undefined) entry.target = target;
    if (queues !== undefined && queues.length > 0) entry.queues = [...new Set(queues)];
    if (details !== undefined) entry.details = details;
    await this.#meta.put(PREFIX + entry.id, entry as unknown as Json);
    return entry;
  }

  /**
   * Entries newest first, a page at a time.
   * @throws RangeError for a limit outside 1..1000; GqError GQ_INVALID_ARGUMENT for a malformed cursor
   */
  async list(options: AuditListOptions = {}): Promise<AuditPage> {
    const limit = options.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new RangeError(`limit must be an integer from 1 to 1000; got ${String(limit)}`);
    }
    const { cursor } = options;
    if (cursor !== undefined && !isUuid(cursor)) {
      throw new GqError(ErrorCode.INVALID_ARGUMENT, 'cursor is not a cursor of the audit log', {
        details: { field: 'cursor' },
      });
    }
    const allowed = options.queues;
    const chunk = allowed === undefined ? limit + 1 : Math.max(limit + 1, FILTER_CHUNK);
    const entries: AuditEntry[] = [];
    // The id of the last entry read: where the next page starts.
    let position = cursor;
    let scanned = 0;
    for (;;) {
      const rows = await this.#meta.list(PREFIX, {
        reverse: true,
        limit: chunk,
        ...(position === undefined ? {} : { after: PREFIX + position }),
      });
      for (const { key, value } of rows) {
        if (entries.length === limit) return { entries, nextCursor: position as string };
        position = key.slice(PREFIX.length);
        scanned++;
        for (const entry of decode(value)) {
          if (coversQueues(allowed, entry.queues)) entries.push(entry);
        }
      }
      if (rows.length < chunk) return { entries };
      if (scanned >= FILTER_SCAN_LIMIT) return { entries, nextCursor: position as string };
    }
  }

  /**
   * Deletes up to `limit` entries recorded before `before` (ms since the epoch), oldest first,
   * and returns how many it deleted: call it again while it returns `limit`. Entries are kept in
   * time order, so it reads only the entries it deletes and one more. An entry that cannot be
   * read is deleted with the expired ones before it.
   * @throws RangeError for a `before` that is not a finite number or a limit outside 1..10000
   */
  async purge(before: number, limit = 1000): Promise<number> {
    if (typeof before !== 'number' || !Number.isFinite(before)) {
      throw new RangeError(`before must be a finite number; got ${String(before)}`);
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new RangeError(`limit must be an integer from 1 to 10000; got ${String(limit)}`);
    }
    const rows = await this.#meta.list(PREFIX, { limit });
    const expired: string[] = [];
    for (const { key, value } of rows) {
      const [entry] = decode(value);
      if (entry !== undefined && entry.at >= before) break;
      expired.push(key);
    }
    // Concurrent deletes share one synced write where the store groups commits.
    await Promise.all(expired.map((key) => this.#meta.delete(key)));
    return expired.length;
  }
}

function decode(value: Json): AuditEntry[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const { id, at, actor, action, target, queues, details } = value;
  if (typeof id !== 'string' || typeof at !== 'number') return [];
  if (typeof actor !== 'string' || typeof action !== 'string') return [];
  const entry: AuditEntry = { id, at, actor, action };
  if (typeof target === 'string') entry.target = target;
  if (Array.isArray(queues)) {
    const names = queues.filter((q): q is string => typeof q === 'string');
    if (names.length > 0) entry.queues = names;
  }
  if (typeof details === 'object' && details !== null && !Array.isArray(details)) {
    entry.details = details;
  }
  return [entry];
}
