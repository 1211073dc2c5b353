import {
  type Clock,
  ErrorCode,
  GqError,
  type Json,
  type Logger,
  type MetaStore,
  noopLogger,
  systemClock,
} from '@gopherqueue/core';
import {
  generateApiKey,
  hashesEqual,
  hashSecret,
  isApiKeyId,
  parseApiKey,
} from './api-key-format.js';
import { isRole, ROLES, type Role } from './roles.js';

/** An API key as listed: never the key or its hash. Times are ms since the epoch. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  role: Role;
  /** The queues the key may touch; absent for every queue. */
  queues?: string[];
  createdAt: number;
  lastUsedAt?: number;
  revokedAt?: number;
}

/** Input of {@link ApiKeyManager.create}. */
export interface CreateApiKeyInput {
  /** What the key is for (`"ci"`, `"billing worker"`). */
  name: string;
  role: Role;
  /** Restricts the key to these queues. @defaultValue every queue */
  queues?: readonly string[];
}

/** Options of {@link ApiKeyManager}. */
export interface ApiKeyManagerOptions {
  /** Where keys are kept (`store.meta`). */
  meta: MetaStore;
  /** Time of creation, use and revocation. @defaultValue `systemClock` */
  clock?: Clock;
  /** Where a failed `lastUsedAt` update is reported. @defaultValue `noopLogger` */
  logger?: Logger;
  /** `lastUsedAt` is written at most this often per key. @defaultValue 60000 */
  touchIntervalMs?: number;
}

interface StoredKey {
  id: string;
  name: string;
  role: Role;
  queues?: string[];
  createdAt: number;
  revokedAt?: number;
  hash: string;
}

const KEY_PREFIX = 'apikey/';
// Kept apart from the record so that a use never rewrites the record (and so never undoes a
// revocation made at the same moment by another request or process).
const USED_PREFIX = 'apikeyused/';
const MAX_NAME = 200;

/**
 * API keys kept in the store's meta space: shown once at creation, stored only as a SHA-256 hash,
 * verified in constant time. A key reads `gq_<id>_<secret>`; the id finds its record in one read.
 */
export class ApiKeyManager {
  readonly #meta: MetaStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #touchIntervalMs: number;
  readonly #touched = new Map<string, number>();

  /** @throws TypeError without a meta store; RangeError for a negative touch interval */
  constructor(options: ApiKeyManagerOptions) {
    if (typeof options.meta?.get !== 'function') {
      throw new TypeError('meta must be a MetaStore (store.meta)');
    }
    const touchIntervalMs = options.touchIntervalMs ?? 60_000;
    if (!Number.isFinite(touchIntervalMs) || touchIntervalMs < 0) {
      throw new RangeError(`touchIntervalMs must be >= 0; got ${String(touchIntervalMs)}`);
    }
    this.#meta = options.meta;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? noopLogger;
    this.#touchIntervalMs = touchIntervalMs;
  }

  /**
   * Creates a key. The returned `key` is the only time the key exists in plain text.
   * @throws TypeError or RangeError for an invalid name, role or queue list
   */
  async create(input: CreateApiKeyInput): Promise<{ key: string; record: ApiKeyRecord }> {
    const { name, role } = input;
    if (typeof name !== 'string' || name.trim() === '') {
      throw new TypeError('name must be a non-empty string');
    }
    if (name.length > MAX_NAME) {
      throw new RangeError(`name must be at most ${String(MAX_NAME)} characters`);
    }
    if (!isRole(role)) {
      throw new RangeError(`role must be one of ${ROLES.join(', ')}; got ${JSON.stringify(role)}`);
    }
    const queues = checkQueues(input.queues);
    const { id, secret, key } = generateApiKey();
    const stored: StoredKey = {
      id,
      name: name.trim(),
      role,
      ...(queues === undefined ? {} : { queues }),
      createdAt: this.#clock.now(),
      hash: hashSecret(id, secret),
    };
    await this.#meta.put(KEY_PREFIX + id, stored as unknown as Json);
    return { key, record: toRecord(stored, undefined) };
  }

  /**
   * The record of a valid key, or undefined for a missing, malformed, unknown, wrong or revoked
   * key. Records the use, at most once per `touchIntervalMs` per key.
   */
  async verify(key: string): Promise<ApiKeyRecord | undefined> {
    const parts = parseApiKey(key);
    if (parts === undefined) return undefined;
    const stored = decode(await this.#meta.get(KEY_PREFIX + parts.id));
    if (stored === undefined) return undefined;
    if (!hashesEqual(stored.hash, hashSecret(parts.id, parts.secret))) return undefined;
    if (stored.revokedAt !== undefined) return undefined;
    const lastUsedAt = await this.#touch(stored.id);
    return toRecord(stored, lastUsedAt);
  }

  /** Every key, oldest first. */
  async list(): Promise<ApiKeyRecord[]> {
    const [keys, used] = await Promise.all([
      this.#meta.list(KEY_PREFIX),
      this.#meta.list(USED_PREFIX),
    ]);
    const usedAt = new Map<string, number>();
    for (const { key, value } of used) {
      if (typeof value === 'number') usedAt.set(key.slice(USED_PREFIX.length), value);
    }
    const records: ApiKeyRecord[] = [];
    for (const { value } of keys) {
      const stored = decode(value);
      if (stored !== undefined) records.push(toRecord(stored, usedAt.get(stored.id)));
    }
    return records.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  /** The key's record, or undefined. */
  async get(id: string): Promise<ApiKeyRecord | undefined> {
    if (!isApiKeyId(id)) return undefined;
    const [value, used] = await Promise.all([
      this.#meta.get(KEY_PREFIX + id),
      this.#meta.get(USED_PREFIX + id),
    ]);
    const stored = decode(value);
    return stored === undefined ? undefined : toRecord(stored, numberOrUndefined(used));
  }

  /**
   * Revokes a key: it no longer verifies. Revoking a revoked key changes nothing.
   * @throws GqError GQ_NOT_FOUND for an unknown id
   */
  async revoke(id: string): Promise<ApiKeyRecord> {
    const stored = isApiKeyId(id) ? decode(await this.#meta.get(KEY_PREFIX + id)) : undefined;
    if (stored === undefined) {
      throw new GqError(ErrorCode.NOT_FOUND, `API key ${id} not found`, { details: { id } });
    }
    if (stored.revokedAt === undefined) {
      stored.revokedAt = this.#clock.now();
      await this.#meta.put(KEY_PREFIX + id, stored as unknown as Json);
    }
    return toRecord(stored, numberOrUndefined(await this.#meta.get(USED_PREFIX + id)));
  }

  async #touch(id: string): Promise<number | undefined> {
    const now = this.#clock.now();
    const last = this.#touched.get(id);
    if (last !== undefined && now - last < this.#touchIntervalMs) return last;
    // Set before the write so concurrent requests with one key write once.
    this.#touched.set(id, now);
    try {
      await this.#meta.put(USED_PREFIX + id, now);
    } catch (err) {
      // A failed bookkeeping write must not turn a valid key away.
      this.#logger.warn('could not record API key use', { keyId: id, err });
    }
    return now;
  }
}

function checkQueues(queues: unknown): string[] | undefined {
  if (queues === undefined) return undefined;
  if (!Array.isArray(queues) || queues.length === 0) {
    throw new RangeError('queues must be a non-empty list of queue names; omit it for every queue');
  }
  const names = new Set<string>();
  for (const queue of queues as unknown[]) {
    if (typeof queue !== 'string' || queue === '') {
      throw new TypeError(`queues must hold non-empty strings; got ${JSON.stringify(queue)}`);
    }
    names.add(queue);
  }
  return [...names];
}

function numberOrUndefined(value: Json | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function toRecord(stored: StoredKey, lastUsedAt: number | undefined): ApiKeyRecord {
  const record: ApiKeyRecord = {
    id: stored.id,
    name: stored.name,
    role: stored.role,
    createdAt: stored.createdAt,
  };
  if (stored.queues !== undefined) record.queues = [...stored.queues];
  if (lastUsedAt !== undefined) record.lastUsedAt = lastUsedAt;
  if (stored.revokedAt !== undefined) record.revokedAt = stored.revokedAt;
  return record;
}

function decode(value: Json | undefined): StoredKey | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { id, name, role, queues, createdAt, revokedAt, hash } = value;
  if (typeof id !== 'string' || typeof name !== 'string' || !isRole(role)) return undefined;
  if (typeof createdAt !== 'number' || typeof hash !== 'string') return undefined;
  const stored: StoredKey = { id, name, role, createdAt, hash };
  if (Array.isArray(queues)) stored.queues = queues.filter((q) => typeof q === 'string');
  if (typeof revokedAt === 'number') stored.revokedAt = revokedAt;
  return stored;
}
