export { ManualClock } from './manual-clock.js';
export { SteppingClock } from './stepping-clock.js';
