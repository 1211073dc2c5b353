export { metricKey, parsePrometheus } from './parse-prometheus.js';
