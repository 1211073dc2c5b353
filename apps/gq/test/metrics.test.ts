import { GopherQueueClient } from '@gopherqueue/api';
import { parsePrometheus, promtoolMissing, runPromtool } from '@gopherqueue/observability/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, spawnServer, tempDir } from './helpers/gq-process.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await killAll();
  for (const cleanup of cleanups) await cleanup();
});

describe('gq serve /metrics', () => {
  it('passes promtool check metrics after running jobs of every outcome', async (ctx) => {
    const dir = await tempDir('gq-metrics-');
    cleanups.push(() => dir.remove());
    const server = await spawnServer(dir.path, ['--workers', '2']);
    const client = new GopherQueueClient({ baseUrl: server.url });
    const jobs = [
      await client.submit('echo', { n: 1 }),
      await client.submit('echo', { n: 2 }, { priority: 'high', queue: 'fast' }),
      await client.submit('error', 'boom', { maxAttempts: 1 }),
    ];
    for (const job of jobs) await client.wait(job.id, '20s');
    // No worker has a handler for it: it waits, counted by type.
    await client.submit('no-such-handler', null);
    await client.submit('no-such-handler', null);
    const waiting = await client.submit('sleep', '1h', { delay: '1h' });
    await client.cancel(waiting.id);

    const text = await (await fetch(`${server.url}/metrics`)).text();
    const values = parsePrometheus(text);
    expect(values.get('gq_workers{kind="local"}')).toBe(2);
    expect(values.get('gq_workers{kind="remote"}')).toBe(0);
    expect(values.get('gq_remote_workers')).toBe(0);
    expect(values.get('gq_jobs_waiting_no_handler{type="no-such-handler"}')).toBe(2);
    expect([...values.keys()].filter((k) => k.startsWith('gq_jobs_waiting_no_handler'))).toEqual([
      'gq_jobs_waiting_no_handler{type="no-such-handler"}',
    ]);
    expect(values.get('gq_jobs_completed_total{queue="fast",type="echo"}')).toBe(1);
    expect(values.get('gq_jobs_dead_letter_total{queue="default",type="error"}')).toBe(1);
    expect(values.has('gq_jobs_failed_total{queue="default",type="no-such-handler"}')).toBe(false);
    expect(values.get('gq_jobs_cancelled_total{queue="default",type="sleep"}')).toBe(1);

    const result = await runPromtool(text);
    if (result === undefined) {
      promtoolMissing('the promtool check of gq serve /metrics');
      ctx.skip();
      return;
    }
    expect(result).toEqual({ code: 0, output: '' });
  });
});
