export { failureOutcome } from './retry-policy.js';
