import { describe, expect, it } from 'vitest';
import { canAccessQueue } from './can-access-queue.js';
import { hasPermission, isRole, PERMISSIONS, type Permission, type Role, ROLES } from './roles.js';

describe('hasPermission', () => {
  it('grants each role exactly its permissions, admin all of them and viewer only reads', () => {
    const table: Record<string, Permission[]> = {};
    for (const role of ROLES) table[role] = PERMISSIONS.filter((p) => hasPermission(role, p));
    expect(table).toEqual({
      admin: [
        'jobs:read',
        'jobs:submit',
        'jobs:manage',
        'queues:manage',
        'dlq:manage',
        'workers:lease',
        'keys:manage',
        'audit:read',
        'stats:read',
      ],
      operator: [
        'jobs:read',
        'jobs:submit',
        'jobs:manage',
        'queues:manage',
        'dlq:manage',
        'stats:read',
      ],
      producer: ['jobs:read', 'jobs:submit', 'stats:read'],
      worker: ['jobs:read', 'workers:lease', 'stats:read'],
      viewer: ['jobs:read', 'stats:read'],
    });
  });

  it('denies an unknown role or permission', () => {
    expect(hasPermission('root' as Role, 'jobs:read')).toBe(false);
    expect(hasPermission('admin', 'jobs:destroy' as Permission)).toBe(false);
    expect(isRole('admin')).toBe(true);
    expect(isRole('Admin')).toBe(false);
  });
});

describe('canAccessQueue', () => {
  it('lets a key without a queue list touch every queue and a restricted key only its own', () => {
    expect(canAccessQueue({}, 'emails')).toBe(true);
    expect(canAccessQueue({ queues: ['emails', 'reports'] }, 'reports')).toBe(true);
    expect(canAccessQueue({ queues: ['emails'] }, 'default')).toBe(false);
  });
});
