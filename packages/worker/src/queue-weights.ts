/** A queue and its weight, as {@link resolveQueueWeights} returns them. */
export type QueueWeight = readonly [queue: string, weight: number];

/** Highest weight of one queue. */
export const MAX_QUEUE_WEIGHT = 1_000;
/** Most queues a pool may weigh. */
export const MAX_WEIGHTED_QUEUES = 100;

/**
 * Reads the `queueWeights` option of a pool: 1 to {@link MAX_WEIGHTED_QUEUES} queues, each with
 * an integer weight from 1 to {@link MAX_QUEUE_WEIGHT}. Keeps the order the object lists them in.
 * @throws TypeError or RangeError naming `queueWeights`.
 */
export function resolveQueueWeights(weights: unknown): QueueWeight[] {
  if (typeof weights !== 'object' || weights === null || Array.isArray(weights)) {
    throw new TypeError('queueWeights must be an object of queue names to weights');
  }
  const entries = Object.entries(weights as Record<string, unknown>);
  if (entries.length === 0 || entries.length > MAX_WEIGHTED_QUEUES) {
    throw new RangeError(
      `queueWeights must name 1 to ${MAX_WEIGHTED_QUEUES} queues; got ${entries.length}`,
    );
  }
  return entries.map(([queue, weight]) => {
    if (queue === '') throw new TypeError('queueWeights: a queue name must not be empty');
    if (
      typeof weight !== 'number' ||
      !Number.isInteger(weight) ||
      weight < 1 ||
      weight > MAX_QUEUE_WEIGHT
    ) {
      throw new RangeError(
        `queueWeights: the weight of queue "${queue}" must be an integer from 1 to ${MAX_QUEUE_WEIGHT}; got ${String(weight)}`,
      );
    }
    return [queue, weight] as const;
  });
}

/**
 * The order a claim round tries the queues in: a weighted random choice without replacement, so
 * a queue of weight 6 among weights 6, 3 and 1 comes first 6 times in 10, and each queue comes
 * after the ones drawn before it. `random` returns a number in [0, 1), as `Math.random` does; it
 * is called once per queue but the last.
 */
export function weightedOrder(weights: readonly QueueWeight[], random: () => number): string[] {
  const left = [...weights];
  let total = left.reduce((sum, [, weight]) => sum + weight, 0);
  const order: string[] = [];
  while (left.length > 0) {
    // The last queue left, unless a draw lands in an earlier queue's share of the total.
    let index = left.length - 1;
    if (left.length > 1) {
      let point = random() * total;
      for (const [i, [, weight]] of left.entries()) {
        if (point < weight) {
          index = i;
          break;
        }
        point -= weight;
      }
    }
    const [picked] = left.splice(index, 1);
    if (picked === undefined) break;
    order.push(picked[0]);
    total -= picked[1];
  }
  return order;
}
