export { LevelStore } from './level-store.js';
export type { LevelStoreOptions } from './level-store.js';
