/** Every role, from most to least powerful. */
export const ROLES = ['admin', 'operator', 'producer', 'worker', 'viewer'] as const;

/** A role an API key carries. */
export type Role = (typeof ROLES)[number];

/** Every permission a route can require. */
export const PERMISSIONS = [
  'jobs:read',
  'jobs:submit',
  'jobs:manage',
  'queues:manage',
  'dlq:manage',
  'workers:lease',
  'keys:manage',
  'audit:read',
  'stats:read',
] as const;

/**
 * What a request may do: `jobs:read` (list, get, wait, result, events), `jobs:submit`,
 * `jobs:manage` (cancel, retry, delete), `queues:manage` (pause, resume), `dlq:manage` (requeue,
 * purge), `workers:lease` (the remote worker lease API), `keys:manage`, `audit:read`,
 * `stats:read` (stats and queue listings).
 */
export type Permission = (typeof PERMISSIONS)[number];

const READ: readonly Permission[] = ['jobs:read', 'stats:read'];

/**
 * The permissions of each role: admin everything (keys and audit included); operator jobs,
 * queues and dead letter; producer submit and read; worker the lease API and read; viewer read
 * only.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = Object.freeze({
  admin: PERMISSIONS,
  operator: [...READ, 'jobs:submit', 'jobs:manage', 'queues:manage', 'dlq:manage'],
  producer: [...READ, 'jobs:submit'],
  worker: [...READ, 'workers:lease'],
  viewer: READ,
});

/** True when `value` names a role. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when `role` grants `permission`; false for an unknown role or permission. */
export function hasPermission(role: Role, permission: Permission): boolean {
  if (!isRole(role)) return false;
  return ROLE_PERMISSIONS[role].includes(permission);
}
