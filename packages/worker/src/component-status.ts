/**
 * Where a long-running component is in its life, the one status getter every such component
 * has beside `start()` and `stop(): Promise<void>`.
 */
export type ComponentStatus = 'stopped' | 'starting' | 'running' | 'stopping';
