export { isApiKeyId, parseApiKey } from './api-key-format.js';
export type { ApiKeyParts } from './api-key-format.js';
export { ApiKeyManager } from './api-key-manager.js';
export type { ApiKeyManagerOptions, ApiKeyRecord, CreateApiKeyInput } from './api-key-manager.js';
export { AuditLog } from './audit-log.js';
export type {
  AuditEntry,
  AuditListOptions,
  AuditLogOptions,
  AuditPage,
  AuditRecordInput,
} from './audit-log.js';
export { canAccessQueue, coversQueues } from './can-access-queue.js';
export {
  hasPermission,
  isPermission,
  isRole,
  PERMISSIONS,
  ROLE_PERMISSIONS,
  ROLES,
} from './roles.js';
export type { Permission, Role } from './roles.js';
