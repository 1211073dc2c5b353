import type { MiddlewareHandler } from 'hono';
import type { ApiContext, ApiEnv, Principal } from './env.js';
import { HttpError } from './errors.js';
import type { Json } from '@gopherqueue/core';
import {
  canAccessQueue,
  hasPermission,
  type AuditRecordInput,
  type Permission,
} from '@gopherqueue/security';

const LOCAL: Principal = { actor: 'local', role: 'admin' };

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback addresses. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.trim().toLowerCase();
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** The key of a request: `X-API-Key`, else `Authorization: Bearer <key>`. */
export function keyOf(c: ApiContext): string | undefined {
  const header = c.req.header('x-api-key')?.trim();
  if (header !== undefined && header !== '') return header;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
  return match?.[1];
}

/**
 * Decides who a request comes from and stores it as `principal`: everyone is `local` admin when
 * auth is off; in protected mode a loopback peer without a key is too; anyone else needs a key.
 * The request guard installed by `createApi` has already refused web pages of another origin and
 * foreign `Host` names, so keyless trust never reaches a browser page or a DNS rebinding.
 * @throws HttpError `unauthorized` without a valid key
 */
export function authenticate(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    // Already decided (a dashboard session, see `sessionAuth`).
    if ((c.get('principal') as Principal | undefined) !== undefined) return next();
    const options = c.get('options');
    if (options.auth === 'off') {
      c.set('principal', LOCAL);
      return next();
    }
    const key = keyOf(c);
    if (key === undefined) {
      if (options.auth === 'protected' && isLoopback(options.getRemoteAddress?.(c))) {
        c.set('principal', LOCAL);
        return next();
      }
      throw new HttpError('unauthorized', 'an API key is required (X-API-Key or Bearer)');
    }
    const record = options.keys === undefined ? undefined : await options.keys.verify(key);
    if (record === undefined) throw new HttpError('unauthorized', 'invalid or revoked API key');
    const principal: Principal = { actor: record.id, role: record.role };
    if (record.queues !== undefined && record.queues.length > 0) principal.queues = record.queues;
    c.set('principal', principal);
    return next();
  };
}

/**
 * A middleware that lets the request through only when its principal has `permission`.
 * @throws HttpError `forbidden`
 */
export function requirePermission(permission: Permission): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    assertPermission(c, permission);
    await next();
  };
}

/** @throws HttpError `forbidden` when the principal lacks `permission` */
export function assertPermission(c: ApiContext, permission: Permission): void {
  const { role } = c.get('principal');
  if (!hasPermission(role, permission)) {
    throw new HttpError('forbidden', `role ${role} lacks the permission ${permission}`, {
      permission,
    });
  }
}

/** @throws HttpError `forbidden` when the principal's key is limited to other queues */
export function assertQueueAccess(c: ApiContext, queue: string): void {
  const principal = c.get('principal');
  if (!canAccessQueue(principal, queue)) {
    throw new HttpError('forbidden', `this key may not use queue ${queue}`, { queue });
  }
}

/** What {@link audit} records besides the actor. */
export interface AuditInput {
  /** `job.cancel`, `queue.pause`, `key.create`, ... */
  action: string;
  /** A job id, a queue name, a key id. */
  target?: string;
  /**
   * The queues the action concerns: the job's queue, the queue, the key's queues. Without them
   * the entry is visible to keys unrestricted by queue only.
   */
  queues?: readonly string[];
  details?: Record<string, Json>;
}

/** Records an admin or operator action with its actor; a failing audit log is only logged. */
export async function audit(c: ApiContext, input: AuditInput): Promise<void> {
  const options = c.get('options');
  if (options.audit === undefined) return;
  const { action, target, queues, details } = input;
  const entry: AuditRecordInput = { actor: c.get('principal').actor, action };
  if (target !== undefined) entry.target = target;
  if (queues !== undefined && queues.length > 0) entry.queues = [...queues];
  if (details !== undefined) entry.details = details;
  try {
    await options.audit.record(entry);
  } catch (err) {
    options.logger.error('could not write the audit log', { action, target, err: String(err) });
  }
}
