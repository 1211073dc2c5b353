import { MAX_QUEUE_WEIGHT, MAX_WEIGHTED_QUEUES } from '@gopherqueue/worker';
import { UsageError } from './cli-error.js';
import { listFlag } from './parse-flags.js';

/** What `--queues` asks of a worker pool: nothing (every queue), a list, or weights. */
export interface QueueSelection {
  /** Only these queues, the most urgent job of any of them first. */
  queues?: string[];
  /** These queues, tried each round in a weighted random order. */
  queueWeights?: Record<string, number>;
}

/**
 * Reads `--queues`: `a,b` serves these queues in strict order; `critical:6,default:3,low:1`
 * serves them by weight (integers 1..1000, at most 100 queues). The text after an entry's last
 * `:` is its weight, so either every entry has one or none does.
 * @throws UsageError naming `--queues` and what is wrong.
 */
export function queuesFlag(values: readonly (string | number)[] | undefined): QueueSelection {
  const entries = listFlag(values);
  if (entries.length === 0) return {};
  const names = new Set<string>();
  const weights: [string, number][] = [];
  for (const entry of entries) {
    const colon = entry.lastIndexOf(':');
    const name = (colon === -1 ? entry : entry.slice(0, colon)).trim();
    if (name === '') throw new UsageError(`--queues: "${entry}" names no queue`);
    if (names.has(name)) throw new UsageError(`--queues: queue "${name}" is listed twice`);
    names.add(name);
    if (colon === -1) continue;
    const text = entry.slice(colon + 1).trim();
    const weight = /^\d{1,4}$/.test(text) ? Number(text) : NaN;
    if (!(weight >= 1 && weight <= MAX_QUEUE_WEIGHT)) {
      throw new UsageError(
        `--queues: the weight of queue "${name}" must be an integer from 1 to ${MAX_QUEUE_WEIGHT}; got "${text}"`,
      );
    }
    weights.push([name, weight]);
  }
  if (weights.length === 0) return { queues: [...names] };
  if (weights.length !== names.size) {
    throw new UsageError(
      '--queues: give every queue a weight (critical:6,default:3,low:1) or none (a,b)',
    );
  }
  if (weights.length > MAX_WEIGHTED_QUEUES) {
    throw new UsageError(
      `--queues: at most ${MAX_WEIGHTED_QUEUES} weighted queues; got ${weights.length}`,
    );
  }
  return { queueWeights: Object.fromEntries(weights) };
}
