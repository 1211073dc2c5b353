import { createJob } from '@gopherqueue/core';
import { afterEach, describe, expect, it } from 'vitest';
import { LevelStore } from './level-store.js';

let store: LevelStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('LevelStore.list reads jobs a page at a time', () => {
  it('pages through an index whose jobs mostly fail the rest of the filter, losing none', async () => {
    const s = (store = await LevelStore.open({ memory: true }));
    const now = Date.now();
    // 600 waiting jobs; every 40th is of type b: 15 of them, spread over three index chunks.
    const specs = Array.from({ length: 600 }, (_, i) =>
      createJob(i % 40 === 7 ? 'b' : 'a', { i }, {}, now),
    );
    await s.submitBatch(specs);
    const expected = specs
      .filter((spec) => spec.type === 'b')
      .map((spec) => spec.id)
      .reverse();
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await s.list({
        state: 'scheduled',
        type: 'b',
        limit: 4,
        ...(cursor === undefined ? {} : { cursor }),
      });
      seen.push(...page.jobs.map((job) => job.id));
      cursor = page.nextCursor;
      if (cursor === undefined) break;
    }
    expect(seen).toEqual(expected);
    // Without a second condition: exactly the newest page, then the next.
    const first = await s.list({ state: 'scheduled', limit: 50 });
    expect(first.jobs.map((job) => job.id)).toEqual(
      specs
        .slice(-50)
        .map((spec) => spec.id)
        .reverse(),
    );
    const next = await s.list({ state: 'scheduled', limit: 50, cursor: first.nextCursor });
    expect(next.jobs.map((job) => job.id)).toEqual(
      specs
        .slice(-100, -50)
        .map((spec) => spec.id)
        .reverse(),
    );
    const all = await s.list({ limit: 3 });
    expect(all.jobs.map((job) => job.id)).toEqual(
      specs
        .slice(-3)
        .map((spec) => spec.id)
        .reverse(),
    );
  });
});
