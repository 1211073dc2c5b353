import type { Hono } from 'hono';
import { requirePermission } from '../auth.js';
import type { ApiEnv } from '../env.js';
import { HttpError } from '../errors.js';
import { readQuery } from '../request.js';
import { auditQuerySchema } from '../schemas.js';
import type { AuditEntry } from '@gopherqueue/security';
import type { WireAuditEntry } from '@gopherqueue/client';
import { rfc3339 } from '../wire.js';

function toWireAudit(entry: AuditEntry): WireAuditEntry {
  const wire: WireAuditEntry = {
    id: entry.id,
    at: rfc3339(entry.at),
    actor: entry.actor,
    action: entry.action,
  };
  if (entry.target !== undefined) wire.target = entry.target;
  if (entry.queues !== undefined) wire.queues = [...entry.queues];
  if (entry.details !== undefined) wire.details = entry.details;
  return wire;
}

/**
 * `GET /audit` (admin): the audit log, newest first, with cursor pagination. A key restricted to
 * queues reads only the entries concerning some of its queues (a page may then come back short,
 * with `next_cursor` still set).
 */
export function registerAuditRoutes(api: Hono<ApiEnv>): void {
  api.get('/audit', requirePermission('audit:read'), async (c) => {
    const { audit } = c.get('options');
    if (audit === undefined) throw new HttpError('not_found', 'the audit log is not enabled');
    const query = readQuery(c, auditQuerySchema);
    const allowed = c.get('principal').queues;
    const page = await audit.list({
      limit: query.limit ?? 100,
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      ...(allowed === undefined ? {} : { queues: allowed }),
    });
    return c.json({
      entries: page.entries.map(toWireAudit),
      ...(page.nextCursor === undefined ? {} : { next_cursor: page.nextCursor }),
    });
  });
}
