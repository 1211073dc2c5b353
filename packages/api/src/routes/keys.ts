import type { Hono } from 'hono';
import { audit, requirePermission } from '../auth.js';
import type { ApiContext, ApiEnv } from '../env.js';
import { HttpError } from '../errors.js';
import { readBody } from '../request.js';
import { createKeySchema } from '../schemas.js';
import { coversQueues, type ApiKeyManager, type ApiKeyRecord } from '@gopherqueue/security';
import type { WireApiKey, WireCreatedApiKey } from '@gopherqueue/client';
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

/**
 * @throws HttpError `forbidden` unless the caller's key covers `record`: a key restricted to
 * queues manages only keys restricted to some of its own queues.
 */
function assertCovers(c: ApiContext, record: ApiKeyRecord): void {
  const allowed = c.get('principal').queues;
  if (!coversQueues(allowed, record.queues)) {
    throw new HttpError('forbidden', `this key may not manage API key ${record.id}`, {
      id: record.id,
      queues: allowed,
    });
  }
}

/**
 * @throws HttpError `forbidden` when a key restricted to queues asks for a key that is not: it
 * must name queues, all among its own (a key never creates one wider than itself).
 */
function assertMayCreate(c: ApiContext, queues: readonly string[] | undefined): void {
  const allowed = c.get('principal').queues;
  if (allowed === undefined) return;
  if (queues === undefined || queues.length === 0) {
    throw new HttpError(
      'forbidden',
      'a key limited to queues can only create keys limited to some of its queues: pass queues',
      { queues: allowed },
    );
  }
  const outside = queues.find((queue) => !allowed.includes(queue));
  if (outside !== undefined) {
    throw new HttpError('forbidden', `this key may not create a key for queue ${outside}`, {
      queue: outside,
      queues: allowed,
    });
  }
}

/**
 * API keys (admin): list, create (the key is shown once), revoke. A key restricted to queues
 * sees, creates and revokes only keys restricted to some of its own queues.
 */
export function registerKeyRoutes(api: Hono<ApiEnv>): void {
  api.get('/keys', requirePermission('keys:manage'), async (c) => {
    const allowed = c.get('principal').queues;
    const records = (await keysOf(c).list()).filter((r) => coversQueues(allowed, r.queues));
    return c.json({ keys: records.map(toWireKey) });
  });

  api.post('/keys', requirePermission('keys:manage'), async (c) => {
    const keys = keysOf(c);
    const body = await readBody(c, createKeySchema);
    assertMayCreate(c, body.queues);
    const { key, record } = await keys.create({
      name: body.name,
      role: body.role,
      ...(body.queues === undefined ? {} : { queues: body.queues }),
    });
    await audit(c, {
      action: 'key.create',
      target: record.id,
      ...(record.queues === undefined ? {} : { queues: record.queues }),
      details: { name: record.name, role: record.role },
    });
    const answer: WireCreatedApiKey = { ...toWireKey(record), key };
    return c.json(answer, 201);
  });

  api.delete('/keys/:id', requirePermission('keys:manage'), async (c) => {
    const keys = keysOf(c);
    const id = c.req.param('id');
    if (c.get('principal').queues !== undefined) {
      const record = await keys.get(id);
      if (record === undefined) throw new HttpError('not_found', `API key ${id} not found`, { id });
      assertCovers(c, record);
    }
    const revoked = await keys.revoke(id);
    await audit(c, {
      action: 'key.revoke',
      target: id,
      ...(revoked.queues === undefined ? {} : { queues: revoked.queues }),
      details: { name: revoked.name, role: revoked.role },
    });
    return c.body(null, 204);
  });
}
