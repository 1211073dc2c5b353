export { Janitor } from './janitor.js';
export type { JanitorOptions } from './janitor.js';
export { Recoverer } from './recoverer.js';
export type { RecovererOptions } from './recoverer.js';
export { ExpirySweeper, MAX_EXPIRY_INTERVAL_MS } from './expiry-sweeper.js';
export type { ExpirySweeperOptions } from './expiry-sweeper.js';
