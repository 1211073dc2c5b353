export { Janitor } from './janitor.js';
export type { JanitorOptions } from './janitor.js';
export { LEASE_EXPIRED_ERROR, leaseExpiredOutcome, Recoverer } from './recoverer.js';
export type { RecovererOptions } from './recoverer.js';
