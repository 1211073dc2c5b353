import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LevelStore } from '@gopherqueue/persistence';
import { main } from './library-example.js';

describe('the README library example', () => {
  let dir: string | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('runs an email job to completion and leaves it stored as completed', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gq-example-'));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const job = await main(join(dir, 'data'));
    expect([job.type, job.state, job.priority, job.maxAttempts, job.attempt]).toEqual([
      'email',
      'completed',
      1,
      3,
      1,
    ]);
    expect(job.result).toEqual({ sent: true, to: 'user@example.com' });
    expect(log).toHaveBeenCalledWith(`job ${job.id} completed:`, job.result);

    const reopened = await LevelStore.open({ location: join(dir, 'data') });
    try {
      expect((await reopened.get(job.id))?.state).toBe('completed');
    } finally {
      await reopened.close();
    }
  });
});
