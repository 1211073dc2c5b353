import type { Hono } from 'hono';
import { audit, requirePermission } from '../auth.js';
import type { ApiContext, ApiEnv } from '../env.js';
import { HttpError } from '../errors.js';
import { readBody } from '../request.js';
import { createKeySchema } from '../schemas.js';
import type { ApiKeyManager, ApiKeyRecord } from '@gopherqueue/security';
import type { WireApiKey, WireCreatedApiKey } from '../wire-types.js';
import { rfc3339 } from '../wire.js';

/** An API key record in the wire format (never the key or its hash). */
export function toWireKey(record: ApiKeyRecord): WireApiKey {
  const wire: WireApiKey = {
    id: record.id,
    name: record.name,
    role: record.role,
    created_at: rfc3339(record.createdAt),
  };
  if (record.queues !== undefined && record.queues.length > 0) wire.queues = [...record.queues];
  if (record.lastUsedAt !== undefined) wire.last_used_at = rfc3339(record.lastUsedAt);
  if (record.revokedAt !== undefined) wire.revoked_at = rfc3339(record.revokedAt);
  return wire;
}

function keysOf(c: ApiContext): ApiKeyManager {
  const { keys } = c.get('options');
  if (keys === undefined)
    throw new HttpError('not_found', 'API keys are not enabled on this server');
  return keys;
}

/** API keys (admin): list, create (the key is shown once), revoke. */
export function registerKeyRoutes(api: Hono<ApiEnv>): void {
  api.get('/keys', requirePermission('keys:manage'), async (c) => {
    const records = await keysOf(c).list();
    return c.json({ keys: records.map(toWireKey) });
  });

  api.post('/keys', requirePermission('keys:manage'), async (c) => {
    const keys = keysOf(c);
    const body = await readBody(c, createKeySchema);
    const { key, record } = await keys.create({
      name: body.name,
      role: body.role,
      ...(body.queues === undefined ? {} : { queues: body.queues }),
    });
    await audit(c, 'key.create', record.id, { name: record.name, role: record.role });
    const answer: WireCreatedApiKey = { ...toWireKey(record), key };
    return c.json(answer, 201);
  });

  api.delete('/keys/:id', requirePermission('keys:manage'), async (c) => {
    const keys = keysOf(c);
    const id = c.req.param('id');
    const revoked = await keys.revoke(id);
    await audit(c, 'key.revoke', id, { name: revoked.name, role: revoked.role });
    return c.body(null, 204);
  });
}
