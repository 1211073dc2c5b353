export { Janitor } from './janitor.js';
export type { JanitorOptions } from './janitor.js';
export { Recoverer } from './recoverer.js';
export type { RecovererOptions } from './recoverer.js';
