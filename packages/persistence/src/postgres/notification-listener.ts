import type { Logger } from '@gopherqueue/core';
import pg from 'pg';

/** Options of {@link NotificationListener}. */
export interface NotificationListenerOptions {
  /** Opens the dedicated connection (a new `pg.Client`, connected). */
  connect(): Promise<pg.ClientBase & { end(): Promise<void> }>;
  channel: string;
  onNotification(message: pg.Notification): void;
  /** Called after a lost connection is back, since notifications in between were missed. */
  onReconnect(): void;
  logger: Logger;
  /** Wait before reconnecting. @defaultValue 1000 */
  retryMs?: number;
}

/**
 * Keeps one dedicated connection in `LISTEN <channel>` and reconnects when it drops. Runs on real
 * timers: it is I/O plumbing, not scheduling, so the store's injected clock does not apply.
 */
export class NotificationListener {
  readonly #options: NotificationListenerOptions;
  #client: (pg.ClientBase & { end(): Promise<void> }) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: NotificationListenerOptions) {
    this.#options = options;
  }

  /** Connects and listens; rejects when the first connection fails. */
  async start(): Promise<void> {
    await this.#listen();
  }

  async #listen(): Promise<void> {
    const { channel, logger } = this.#options;
    const client = await this.#options.connect();
    const lost = (err?: Error): void => {
      if (this.#client !== client) return;
      this.#client = undefined;
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      if (this.#stopped) return;
      logger.warn('lost the PostgreSQL notification connection; reconnecting', {
        error: err?.message,
      });
      this.#schedule();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => this.#options.onNotification(message));
    this.#client = client;
    try {
      await client.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
    } catch (err) {
      lost(err as Error);
      throw err;
    }
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped) return;
      this.#listen().then(
        () => this.#options.onReconnect(),
        () => undefined,
      );
    }, this.#options.retryMs ?? 1000);
    this.#timer.unref();
  }

  /** Stops listening and closes the connection. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      client.removeAllListeners('notification');
      await client.end().catch(() => undefined);
    }
  }
}

/** Starts a {@link NotificationListener} on its own `pg.Client` made from `config`. */
export async function startNotificationListener(
  config: pg.ClientConfig,
  options: Omit<NotificationListenerOptions, 'connect'>,
): Promise<NotificationListener> {
  const listener = new NotificationListener({
    ...options,
    connect: async () => {
      const client = new pg.Client(config);
      await client.connect();
      return client;
    },
  });
  await listener.start();
  return listener;
}
