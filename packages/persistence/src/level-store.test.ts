import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Store } from '@gopherqueue/core';
import { LevelStore } from './level-store.js';
import { runStoreContract } from './testing/index.js';

const dirs = new Map<Store, string>();

runStoreContract('LevelStore on disk', {
  async create(clock) {
    const dir = mkdtempSync(path.join(tmpdir(), 'gq-level-'));
    const store = await LevelStore.open({ location: dir, clock });
    dirs.set(store, dir);
    return store;
  },
  async destroy(store) {
    await store.close();
    const dir = dirs.get(store);
    dirs.delete(store);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  },
});

runStoreContract('LevelStore in memory', {
  create: (clock) => LevelStore.open({ memory: true, clock }),
  destroy: (store) => store.close(),
});
