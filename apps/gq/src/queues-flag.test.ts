import { GopherQueueClient } from '@gopherqueue/api';
import { describe, expect, it, vi } from 'vitest';
import { gq } from '../test/helpers/run-cli.js';
import { UsageError } from './cli-error.js';
import { queuesFlag } from './queues-flag.js';

describe('--queues', () => {
  it('reads no queues, a plain list, and weights, in the order given', () => {
    expect(queuesFlag(undefined)).toEqual({});
    expect(queuesFlag(['a,b', 'c'])).toEqual({ queues: ['a', 'b', 'c'] });
    const read = queuesFlag(['critical:6,default:3', ' low : 1 ']);
    expect(read).toEqual({ queueWeights: { critical: 6, default: 3, low: 1 } });
    expect(Object.keys(read.queueWeights ?? {})).toEqual(['critical', 'default', 'low']);
    // The weight is after the last colon, so a queue whose name has one can be weighted.
    expect(queuesFlag(['mail:bulk:2,mail:urgent:1000'])).toEqual({
      queueWeights: { 'mail:bulk': 2, 'mail:urgent': 1000 },
    });
  });

  it.each([
    ['a:0', '--queues: the weight of queue "a" must be an integer from 1 to 1000; got "0"'],
    ['a:x', '--queues: the weight of queue "a" must be an integer from 1 to 1000; got "x"'],
    ['a:1001', '--queues: the weight of queue "a" must be an integer from 1 to 1000; got "1001"'],
    ['a:1.5', '--queues: the weight of queue "a" must be an integer from 1 to 1000; got "1.5"'],
    ['a:', '--queues: the weight of queue "a" must be an integer from 1 to 1000; got ""'],
    [':3', '--queues: ":3" names no queue'],
    ['a:2,b:1,a:3', '--queues: queue "a" is listed twice'],
    ['a,b,a', '--queues: queue "a" is listed twice'],
    ['a:6,b', '--queues: give every queue a weight (critical:6,default:3,low:1) or none (a,b)'],
  ])('rejects %s as a usage error', (spec, message) => {
    expect(() => queuesFlag([spec])).toThrow(UsageError);
    expect(() => queuesFlag([spec])).toThrow(message);
  });

  it('takes at most 100 weighted queues', () => {
    const spec = Array.from({ length: 101 }, (_, i) => `q${i}:1`).join(',');
    expect(() => queuesFlag([spec])).toThrow('--queues: at most 100 weighted queues; got 101');
    expect(
      Object.keys(queuesFlag([spec.split(',').slice(0, 100).join(',')]).queueWeights ?? {}),
    ).toHaveLength(100);
  });
});

describe('gq work and gq serve --queues', () => {
  it('exit 2 with a message naming --queues for a bad spec, before anything starts', async () => {
    const work = await gq(['work', '--handlers', './none.js', '--queues', 'a:0']);
    expect([work.code, work.stderr]).toEqual([
      2,
      expect.stringContaining(
        '--queues: the weight of queue "a" must be an integer from 1 to 1000; got "0"',
      ),
    ]);
    const serve = await gq([
      'serve',
      '--store',
      'memory',
      '--http',
      '127.0.0.1:0',
      '--queues',
      'a:2,a:1',
    ]);
    expect([serve.code, serve.stderr]).toEqual([
      2,
      expect.stringContaining('--queues: queue "a" is listed twice'),
    ]);
  });

  it('gq serve --queues b:2,c:1 runs jobs of its weighted queues only', async () => {
    let url = '';
    let stopServe: (() => void) | undefined;
    const running = gq(
      [
        'serve',
        '--store',
        'memory',
        '--http',
        '127.0.0.1:0',
        '--auth=false',
        '--queues',
        'b:2,c:1',
      ],
      {
        onStdout: (text, stop) => {
          stopServe = stop;
          url = /listening on (http:\/\/\S+)/.exec(text)?.[1] ?? url;
        },
      },
    );
    try {
      await vi.waitFor(() => expect(url).not.toBe(''), { timeout: 20_000 });
      const client = new GopherQueueClient({ baseUrl: url });
      const onB = await client.submit('echo', 'b', { queue: 'b' });
      const onC = await client.submit('echo', 'c', { queue: 'c' });
      const elsewhere = await client.submit('echo', 'other', { queue: 'other' });
      expect((await client.wait(onB.id, '20s')).state).toBe('completed');
      expect((await client.wait(onC.id, '20s')).state).toBe('completed');
      expect((await client.get(elsewhere.id)).state).toBe('scheduled');
    } finally {
      stopServe?.();
      expect((await running).code).toBe(0);
    }
  });
});
