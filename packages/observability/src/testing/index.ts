export { parsePrometheus } from './parse-prometheus.js';
export { promtoolMissing, runPromtool } from './promtool.js';
export type { PromtoolResult } from './promtool.js';
