export { LevelStore } from './level/level-store.js';
export type { LevelStoreOptions } from './level/level-store.js';
export { PostgresStore } from './postgres/postgres-store.js';
export type {
  PostgresStoreOptions,
  TransactionalSubmitOptions,
} from './postgres/postgres-store.js';
