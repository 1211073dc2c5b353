import { isJobState, type Logger, type StoreChange } from '@gopherqueue/core';
import type pg from 'pg';

/**
 * A change as it travels in a NOTIFY payload: [kind, id, state, previous, queue, runAt, attempt].
 * A receiver ignores elements it does not know and tolerates missing trailing ones, so nodes of
 * neighbouring versions can share a database.
 */
type WireChange = [
  StoreChange['kind'],
  string,
  string | null,
  string | null,
  string | null,
  number | null,
  number | null,
];

/** NOTIFY payloads must stay under 8000 bytes; leave room for the envelope. */
const MAX_PAYLOAD = 7000;
/**
 * Sends each payload of `$2`, the payloads joined by newlines: JSON text never holds a raw
 * newline, and one text parameter travels as it is, where a text array's elements were each
 * escaped by the driver (a tenth of what a drain on PostgreSQL allocated).
 */
const NOTIFY_SQL = `SELECT pg_notify($1, p) FROM unnest(string_to_array($2, E'\\n')) AS p`;
const KINDS = new Set(['created', 'updated', 'progress', 'deleted', 'queue']);

/**
 * The change feed of a {@link PostgresStore}: delivers this process's own changes right after
 * their commit (with the job), and other processes' changes as they arrive by LISTEN/NOTIFY
 * (without it). Each payload names its origin, so a store ignores the echo of its own NOTIFY.
 * Changes written through an application's client have no origin and come back through LISTEN.
 */
export class ChangeFeed {
  readonly channel: string;
  readonly #origin: string;
  readonly #echo: string;
  readonly #logger: Logger;
  readonly #send: (text: string, values: unknown[]) => Promise<unknown>;
  #listeners = new Set<(change: StoreChange) => void>();
  #outbox: StoreChange[] = [];
  #flushing: Promise<void> | undefined;

  /** @param send - runs one autocommit statement on the store's pool (for {@link publish}). */
  constructor(
    channel: string,
    origin: string,
    logger: Logger,
    send: (text: string, values: unknown[]) => Promise<unknown>,
  ) {
    this.channel = channel;
    this.#origin = origin;
    this.#echo = `{"o":${JSON.stringify(origin)},`;
    this.#logger = logger;
    this.#send = send;
  }

  /**
   * Announces committed changes to other processes. PostgreSQL serialises the commits of all
   * transactions that NOTIFY (one database-wide lock held through the WAL flush), so NOTIFY inside
   * every store transaction caps the whole store at a few hundred commits per second. Instead,
   * one flush at a time sends everything committed since the last one, in one short transaction.
   * A process that dies between a commit and its flush loses only the wake-up, never the change.
   */
  publish(changes: readonly StoreChange[]): void {
    if (changes.length === 0) return;
    this.#outbox.push(...changes);
    this.#flushing ??= this.#flush();
  }

  async #flush(): Promise<void> {
    while (this.#outbox.length > 0) {
      const batch = this.#outbox;
      this.#outbox = [];
      try {
        await this.#send(NOTIFY_SQL, [this.channel, this.encode(batch, this.#origin).join('\n')]);
      } catch (err) {
        this.#logger.warn('could not announce changes to other nodes', { error: String(err) });
      }
    }
    this.#flushing = undefined;
  }

  /** Resolves once every published change was sent (or failed to be). */
  async drain(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  subscribe(listener: (change: StoreChange) => void): () => void {
    const entry = (change: StoreChange): void => listener(change);
    this.#listeners.add(entry);
    return () => this.#listeners.delete(entry);
  }

  /** Delivers `changes` to local listeners, in order; a throwing listener is logged, not fatal. */
  emit(changes: readonly StoreChange[]): void {
    if (changes.length === 0) return;
    for (const change of changes) {
      for (const listener of this.#listeners) {
        try {
          listener(change);
        } catch (err) {
          this.#logger.error('store change listener threw', { error: String(err) });
        }
      }
    }
  }

  /**
   * Sends `changes` with NOTIFY on `client`, inside an application's transaction: they reach
   * every listener, this process's included (no origin), only if that transaction commits.
   */
  async notifyIn(client: pg.ClientBase, changes: readonly StoreChange[]): Promise<void> {
    const payloads = this.encode(changes, '');
    if (payloads.length === 0) return;
    await client.query(NOTIFY_SQL, [this.channel, payloads.join('\n')]);
  }

  /**
   * Sends this store's own `changes` with NOTIFY inside its transaction on `client`, so other
   * processes hear of them at the commit, before anything that happens after it (a claim of the
   * same job by another node, say), and this process ignores the echo.
   */
  async notifyOwn(client: pg.ClientBase, changes: readonly StoreChange[]): Promise<void> {
    const payloads = this.encode(changes, this.#origin);
    if (payloads.length === 0) return;
    await client.query(NOTIFY_SQL, [this.channel, payloads.join('\n')]);
  }

  /** Packs changes into as few payloads as fit: JSON texts, which hold no raw newline. */
  encode(changes: readonly StoreChange[], origin: string): string[] {
    const payloads: string[] = [];
    let batch: string[] = [];
    let size = 0;
    const flush = (): void => {
      if (batch.length > 0)
        payloads.push(`{"o":${JSON.stringify(origin)},"c":[${batch.join(',')}]}`);
      batch = [];
      size = 0;
    };
    for (const c of changes) {
      const wire: WireChange = [
        c.kind,
        c.id,
        c.state ?? null,
        c.previous ?? null,
        c.queue ?? null,
        c.runAt ?? null,
        c.job?.attempt ?? c.attempt ?? null,
      ];
      const text = JSON.stringify(wire);
      if (size + text.length + 1 > MAX_PAYLOAD) flush();
      batch.push(text);
      size += text.length + 1;
    }
    flush();
    return payloads;
  }

  /** Handles one NOTIFY from the dedicated listening connection. */
  receive(message: pg.Notification): void {
    if (message.channel !== this.channel || message.payload === undefined) return;
    // The echo of this store's own NOTIFY (every listener hears every payload): known by the
    // envelope's first bytes, as encode writes them, without parsing the rest.
    if (message.payload.startsWith(this.#echo)) return;
    // Any client of the database may NOTIFY on the channel: a payload is data, never trusted.
    let parsed: unknown;
    try {
      parsed = JSON.parse(message.payload);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null) {
      this.#logger.warn('ignored a malformed change notification', { channel: message.channel });
      return;
    }
    const { o, c } = parsed as { o?: unknown; c?: unknown };
    if (o === this.#origin || !Array.isArray(c)) return;
    const changes: StoreChange[] = [];
    for (const item of c as unknown[]) {
      if (!Array.isArray(item) || !KINDS.has(item[0] as string) || typeof item[1] !== 'string') {
        continue;
      }
      const [kind, id, state, previous, queue, runAt, attempt] = item as WireChange;
      const change: StoreChange = { kind, id };
      if (isJobState(state)) change.state = state;
      if (isJobState(previous)) change.previous = previous;
      if (typeof queue === 'string') change.queue = queue;
      if (typeof runAt === 'number') change.runAt = runAt;
      if (Number.isSafeInteger(attempt) && (attempt as number) >= 0)
        change.attempt = attempt as number;
      changes.push(change);
    }
    this.emit(changes);
  }
}
