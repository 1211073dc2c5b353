export { failureReport } from './failure-report.js';
export type { Handler, JobContext } from './job-context.js';
export { SandboxCrashedError } from './sandbox/sandbox-errors.js';
export type { Isolation, SandboxedHandler, SandboxIsolation } from './sandbox/sandboxed-handler.js';
export { WorkerPool } from './worker-pool.js';
export type { WorkerPoolStats } from './worker-pool.js';
export type { WorkerPoolOptions } from './worker-pool-options.js';
