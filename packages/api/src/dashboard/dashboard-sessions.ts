import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { ApiEnv, Principal } from '../env.js';
import { HttpError } from '../errors.js';

/** The cookie that holds a dashboard session's id. */
export const SESSION_COOKIE = 'gq_session';
/** How long a session lasts after its login. */
export const SESSION_MS = 8 * 60 * 60 * 1000;
/** Sessions held at most; the oldest goes first. */
const MAX_SESSIONS = 1000;
/**
 * Sessions of one key held at most; its oldest goes first, so logins with one key cannot push
 * out the sessions of others.
 */
export const MAX_SESSIONS_PER_KEY = 10;

interface Session {
  principal: Principal;
  csrf: string;
  expiresAt: number;
}

/**
 * Dashboard logins, in memory: a session id (the HttpOnly cookie) -> the key's principal and a
 * CSRF token the page sends with every action. Bounded and expiring; a restart logs everyone out.
 */
export class DashboardSessions {
  readonly #sessions = new Map<string, Session>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  create(principal: Principal): { id: string; csrf: string } {
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    const own = [...this.#sessions].filter(([, s]) => s.principal.actor === principal.actor);
    for (const [oldest] of own.slice(0, Math.max(0, own.length - MAX_SESSIONS_PER_KEY + 1))) {
      this.#sessions.delete(oldest);
    }
    this.#sessions.set(id, { principal, csrf, expiresAt: this.#now() + SESSION_MS });
    while (this.#sessions.size > MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    return { id, csrf };
  }

  get(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const session = this.#sessions.get(id);
    if (session === undefined) return undefined;
    if (session.expiresAt <= this.#now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session;
  }

  delete(id: string | undefined): void {
    if (id !== undefined) this.#sessions.delete(id);
  }
}

/** True when `given` is the session's CSRF token (constant time). */
export function csrfMatches(session: { csrf: string }, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A request that carries no key but a dashboard session's cookie acts as that session's key,
 * read again at each request: once the key is revoked (on this server or another sharing the
 * store), its sessions end. One that changes anything must also carry the session's token in
 * `X-CSRF-Token`. A request with a key (or without a live session) goes on to the usual
 * authentication.
 */
export function sessionAuth(sessions: DashboardSessions): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (c.req.header('x-api-key') !== undefined || c.req.header('authorization') !== undefined) {
      return next();
    }
    const id = getCookie(c, SESSION_COOKIE);
    const session = sessions.get(id);
    if (session === undefined) return next();
    const record = await c.get('options').keys?.get(session.principal.actor);
    if (record === undefined || record.revokedAt !== undefined) {
      sessions.delete(id);
      return next();
    }
    const method = c.req.method;
    if (
      method !== 'GET' &&
      method !== 'HEAD' &&
      !csrfMatches(session, c.req.header('x-csrf-token'))
    ) {
      throw new HttpError('forbidden', 'a dashboard action needs its CSRF token (X-CSRF-Token)');
    }
    c.set('principal', session.principal);
    return next();
  };
}
