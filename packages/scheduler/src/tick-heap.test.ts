import { describe, expect, it } from 'vitest';
import { TickHeap } from './tick-heap.js';

interface Item {
  name: number;
  due: number;
  heapIndex: number;
}

/** A small deterministic random sequence. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

describe('TickHeap', () => {
  it('pops due items earliest first through sets, moves and deletes, as a sorted list would', () => {
    const random = lcg(7);
    const heap = new TickHeap<Item>();
    const items: Item[] = Array.from({ length: 200 }, (_, name) => ({
      name,
      due: 0,
      heapIndex: -1,
    }));
    const expected = new Map<number, number>();
    for (let step = 0; step < 2000; step++) {
      const item = items[Math.floor(random() * items.length)] as Item;
      if (random() < 0.2) {
        heap.delete(item);
        expected.delete(item.name);
      } else {
        const due = Math.floor(random() * 1000);
        heap.set(item, due);
        expected.set(item.name, due);
      }
      expect(heap.size).toBe(expected.size);
    }
    const popped: number[] = [];
    for (let item = heap.popDue(499); item; item = heap.popDue(499)) {
      expect(item.due).toBe(expected.get(item.name));
      expect(item.heapIndex).toBe(-1);
      popped.push(item.due);
    }
    const due = [...expected.values()].filter((d) => d <= 499).sort((a, b) => a - b);
    expect(popped).toEqual(due);
    expect(heap.peekDue()).toBe(Math.min(...[...expected.values()].filter((d) => d > 499)));
    heap.set(items[0] as Item, undefined);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.peekDue()).toBeUndefined();
  });
});
