import { isJobState, type Logger, type StoreChange } from '@gopherqueue/core';
import type pg from 'pg';

/** A change as it travels in a NOTIFY payload: [kind, id, state, previous, queue, runAt]. */
type WireChange = [
  StoreChange['kind'],
  string,
  string | null,
  string | null,
  string | null,
  number | null,
];

/** NOTIFY payloads must stay under 8000 bytes; leave room for the envelope. */
const MAX_PAYLOAD = 7000;
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
  readonly #logger: Logger;
  #listeners = new Set<(change: StoreChange) => void>();

  constructor(channel: string, origin: string, logger: Logger) {
    this.channel = channel;
    this.#origin = origin;
    this.#logger = logger;
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

  /** Sends `changes` with NOTIFY on `client`; they reach listeners when its transaction commits. */
  async notify(client: pg.ClientBase, changes: readonly StoreChange[], own = true): Promise<void> {
    const payloads = this.encode(changes, own ? this.#origin : '');
    if (payloads.length === 0) return;
    await client.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [
      this.channel,
      payloads,
    ]);
  }

  /** Packs changes into as few payloads as fit. */
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
    let parsed: { o?: unknown; c?: unknown };
    try {
      parsed = JSON.parse(message.payload) as { o?: unknown; c?: unknown };
    } catch {
      this.#logger.warn('ignored a malformed change notification', { channel: message.channel });
      return;
    }
    if (parsed.o === this.#origin || !Array.isArray(parsed.c)) return;
    const changes: StoreChange[] = [];
    for (const item of parsed.c as unknown[]) {
      if (!Array.isArray(item) || !KINDS.has(item[0] as string) || typeof item[1] !== 'string') {
        continue;
      }
      const [kind, id, state, previous, queue, runAt] = item as WireChange;
      const change: StoreChange = { kind, id };
      if (isJobState(state)) change.state = state;
      if (isJobState(previous)) change.previous = previous;
      if (typeof queue === 'string') change.queue = queue;
      if (typeof runAt === 'number') change.runAt = runAt;
      changes.push(change);
    }
    this.emit(changes);
  }
}
