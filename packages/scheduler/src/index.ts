export { JobEventRelay } from './job-event-relay.js';
export type { JobEventRelayOptions } from './job-event-relay.js';
export { failureOutcome } from './retry-policy.js';
export { Scheduler } from './scheduler.js';
export type { SchedulerOptions } from './scheduler.js';
