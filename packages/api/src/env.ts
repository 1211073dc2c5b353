import type { Role } from '@gopherqueue/security';
import type { Context } from 'hono';
import type { ResolvedApiOptions } from './options.js';

/** Who made a request, as the auth middleware decided. */
export interface Principal {
  /** The key id, or `'local'` for a trusted request without a key. */
  actor: string;
  /** The key's role; `admin` for trusted requests. */
  role: Role;
  /** Queues the key may touch; undefined means all. */
  queues?: readonly string[];
}

/** The hono environment of the API: what middleware puts on the context. */
export interface ApiEnv {
  Variables: {
    requestId: string;
    principal: Principal;
    options: ResolvedApiOptions;
  };
}

/** A context of the API. */
export type ApiContext = Context<ApiEnv>;
