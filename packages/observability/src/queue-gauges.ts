import type { QueueInfo } from '@gopherqueue/core';
import { Gauge, type Registry } from 'prom-client';

/** Queues the per-queue gauges report at most: the first by name. */
export const QUEUE_GAUGE_LIMIT = 100;

/** One queue as the per-queue gauges show it. */
export interface QueueGaugeValues {
  queue: string;
  /** Its jobs waiting to run: pending, scheduled, delayed and retrying. */
  waiting: number;
  /** How long its longest-waiting due job has waited, in seconds (0 when none is due). */
  oldestWaitingSeconds: number;
}

/**
 * Where the per-queue gauges come from at scrape time. A `Store`'s `listQueues` gives it, read
 * from counts kept as jobs change and the heads of the claim order (no scan):
 * see {@link queueGaugeValues}.
 */
export type QueueMetricsSource = () => Promise<readonly QueueGaugeValues[]>;

/** The gauge values of `queues` (as `Store.listQueues` lists them) at `now`, the first 100. */
export function queueGaugeValues(queues: readonly QueueInfo[], now: number): QueueGaugeValues[] {
  return queues.slice(0, QUEUE_GAUGE_LIMIT).map((q) => ({
    queue: q.name,
    waiting: q.byState.pending + q.byState.scheduled + q.byState.delayed + q.byState.retrying,
    oldestWaitingSeconds:
      q.oldestWaitingAt === undefined ? 0 : Math.max(0, now - q.oldestWaitingAt) / 1000,
  }));
}

/**
 * Registers `<prefix>queue_waiting{queue}` and `<prefix>queue_oldest_waiting_seconds{queue}`,
 * both filled from one read of `source()` per scrape.
 */
export function registerQueueGauges(
  registry: Registry,
  prefix: string,
  source: () => QueueMetricsSource | undefined,
): void {
  let reading: Promise<readonly QueueGaugeValues[]> | undefined;
  // The registry collects every metric of a scrape at once: both gauges share one read.
  const read = (): Promise<readonly QueueGaugeValues[]> => {
    const from = source();
    if (from === undefined) return Promise.resolve([]);
    reading ??= from().finally(() => {
      reading = undefined;
    });
    return reading;
  };
  const waiting: Gauge<'queue'> = new Gauge({
    name: `${prefix}queue_waiting`,
    help: 'Jobs of a queue waiting to run (pending, scheduled, delayed, retrying), for the first 100 queues by name.',
    labelNames: ['queue'],
    registers: [registry],
    collect: async () => {
      waiting.reset();
      for (const q of await read()) waiting.set({ queue: q.queue }, q.waiting);
    },
  });
  const oldest: Gauge<'queue'> = new Gauge({
    name: `${prefix}queue_oldest_waiting_seconds`,
    help: 'How long the longest-waiting job of a queue whose time has come has waited (0: none), for the first 100 queues by name.',
    labelNames: ['queue'],
    registers: [registry],
    collect: async () => {
      oldest.reset();
      for (const q of await read()) oldest.set({ queue: q.queue }, q.oldestWaitingSeconds);
    },
  });
}
