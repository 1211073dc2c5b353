import { describe, expect, it } from 'vitest';
import { resolveQueueWeights, weightedOrder, type QueueWeight } from './queue-weights.js';

const WEIGHTS: QueueWeight[] = [
  ['critical', 6],
  ['default', 3],
  ['low', 1],
];

/** A random source that returns `values` in turn. */
function sequence(...values: number[]): () => number {
  let next = 0;
  return () => {
    if (next >= values.length) throw new Error('random called more often than expected');
    return values[next++]!;
  };
}

describe('weightedOrder', () => {
  it('draws each queue in proportion to the weights left, without replacement', () => {
    // 0 falls in critical's [0, 6) of 10, then in default's [0, 3) of 4.
    expect(weightedOrder(WEIGHTS, sequence(0, 0))).toEqual(['critical', 'default', 'low']);
    // 0.6 * 10 = 6 is the start of default's [6, 9); then 0.9 * 7 = 6.3 is low's [6, 7).
    expect(weightedOrder(WEIGHTS, sequence(0.6, 0.9))).toEqual(['default', 'low', 'critical']);
    // 9.5 is low's [9, 10); then 0.7 * 9 = 6.3 is default's [6, 9).
    expect(weightedOrder(WEIGHTS, sequence(0.95, 0.7))).toEqual(['low', 'default', 'critical']);
    expect(weightedOrder(WEIGHTS, sequence(0.5999, 0.75))).toEqual(['critical', 'low', 'default']);
  });

  it('puts a queue first in weight / total of evenly spread draws', () => {
    const first = new Map<string, number>();
    for (let k = 0; k < 1000; k++) {
      const queue = weightedOrder(WEIGHTS, sequence(k / 1000, 0))[0]!;
      first.set(queue, (first.get(queue) ?? 0) + 1);
    }
    expect(Object.fromEntries(first)).toEqual({ critical: 600, default: 300, low: 100 });
  });

  it('calls random once per queue but the last, and never for one queue', () => {
    expect(weightedOrder([['only', 5]], sequence())).toEqual(['only']);
  });
});

describe('resolveQueueWeights', () => {
  it('keeps the queues in the order given', () => {
    expect(resolveQueueWeights({ critical: 6, default: 3, low: 1 })).toEqual(WEIGHTS);
  });

  it.each([
    [null, TypeError, /queueWeights must be an object/],
    [['a'], TypeError, /queueWeights must be an object/],
    [{}, RangeError, /queueWeights must name 1 to 100 queues; got 0/],
    [{ '': 1 }, TypeError, /queueWeights: a queue name must not be empty/],
    [
      { a: 0 },
      RangeError,
      /queueWeights: the weight of queue "a" must be an integer from 1 to 1000; got 0/,
    ],
    [{ a: 1001 }, RangeError, /got 1001/],
    [{ a: 1.5 }, RangeError, /got 1.5/],
    [{ a: '3' }, RangeError, /got 3/],
  ])('rejects %j', (weights, kind, message) => {
    expect(() => resolveQueueWeights(weights)).toThrow(kind);
    expect(() => resolveQueueWeights(weights)).toThrow(message);
  });

  it('rejects more than 100 queues', () => {
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`q${i}`, 1]));
    expect(() => resolveQueueWeights(many)).toThrow(/1 to 100 queues; got 101/);
  });
});
