export { createLogger, WinstonLogger } from './create-logger.js';
export type { LogFormat, LoggerOptions, LogLevel } from './create-logger.js';
export { escapeControl } from './escape-control.js';
export { HealthChecker } from './health-checker.js';
export type {
  ComponentHealth,
  HealthCheck,
  HealthCheckerOptions,
  HealthCheckOptions,
  HealthReport,
  HealthStatus,
} from './health-checker.js';
export { Metrics, OTHER_LABEL } from './metrics.js';
export type {
  MetricsOptions,
  RemoteWorkerMetricsSource,
  StoreMetricsSource,
  WaitingMetricsSource,
  WorkerMetricsSource,
} from './metrics.js';
export { QUEUE_GAUGE_LIMIT, queueGaugeValues } from './queue-gauges.js';
export type { QueueGaugeValues, QueueMetricsSource } from './queue-gauges.js';
export {
  bucketUpperMs,
  DEFAULT_HISTORY_QUEUES,
  durationBucket,
  HISTOGRAM_BUCKETS,
  HISTORY_MINUTES,
  ThroughputHistory,
} from './throughput-history.js';
export type {
  DurationPercentiles,
  HistoryMinute,
  HistorySnapshot,
  ThroughputHistoryOptions,
} from './throughput-history.js';
