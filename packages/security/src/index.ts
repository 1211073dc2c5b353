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
export { hasPermission, isRole, ROLES } from './roles.js';
export type { Permission, Role } from './roles.js';
